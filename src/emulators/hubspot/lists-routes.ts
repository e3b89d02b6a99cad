/** HubSpot emulator routes: Lists v3. */
import type { HubSpotContext } from './context.ts';

export function registerListRoutes(ctx: HubSpotContext): void {
  void ctx; // TODO(issue 3): routes
}
