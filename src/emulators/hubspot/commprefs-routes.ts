/**
 * HubSpot emulator routes: Communication preferences v3 (definitions, per-email statuses, subscribe,
 * unsubscribe) and the bit of v4 a sync needs (read statuses, unsubscribe from all, one email or a
 * batch of up to 100, each answered in the shape HubSpot's v4 spec documents), plus the admin calls
 * `POST /__emulator/resubscribe {email}` — "the contact resubscribes themselves", which no API may
 * do — and `PUT /__emulator/scopes {batchSubscriptionScopes}`, which plays a portal without Marketing
 * Hub Enterprise's batch scopes (the v4 batch then answers 403 MISSING_SCOPES).
 *
 * State is kept per email address (lower-cased), whether or not a contact has it. "Unsubscribed from
 * all" is the contact's `hs_email_optout` (read-only to the objects API; written here with
 * `setSystemValue`), so the seeded opted-out contacts read as unsubscribed from all.
 */
import type { FastifyRequest } from 'fastify';
import {
  batchEnvelope,
  batchError,
  booleanParam,
  type BatchError,
  firstParam,
  iso,
  jsonObject,
  sendJson,
  type HubSpotContext,
} from './context.ts';
import { HubSpotError, validationError } from './errors.ts';
import type { Portal, StoredObject, WriteSource } from './portal.ts';
import { normalizeEmail } from './properties.ts';

export interface SubscriptionDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly purpose: string;
  readonly communicationMethod: string;
  readonly isActive: boolean;
  readonly isDefault: boolean;
  readonly isInternal: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const DEFINED_AT = '2019-08-06T02:43:01.000Z';

/** The portal's subscription types. */
export const subscriptionDefinitions: readonly SubscriptionDefinition[] = [
  {
    id: '4020101',
    name: 'Marketing Information',
    description: 'Marketing offers and updates.',
    purpose: 'Marketing',
    communicationMethod: 'Email',
    isActive: true,
    isDefault: true,
    isInternal: false,
    createdAt: DEFINED_AT,
    updatedAt: DEFINED_AT,
  },
  {
    id: '4020102',
    name: 'One to One',
    description: 'One to one emails.',
    purpose: 'Sales',
    communicationMethod: 'Email',
    isActive: true,
    isDefault: true,
    isInternal: true,
    createdAt: DEFINED_AT,
    updatedAt: DEFINED_AT,
  },
];

export const legalBases = [
  'CONSENT_WITH_NOTICE',
  'LEGITIMATE_INTEREST_CLIENT',
  'LEGITIMATE_INTEREST_OTHER',
  'LEGITIMATE_INTEREST_PQL',
  'NON_GDPR',
  'PERFORMANCE_OF_CONTRACT',
  'PROCESS_AND_STORE',
] as const;
type LegalBasis = (typeof legalBases)[number];

interface SubscriptionState {
  readonly status: 'SUBSCRIBED' | 'NOT_SUBSCRIBED';
  readonly at: number;
  /** Where the status came from, as v4 reports it. */
  readonly source: string;
  readonly legalBasis?: LegalBasis;
  readonly legalBasisExplanation?: string;
}

interface EmailState {
  /** Unsubscribed from all, for an email no contact has (a contact's own flag is `hs_email_optout`). */
  optedOutAll: boolean;
  optedOutAt: number | null;
  readonly subscriptions: Map<string, SubscriptionState>;
}

const state = new WeakMap<Portal, Map<string, EmailState>>();

/** Portals whose app lacks the v4 batch scopes (granted unless the admin call took them away). */
const withoutBatchScopes = new WeakSet<Portal>();
/** Emails a v4 batch call takes at most. */
const BATCH_MAX = 100;

function emailsOf(portal: Portal): Map<string, EmailState> {
  let emails = state.get(portal);
  if (!emails) {
    const created = new Map<string, EmailState>();
    emails = created;
    state.set(portal, created);
    portal.onReset(() => created.clear());
  }
  return emails;
}

