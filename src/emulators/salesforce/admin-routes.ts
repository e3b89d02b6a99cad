/**
 * The Salesforce emulator's admin API under `/__emulator/` (outside the real API, never counted): the
 * common reset, seed, faults and request log, plus what only a person in Salesforce or an org admin
 * could do — convert a lead (SPEC M5), merge records (SPEC D3), set the API allocation (SPEC B1), the
 * duplicate rule and validation rules, and issue or expire sessions. Convert, merge and sessions act as
 * the integration user or, given a `username`, as a sales rep (whose edits are not Crosswalk's own,
 * SPEC F9).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { objects } from './schema.ts';
import { normalizeId } from './ids.ts';
import { seedOrg } from './seed.ts';
import { parseJson, sendJson, sendRecordErrors, type SalesforceContext } from './context.ts';
import { adminPath, registerCommonAdmin } from '../shared/admin.ts';
import { CDC_ENTITIES, type ChangeEventBus } from './change-events.ts';

const adminBody = <T extends z.ZodType>(schema: T, request: FastifyRequest): z.output<T> =>
  schema.parse(parseJson(request.body, true));

const validationRule = z.object({
  object: z.string(),
  field: z.string(),
  equals: z.string().nullable(),
  message: z.string().min(1),
  errorField: z.string().optional(),
});

export function registerAdminRoutes(ctx: SalesforceContext, changeEvents: ChangeEventBus): void {
  const { app, org, now, usage, sessions } = ctx;

  registerCommonAdmin(app, {
    faults: ctx.faults,
    log: ctx.log,
    reset: () => ctx.reset(),
    seed: (count, seed) => seedOrg(org, { count, seed }),
    parse: adminBody,
    sendJson,
  });

  /** Admin actions stand for a person in Salesforce: the integration user, or `username`'s user. */
  const actingUser = (username: string | undefined): string =>
    (username === undefined ? undefined : org.users.find((u) => u.username === username)?.id) ??
    org.defaultUserId;

  app.post(adminPath('/convert'), async (request, reply) => {
    const body = adminBody(
      z.object({
        leadId: z.string(),
        accountId: z.string().optional(),
        contactId: z.string().optional(),
        username: z.string().optional(),
      }),
      request,
    );
    const result = org.convertLead(
      body.leadId,
      {
        ...(body.accountId ? { accountId: body.accountId } : {}),
        ...(body.contactId ? { contactId: body.contactId } : {}),
      },
      { userId: actingUser(body.username) },
    );
    if ('errors' in result) return sendRecordErrors(reply, result.errors);
    return sendJson(reply, 200, { leadId: normalizeId(body.leadId), ...result });
  });

  app.post(adminPath('/merge'), async (request, reply) => {
    const body = adminBody(
      z.object({
        object: z.string(),
        masterId: z.string(),
        loserIds: z.array(z.string()).min(1).max(2),
        values: z.record(z.string(), z.unknown()).default({}),
        username: z.string().optional(),
      }),
      request,
    );
    const result = org.merge(body.object, body.masterId, body.loserIds, body.values, {
      userId: actingUser(body.username),
    });
    if (!result.success) return sendRecordErrors(reply, result.errors);
    return sendJson(reply, 200, { id: result.id, mergedIds: body.loserIds.map((id) => normalizeId(id)) });
  });

  app.get(adminPath('/usage'), async (_request, reply) =>
    sendJson(reply, 200, {
      apiRequests: usage.apiRequests,
      refusedForLimit: usage.refusedForLimit,
      streamingRequests: usage.streamingRequests,
      byFamily: Object.fromEntries(usage.byFamily),
      dailyApiRequests: { used: usage.used(now()), max: usage.limit },
      records: Object.fromEntries([...objects.keys()].map((name) => [name, org.count(name)])),
    }),
  );
  app.put(adminPath('/api-limit'), async (request, reply) => {
    usage.limit = adminBody(z.object({ max: z.number().int().min(0) }), request).max;
    return sendJson(reply, 200, { max: usage.limit });
  });

  // Change Data Capture's selected entities (Setup → Change Data Capture); [] for an org without it.
  app.put(adminPath('/change-events'), async (request, reply) => {
    const { entities } = adminBody(z.object({ entities: z.array(z.enum(CDC_ENTITIES)) }), request);
    changeEvents.selected = new Set(entities);
    return sendJson(reply, 200, { entities, lastReplayId: changeEvents.lastReplayId });
  });

  app.put(adminPath('/duplicate-rule'), async (request, reply) => {
    org.duplicateRule = adminBody(z.object({ action: z.enum(['block', 'alert']) }), request);
    return sendJson(reply, 200, { duplicateRule: org.duplicateRule });
  });
  app.delete(adminPath('/duplicate-rule'), async (_request, reply) => {
    org.duplicateRule = null;
    return sendJson(reply, 200, { duplicateRule: null });
  });
  app.put(adminPath('/validation-rules'), async (request, reply) => {
    org.validationRules = adminBody(z.array(validationRule), request).map(({ errorField, ...r }) =>
      errorField === undefined ? r : { ...r, errorField },
    );
    return sendJson(reply, 200, { validationRules: org.validationRules });
  });
  app.post(adminPath('/sessions/expire'), async (_request, reply) =>
    sendJson(reply, 200, { expired: sessions.expireAll() }),
  );
  // A session for the integration user, or for `{ "username": … }`: a person editing in Salesforce.
  app.post(adminPath('/sessions'), async (request, reply) => {
    const text = typeof request.body === 'string' ? request.body.trim() : '';
    const username =
      text === '' ? undefined : adminBody(z.object({ username: z.string() }), request).username;
    if (username === undefined)
      return sendJson(reply, 200, { accessToken: sessions.issue(org.defaultUserId) });
    const user = org.users.find((u) => u.username === username);
    if (!user) return sendJson(reply, 404, { error: `no user with username ${String(username)}` });
    return sendJson(reply, 200, { accessToken: sessions.issue(user.id) });
  });
}
