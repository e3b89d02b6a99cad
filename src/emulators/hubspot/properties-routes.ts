/** HubSpot emulator routes: the Properties API. */
import type { HubSpotContext } from './context.ts';

export function registerPropertyRoutes(ctx: HubSpotContext): void {
  void ctx; // TODO(issue 3): routes
}