function emailState(portal: Portal, email: string): EmailState {
  const emails = emailsOf(portal);
  const key = normalizeEmail(email);
  let s = emails.get(key);
  if (!s) emails.set(key, (s = { optedOutAll: false, optedOutAt: null, subscriptions: new Map() }));
  return s;
}

/** Whether an email is unsubscribed from all email (its contact's `hs_email_optout`, or recorded here). */
export function isOptedOutOfAll(portal: Portal, email: string): boolean {
  const contact = portal.contactByEmail(email);
  if (contact?.values.get('hs_email_optout') === 'true') return true;
  return emailsOf(portal).get(normalizeEmail(email))?.optedOutAll ?? false;
}

const API_UNSUBSCRIBE: WriteSource = { sourceType: 'API', sourceId: 'communication-preferences' };
const SELF_SERVICE: WriteSource = { sourceType: 'EMAIL', sourceId: 'subscription-preferences-page' };

/** Unsubscribes an email from every subscription type and from all email. */
export function unsubscribeFromAll(portal: Portal, email: string, source = API_UNSUBSCRIBE): void {
  const s = emailState(portal, email);
  const at = portal.now();
  s.optedOutAll = true;
  s.optedOutAt ??= at;
  for (const definition of subscriptionDefinitions) {
    s.subscriptions.set(definition.id, { status: 'NOT_SUBSCRIBED', at, source: source.sourceType });
  }
  const contact = portal.contactByEmail(email);
  if (contact) setOptOut(portal, contact, 'true', source);
}

/** The contact resubscribes themselves: the opt-out is cleared and every subscription type subscribed. */
export function resubscribe(portal: Portal, email: string): void {
  const s = emailState(portal, email);
  const at = portal.now();
  s.optedOutAll = false;
  s.optedOutAt = null;
  for (const definition of subscriptionDefinitions) {
    s.subscriptions.set(definition.id, {
      status: 'SUBSCRIBED',
      at,
      source: 'SELF_SERVICE',
      legalBasis: 'CONSENT_WITH_NOTICE',
      legalBasisExplanation: 'The contact resubscribed on the subscription preferences page.',
    });
  }
  const contact = portal.contactByEmail(email);
  if (contact) setOptOut(portal, contact, 'false', SELF_SERVICE);
}

function setOptOut(portal: Portal, contact: StoredObject, value: string, source: WriteSource): void {
  portal.setSystemValue('contacts', contact, 'hs_email_optout', value, source);
}

export function registerCommunicationPreferenceRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;
  portal.onReset(() => withoutBatchScopes.delete(portal));
  const V3 = '/communication-preferences/v3';
  const V4 = '/communication-preferences/v4';

  // --- v3 ----------------------------------------------------------------------------------------

  app.get(`${V3}/definitions`, async (_request, reply) =>
    sendJson(reply, 200, { subscriptionDefinitions: subscriptionDefinitions.map((d) => ({ ...d })) }),
  );

  app.get(`${V3}/status/email/:emailAddress`, async (request, reply) => {
    const email = emailParam((request.params as { emailAddress: string }).emailAddress);
    return sendJson(reply, 200, {
      recipient: email,
      subscriptionStatuses: subscriptionDefinitions.map((d) => v3Status(portal, email, d)),
    });
  });

  app.post(`${V3}/subscribe`, async (request, reply) => {
    const input = updateRequest(request);
    const { email, definition } = input;
    const s = emailState(portal, email);
    const current = s.subscriptions.get(definition.id);
    if (isOptedOutOfAll(portal, email)) {
      throw validationError(
        `${email} has unsubscribed from all email and cannot be resubscribed through this API; only the contact can resubscribe.`,
      );
    }
    if (current?.status === 'NOT_SUBSCRIBED') {
      throw validationError(
        `${email} has unsubscribed from subscription ${definition.id} and cannot be resubscribed through this API; only the contact can resubscribe.`,
      );
    }
    if (current?.status === 'SUBSCRIBED') {
      throw validationError(`${email} is already subscribed to subscription ${definition.id}`);
    }
    s.subscriptions.set(definition.id, {
      status: 'SUBSCRIBED',
      at: portal.now(),
      source: 'API',
      ...legalFields(input),
    });
    return sendJson(reply, 200, v3Status(portal, email, definition));
  });

  app.post(`${V3}/unsubscribe`, async (request, reply) => {
    const input = updateRequest(request);
    const { email, definition } = input;
    const s = emailState(portal, email);
    if (s.subscriptions.get(definition.id)?.status === 'NOT_SUBSCRIBED' || isOptedOutOfAll(portal, email)) {
      throw validationError(`${email} is already unsubscribed from subscription ${definition.id}`);
    }
    s.subscriptions.set(definition.id, {
      status: 'NOT_SUBSCRIBED',
      at: portal.now(),
      source: 'API',
      ...legalFields(input),
    });
    return sendJson(reply, 200, v3Status(portal, email, definition));
  });

  // --- v4 ----------------------------------------------------------------------------------------

  app.get(`${V4}/statuses/:subscriberIdString`, async (request, reply) => {
    const email = emailParam((request.params as { subscriberIdString: string }).subscriberIdString);
    channelParam(request);
    const startedAt = portal.now();
    return sendJson(
      reply,
      200,
      actionResponse(
        startedAt,
        subscriptionDefinitions.map((d) => v4Status(portal, email, d)),
      ),
    );
  });

  app.get(`${V4}/statuses/:subscriberIdString/unsubscribe-all`, async (request, reply) => {
    const email = emailParam((request.params as { subscriberIdString: string }).subscriberIdString);
    channelParam(request);
    const startedAt = portal.now();
    const results = isOptedOutOfAll(portal, email)
      ? [
          {
            subscriberIdString: email,
            wideStatusType: 'PORTAL_WIDE',
            status: 'UNSUBSCRIBED',
            channel: 'EMAIL',
            timestamp: iso(optedOutAt(portal, email)),
          },
        ]
      : [];
    return sendJson(reply, 200, actionResponse(startedAt, results));
  });

  app.post(`${V4}/statuses/:subscriberIdString/unsubscribe-all`, async (request, reply) => {
    const email = emailParam((request.params as { subscriberIdString: string }).subscriberIdString);
    channelParam(request);
    const verbose = booleanParam((request.query as Record<string, unknown>).verbose);
    const startedAt = portal.now();
    const already = isOptedOutOfAll(portal, email);
    unsubscribeFromAll(portal, email);
    const reason = already ? 'NO_STATUS_CHANGE' : 'UNSUBSCRIBE_FROM_ALL_OCCURRED';
    const results = verbose
      ? subscriptionDefinitions.map((d) => ({
          ...v4Status(portal, email, d),
          setStatusSuccessReason: reason,
        }))
      : [];
    return sendJson(reply, 200, actionResponse(startedAt, results));
  });

  // Batch: as HubSpot documents it (BatchResponsePublicBulkOptOutFromAllResponse), always 200 with
  // `status: COMPLETE`: a result per email unsubscribed (a contact must have it), its statuses only
  // with `verbose=true`, and an entry of `errors` (counted by `numErrors`) per email that failed.
  app.post(`${V4}/statuses/batch/unsubscribe-all`, async (request, reply) => {
    if (withoutBatchScopes.has(portal)) {
      throw new HubSpotError(
        403,
        'MISSING_SCOPES',
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
      );
    }
    channelParam(request);
    const verbose = booleanParam((request.query as Record<string, unknown>).verbose);
    const inputs = jsonObject(request).inputs;
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw validationError('inputs is required: a non-empty array of email addresses.');
    }
    if (inputs.length > BATCH_MAX) {
      throw validationError(`Too many inputs: ${inputs.length}; a batch takes at most ${BATCH_MAX}.`);
    }
    const bad = inputs.findIndex((input) => typeof input !== 'string');
    if (bad >= 0) throw validationError(`inputs[${bad}] must be a string (an email address).`);
    const startedAt = portal.now();
    const results: Record<string, unknown>[] = [];
    const errors: unknown[] = [];
    const done = new Set<string>();
    for (const raw of inputs as string[]) {
      const email = raw.trim();
      if (!EMAIL.test(email)) {
        const message = `Invalid email address: ${JSON.stringify(raw)}`;
        errors.push(inputError('VALIDATION_ERROR', message, raw, { code: 'INVALID_EMAIL' }));
        continue;
      }
      if (!portal.contactByEmail(email)) {
        errors.push(inputError('OBJECT_NOT_FOUND', `No contact has the email address ${email}.`, raw));
        continue;
      }
      const key = normalizeEmail(email);
      if (done.has(key)) continue;
      done.add(key);
      const already = isOptedOutOfAll(portal, email);
      unsubscribeFromAll(portal, email);
      const reason = already ? 'NO_STATUS_CHANGE' : 'UNSUBSCRIBE_FROM_ALL_OCCURRED';
      results.push({
        subscriberIdString: key,
        ...(verbose
          ? {
              statuses: subscriptionDefinitions.map((d) => ({
                ...v4Status(portal, key, d),
                setStatusSuccessReason: reason,
              })),
            }
          : {}),
      });
    }
    return sendJson(reply, 200, {
      ...batchEnvelope(startedAt, portal.now(), results, errors),
      requestedAt: iso(startedAt),
    });
  });

  // --- admin -------------------------------------------------------------------------------------

  app.put('/__emulator/scopes', async (request, reply) => {
    const body = jsonObject(request);
    if (typeof body.batchSubscriptionScopes !== 'boolean') {
      throw validationError('batchSubscriptionScopes (boolean) is required.');
    }
    if (body.batchSubscriptionScopes) withoutBatchScopes.delete(portal);
    else withoutBatchScopes.add(portal);
    return sendJson(reply, 200, { batchSubscriptionScopes: !withoutBatchScopes.has(portal) });
  });
  app.get('/__emulator/scopes', async (_request, reply) =>
    sendJson(reply, 200, { batchSubscriptionScopes: !withoutBatchScopes.has(portal) }),
  );

  app.post('/__emulator/resubscribe', async (request, reply) => {
    const body = jsonObject(request);
    if (typeof body.email !== 'string') throw validationError('email is required.');
    const email = emailParam(body.email);
    resubscribe(portal, email);
    const contact = portal.contactByEmail(email);
    return sendJson(reply, 200, {
      email,
      contactId: contact?.id ?? null,
      hs_email_optout: contact?.values.get('hs_email_optout') ?? null,
      subscriptionStatuses: subscriptionDefinitions.map((d) => v3Status(portal, email, d)),
    });
  });
}

