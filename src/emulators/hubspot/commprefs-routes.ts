/** HubSpot emulator routes: Communication preferences v3 (and v4 unsubscribe-all). */
import type { HubSpotContext } from './context.ts';

export function registerCommunicationPreferenceRoutes(ctx: HubSpotContext): void {
  void ctx; // TODO(issue 3): routes
}
