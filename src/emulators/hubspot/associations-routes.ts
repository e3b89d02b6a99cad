/** HubSpot emulator routes: Associations v4 (contact ↔ company). */
import type { HubSpotContext } from './context.ts';

export function registerAssociationRoutes(ctx: HubSpotContext): void {
  void ctx; // TODO(issue 3): routes
}