// ------------------------------------------------------------------------------------------------

function v3Status(
  portal: Portal,
  email: string,
  definition: SubscriptionDefinition,
): Record<string, unknown> {
  const base = { id: definition.id, name: definition.name, description: definition.description };
  if (isOptedOutOfAll(portal, email)) {
    return { ...base, status: 'NOT_SUBSCRIBED', sourceOfStatus: 'PORTAL_WIDE_STATUS' };
  }
  const current = emailsOf(portal).get(normalizeEmail(email))?.subscriptions.get(definition.id);
  return {
    ...base,
    status: current?.status ?? 'NOT_SUBSCRIBED',
    sourceOfStatus: 'SUBSCRIPTION_STATUS',
    ...(current?.legalBasis ? { legalBasis: current.legalBasis } : {}),
    ...(current?.legalBasisExplanation ? { legalBasisExplanation: current.legalBasisExplanation } : {}),
  };
}

function v4Status(
  portal: Portal,
  email: string,
  definition: SubscriptionDefinition,
): Record<string, unknown> {
  const current = emailsOf(portal).get(normalizeEmail(email))?.subscriptions.get(definition.id);
  const optedOut = isOptedOutOfAll(portal, email);
  const status = optedOut
    ? 'UNSUBSCRIBED'
    : current?.status === 'SUBSCRIBED'
      ? 'SUBSCRIBED'
      : current?.status === 'NOT_SUBSCRIBED'
        ? 'UNSUBSCRIBED'
        : 'NOT_SPECIFIED';
  const at = optedOut && !current ? optedOutAt(portal, email) : (current?.at ?? portal.now());
  return {
    subscriberIdString: email,
    subscriptionId: Number(definition.id),
    subscriptionName: definition.name,
    channel: 'EMAIL',
    status,
    source: current?.source ?? (optedOut ? 'PORTAL_WIDE_STATUS' : 'DEFAULT'),
    timestamp: iso(at),
    ...(current?.legalBasis ? { legalBasis: current.legalBasis } : {}),
    ...(current?.legalBasisExplanation ? { legalBasisExplanation: current.legalBasisExplanation } : {}),
  };
}

