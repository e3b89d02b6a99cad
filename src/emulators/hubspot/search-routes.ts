/** HubSpot emulator routes: CRM search. */
import type { HubSpotContext } from './context.ts';

export function registerSearchRoutes(ctx: HubSpotContext): void {
  void ctx; // TODO(issue 3): routes
}
