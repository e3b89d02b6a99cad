/**
 * HubSpot emulator routes: Owners v3 — the users records can be assigned to (`hubspot_owner_id`).
 * `GET /crm/v3/owners/` (the SDK sends the trailing slash) pages them, optionally by email;
 * `GET /crm/v3/owners/{ownerId}` reads one by owner id or, with `idProperty=userId`, by user id.
 */
import {
  afterParam,
  booleanParam,
  firstParam,
  iso,
  limitParam,
  sendJson,
  type HubSpotContext,
} from './context.ts';
import { HubSpotError, validationError } from './errors.ts';
import type { Owner } from './portal.ts';
import { normalizeEmail } from './properties.ts';

/** Page size: default and maximum. */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;
/** When the demo owners were "created" (they are fixed, so their timestamps are too). */
const OWNERS_SINCE = Date.parse('2024-01-15T09:00:00.000Z');

/** An owner as the API returns it (the SDK's `PublicOwner`). */
export function renderOwner(owner: Owner): Record<string, unknown> {
  const created = OWNERS_SINCE + (Number(owner.id) % 1000) * 60_000;
  return {
    id: owner.id,
    email: owner.email,
    type: 'PERSON',
    firstName: owner.firstName,
    lastName: owner.lastName,
    userId: owner.userId,
    userIdIncludingInactive: owner.userId,
    createdAt: iso(created),
    updatedAt: iso(created),
    archived: owner.archived,
    teams: [],
  };
}

export function registerOwnerRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;

  app.get('/crm/v3/owners', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const archived = booleanParam(query.archived ?? 'false');
    const raw = firstParam(query.email);
    const email = raw === undefined ? undefined : normalizeEmail(raw);
    const size = limitParam(query.limit, { fallback: DEFAULT_LIMIT, max: MAX_LIMIT });
    const offset = Number(afterParam(query.after) ?? 0);
    const matching = portal.owners
      .filter(
        (o) =>
          o.archived === archived &&
          (email === undefined || email === '' || normalizeEmail(o.email) === email),
      )
      .sort((a, b) => Number(a.id) - Number(b.id));
    const slice = matching.slice(offset, offset + size);
    const next = offset + slice.length;
    const base = ctx.baseUrl();
    return sendJson(reply, 200, {
      results: slice.map(renderOwner),
      ...(next < matching.length
        ? { paging: { next: { after: String(next), link: `${base}/crm/v3/owners/?after=${next}` } } }
        : {}),
    });
  });

  app.get('/crm/v3/owners/:ownerId', async (request, reply) => {
    const { ownerId } = request.params as { ownerId: string };
    const query = request.query as Record<string, unknown>;
    const idProperty = firstParam(query.idProperty) ?? 'id';
    if (idProperty !== 'id' && idProperty !== 'userId') {
      throw validationError(`Invalid idProperty "${idProperty}": use id or userId.`, [
        { message: 'idProperty must be id or userId', in: 'idProperty' },
      ]);
    }
    if (!/^\d+$/.test(ownerId)) {
      throw validationError(
        `Invalid ${idProperty === 'id' ? 'owner id' : 'user id'} "${ownerId}": ids are numbers.`,
        [{ message: 'ids are numbers', in: 'ownerId' }],
      );
    }
    const archived = booleanParam(query.archived ?? 'false');
    const owner = portal.owners.find(
      (o) =>
        o.archived === archived && (idProperty === 'id' ? o.id === ownerId : String(o.userId) === ownerId),
    );
    if (!owner) {
      throw new HubSpotError(
        404,
        'OBJECT_NOT_FOUND',
        `No ${archived ? 'archived ' : ''}owner with ${idProperty} ${ownerId}`,
        { context: { [idProperty]: [ownerId] } },
      );
    }
    return sendJson(reply, 200, renderOwner(owner));
  });
}