/** When an email opted out of all (for a seeded opt-out, when its contact's flag was set). */
function optedOutAt(portal: Portal, email: string): number {
  const recorded = emailsOf(portal).get(normalizeEmail(email))?.optedOutAt;
  if (recorded !== null && recorded !== undefined) return recorded;
  const contact = portal.contactByEmail(email);
  const history = contact?.history?.get('hs_email_optout');
  return history?.[0]?.timestamp ?? contact?.updatedAt ?? portal.now();
}

/** One entry of a v4 batch's `errors` (StandardError: `errors` and `links` included). */
function inputError(
  category: string,
  message: string,
  input: string,
  detail: { code?: string } = {},
): BatchError {
  return batchError(
    category,
    message,
    { subscriberIdString: [input] },
    { errors: [{ message, ...detail, in: 'inputs' }], links: {} },
  );
}

function actionResponse(startedAt: number, results: unknown[]): Record<string, unknown> {
  return { ...batchEnvelope(startedAt, startedAt, results), requestedAt: iso(startedAt) };
}

interface UpdateRequest {
  readonly email: string;
  readonly definition: SubscriptionDefinition;
  readonly legalBasis?: LegalBasis;
  readonly legalBasisExplanation?: string;
}

function updateRequest(request: FastifyRequest): UpdateRequest {
  const body = jsonObject(request);
  if (typeof body.emailAddress !== 'string' || body.emailAddress.trim() === '') {
    throw validationError('emailAddress is required.');
  }
  const email = emailParam(body.emailAddress);
  const rawId = body.subscriptionId;
  if ((typeof rawId !== 'string' || rawId.trim() === '') && typeof rawId !== 'number') {
    throw validationError('subscriptionId is required.');
  }
  const id = String(rawId).trim();
  const definition = subscriptionDefinitions.find((d) => d.id === id);
  if (!definition) {
    throw validationError(`Subscription ${id} does not exist: no subscription type has this id.`);
  }
  const legalBasis = body.legalBasis;
  if (
    legalBasis !== undefined &&
    legalBasis !== null &&
    !(legalBases as readonly unknown[]).includes(legalBasis)
  ) {
    throw validationError(
      `legalBasis ${JSON.stringify(legalBasis)} is not valid; use one of ${legalBases.join(', ')}.`,
    );
  }
  const explanation = body.legalBasisExplanation;
  if (explanation !== undefined && explanation !== null && typeof explanation !== 'string') {
    throw validationError('legalBasisExplanation must be a string.');
  }
  return {
    email,
    definition,
    ...(typeof legalBasis === 'string' ? { legalBasis: legalBasis as LegalBasis } : {}),
    ...(typeof explanation === 'string' && explanation !== '' ? { legalBasisExplanation: explanation } : {}),
  };
}

function legalFields(input: UpdateRequest): Pick<SubscriptionState, 'legalBasis' | 'legalBasisExplanation'> {
  return {
    ...(input.legalBasis ? { legalBasis: input.legalBasis } : {}),
    ...(input.legalBasisExplanation ? { legalBasisExplanation: input.legalBasisExplanation } : {}),
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function emailParam(raw: string): string {
  const email = raw.trim();
  if (!EMAIL.test(email)) throw validationError(`Invalid email address: ${JSON.stringify(raw)}`);
  return email;
}

function channelParam(request: FastifyRequest): void {
  const channel = firstParam((request.query as Record<string, unknown>).channel);
  if (channel === undefined) throw validationError('The channel query parameter is required (EMAIL).');
  if (channel !== 'EMAIL') {
    throw validationError(`channel ${JSON.stringify(channel)} is not supported; the only channel is EMAIL.`);
  }
}
