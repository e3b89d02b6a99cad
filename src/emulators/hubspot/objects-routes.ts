/** HubSpot emulator routes: contacts and companies: basic CRUD, batch read/create/update/upsert/archive, merge. */
import type { HubSpotContext } from './context.ts';

export function registerObjectRoutes(ctx: HubSpotContext): void {
  void ctx; // TODO(issue 3): routes
}
