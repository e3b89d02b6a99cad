/** HubSpot emulator routes: Owners v3. */
import type { HubSpotContext } from './context.ts';

export function registerOwnerRoutes(ctx: HubSpotContext): void {
  void ctx; // TODO(issue 3): routes
}
