/**
 * The HubSpot emulator's communication preferences, driven through @hubspot/api-client 13.5.0
 * unchanged (v3 through `communicationPreferences.statusApi / definitionApi`, v4 through
 * `client.apiRequest`): subscription types, per-email statuses, subscribe and unsubscribe with the
 * v3 refusals, unsubscribe-from-all setting the read-only `hs_email_optout`, the admin "contact
 * resubscribes themselves", the seeded opted-out contacts, and HubSpot's error body for bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertHubSpotError,
  hsError,
  startHubSpot,
  UUID,
  type HubSpotFixture,
} from '../../helpers/hubspot.ts';
import { HubSpotError } from '../../../src/emulators/hubspot/errors.ts';
import type { StoredObject } from '../../../src/emulators/hubspot/portal.ts';

const T0 = Date.UTC(2024, 2, 1, 12, 0, 0);

let hs: HubSpotFixture;
let now = T0;
let serial = 0;
let marketing: string;
let oneToOne: string;

before(async () => {
  hs = await startHubSpot({ now: () => now, burstLimit: 100_000 });
  const { subscriptionDefinitions } = await hs.client.communicationPreferences.definitionApi.getPage();
  marketing = subscriptionDefinitions.find((d) => d.name === 'Marketing Information')!.id;
  oneToOne = subscriptionDefinitions.find((d) => d.name === 'One to One')!.id;
});
after(() => hs.close());

function contact(): StoredObject {
  const portal = hs.emulator.portal;
  return portal.create(
    'contacts',
    portal.checkInput('contacts', { email: `person${++serial}@prefs.example`, firstname: 'Pat' }),
  );
}

function emailOf(object: StoredObject): string {
  return object.values.get('email')!;
}

async function statuses(fixture: HubSpotFixture, email: string) {
  const response = await fixture.client.communicationPreferences.statusApi.getEmailStatus(email);
  assert.equal(response.recipient, email);
  return new Map(response.subscriptionStatuses.map((s) => [s.id, s]));
}

interface BatchAnswer {
  status: string;
  results: { subscriberIdString: string; statuses?: Record<string, unknown>[] }[];
  numErrors?: number;
  errors?: Record<string, unknown>[];
  requestedAt: string;
  startedAt: string;
  completedAt: string;
}

interface V4Response {
  status: string;
  results: Record<string, unknown>[];
  startedAt: string;
  completedAt: string;
}

/** A v4 call through `client.apiRequest`: status and parsed JSON. */
async function v4(method: string, path: string): Promise<{ status: number; body: V4Response }> {
  const response = await hs.client.apiRequest({ method, path: `/communication-preferences/v4${path}` });
  return { status: response.status, body: (await response.json()) as V4Response };
}

describe('subscription definitions', () => {
  it('lists the portal subscription types', async () => {
    const { subscriptionDefinitions } = await hs.client.communicationPreferences.definitionApi.getPage();
    assert.deepEqual(subscriptionDefinitions.map((d) => d.name).sort(), [
      'Marketing Information',
      'One to One',
    ]);
    for (const d of subscriptionDefinitions) {
      assert.match(d.id, /^\d+$/);
      assert.equal(d.isActive, true);
      assert.ok(d.createdAt instanceof Date && !Number.isNaN(d.createdAt.getTime()));
      assert.equal(typeof d.description, 'string');
    }
    assert.notEqual(marketing, oneToOne);
  });
});

describe('v3 statuses, subscribe and unsubscribe', () => {
  it('subscribes and unsubscribes one subscription type, and refuses to resubscribe', async () => {
    const person = contact();
    const email = emailOf(person);
    const fresh = await statuses(hs, email);
    assert.equal(fresh.size, 2);
    assert.equal(fresh.get(marketing)?.status, 'NOT_SUBSCRIBED');
    assert.equal(fresh.get(marketing)?.sourceOfStatus, 'SUBSCRIPTION_STATUS');
    assert.equal(fresh.get(marketing)?.name, 'Marketing Information');

    const subscribed = await hs.client.communicationPreferences.statusApi.subscribe({
      emailAddress: email,
      subscriptionId: marketing,
      legalBasis: 'CONSENT_WITH_NOTICE' as never,
      legalBasisExplanation: 'Ticked the box on the signup form.',
    });
    assert.equal(subscribed.id, marketing);
    assert.equal(subscribed.status, 'SUBSCRIBED');
    assert.equal(subscribed.legalBasis, 'CONSENT_WITH_NOTICE');
    assert.equal(subscribed.legalBasisExplanation, 'Ticked the box on the signup form.');
    const after = await statuses(hs, email);
    assert.equal(after.get(marketing)?.status, 'SUBSCRIBED');
    assert.equal(after.get(oneToOne)?.status, 'NOT_SUBSCRIBED');

    const twice = await hsError(
      hs.client.communicationPreferences.statusApi.subscribe({
        emailAddress: email,
        subscriptionId: marketing,
      }),
    );
    assert.equal(twice.code, 400);
    assertHubSpotError(
      twice.body,
      'VALIDATION_ERROR',
      new RegExp(`is already subscribed to subscription ${marketing}`),
    );

    const unsubscribed = await hs.client.communicationPreferences.statusApi.unsubscribe({
      emailAddress: email,
      subscriptionId: marketing,
    });
    assert.equal(unsubscribed.status, 'NOT_SUBSCRIBED');
    assert.equal((await statuses(hs, email)).get(marketing)?.status, 'NOT_SUBSCRIBED');
    // Unsubscribing from one type is not unsubscribing from all.
    assert.equal(person.values.get('hs_email_optout'), undefined);

    const again = await hsError(
      hs.client.communicationPreferences.statusApi.unsubscribe({
        emailAddress: email,
        subscriptionId: marketing,
      }),
    );
    assert.equal(again.code, 400);
    assert.match(String(again.body.message), /already unsubscribed/);

    const resubscribe = await hsError(
      hs.client.communicationPreferences.statusApi.subscribe({
        emailAddress: email,
        subscriptionId: marketing,
      }),
    );
    assert.equal(resubscribe.code, 400);
    assertHubSpotError(resubscribe.body, 'VALIDATION_ERROR', /cannot be resubscribed/);
    assert.equal((await statuses(hs, email)).get(marketing)?.status, 'NOT_SUBSCRIBED');
  });
});

describe('unsubscribe from all (v4) and resubscribing', () => {
  it('sets hs_email_optout, unsubscribes every type, and v3 subscribe is refused until the contact resubscribes', async () => {
    const person = contact();
    const email = emailOf(person);
    await hs.client.communicationPreferences.statusApi.subscribe({
      emailAddress: email,
      subscriptionId: oneToOne,
    });
    const before = await v4('GET', `/statuses/${encodeURIComponent(email)}?channel=EMAIL`);
    assert.equal(before.status, 200);
    assert.equal(before.body.status, 'COMPLETE');
    const one = before.body.results.find((r) => String(r.subscriptionId) === oneToOne);
    assert.equal(one?.status, 'SUBSCRIBED');
    assert.equal(one?.channel, 'EMAIL');
    assert.equal(
      before.body.results.find((r) => String(r.subscriptionId) === marketing)?.status,
      'NOT_SPECIFIED',
    );
    const wideBefore = await v4(
      'GET',
      `/statuses/${encodeURIComponent(email)}/unsubscribe-all?channel=EMAIL`,
    );
    assert.deepEqual(wideBefore.body.results, []);

    now += 60_000;
    const optOut = await v4(
      'POST',
      `/statuses/${encodeURIComponent(email)}/unsubscribe-all?channel=EMAIL&verbose=true`,
    );
    assert.equal(optOut.status, 200);
    assert.equal(optOut.body.status, 'COMPLETE');
    assert.equal(optOut.body.results.length, 2);
    for (const r of optOut.body.results) {
      assert.equal(r.status, 'UNSUBSCRIBED');
      assert.equal(r.setStatusSuccessReason, 'UNSUBSCRIBE_FROM_ALL_OCCURRED');
    }

    // The CRM property follows, written by HubSpot itself (with history and a change event).
    assert.equal(person.values.get('hs_email_optout'), 'true');
    assert.equal(person.history?.get('hs_email_optout')?.[0]?.timestamp, now);
    assert.equal(person.updatedAt, now);

    const v3 = await statuses(hs, email);
    for (const id of [marketing, oneToOne]) {
      assert.equal(v3.get(id)?.status, 'NOT_SUBSCRIBED');
      assert.equal(v3.get(id)?.sourceOfStatus, 'PORTAL_WIDE_STATUS');
    }
    const wide = await v4('GET', `/statuses/${encodeURIComponent(email)}/unsubscribe-all?channel=EMAIL`);
    assert.equal(wide.body.results.length, 1);
    assert.equal(wide.body.results[0]?.wideStatusType, 'PORTAL_WIDE');
    assert.equal(wide.body.results[0]?.status, 'UNSUBSCRIBED');
    assert.equal(wide.body.results[0]?.timestamp, new Date(now).toISOString());
    const after = await v4('GET', `/statuses/${encodeURIComponent(email)}?channel=EMAIL`);
    assert.deepEqual(
      after.body.results.map((r) => r.status),
      ['UNSUBSCRIBED', 'UNSUBSCRIBED'],
    );
    // Query parameters given twice count once, as everywhere else.
    const again = await v4(
      'POST',
      `/statuses/${encodeURIComponent(email)}/unsubscribe-all?channel=EMAIL&channel=EMAIL&verbose=true&verbose=true`,
    );
    assert.equal(again.status, 200);
    assert.deepEqual(
      again.body.results.map((r) => r.setStatusSuccessReason),
      ['NO_STATUS_CHANGE', 'NO_STATUS_CHANGE'],
    );

    const refused = await hsError(
      hs.client.communicationPreferences.statusApi.subscribe({
        emailAddress: email,
        subscriptionId: marketing,
      }),
    );
    assert.equal(refused.code, 400);
    assertHubSpotError(
      refused.body,
      'VALIDATION_ERROR',
      /unsubscribed from all email and cannot be resubscribed/,
    );

    // Unsubscribing from all again is harmless.
    const twice = await v4('POST', `/statuses/${encodeURIComponent(email)}/unsubscribe-all?channel=EMAIL`);
    assert.equal(twice.status, 200);
    assert.deepEqual(twice.body.results, []);

    // The contact resubscribes themselves (admin): the opt-out clears and every type is subscribed.
    now += 60_000;
    const resubscribed = await hs.admin<{ hs_email_optout: string; contactId: string }>(
      'POST',
      '/resubscribe',
      {
        email: email.toUpperCase(),
      },
    );
    assert.equal(resubscribed.contactId, person.id);
    assert.equal(resubscribed.hs_email_optout, 'false');
    assert.equal(person.values.get('hs_email_optout'), 'false');
    const back = await statuses(hs, email);
    for (const id of [marketing, oneToOne]) {
      assert.equal(back.get(id)?.status, 'SUBSCRIBED');
      assert.equal(back.get(id)?.sourceOfStatus, 'SUBSCRIPTION_STATUS');
    }
    const wideAfter = await v4('GET', `/statuses/${encodeURIComponent(email)}/unsubscribe-all?channel=EMAIL`);
    assert.deepEqual(wideAfter.body.results, []);
    const alreadySubscribed = await hsError(
      hs.client.communicationPreferences.statusApi.subscribe({
        emailAddress: email,
        subscriptionId: marketing,
      }),
    );
    assert.match(String(alreadySubscribed.body.message), /already subscribed/);
  });

  it('keeps hs_email_optout read-only to the CRM objects API', () => {
    const person = contact();
    assert.throws(
      () => hs.emulator.portal.checkInput('contacts', { hs_email_optout: 'false' }),
      (error: unknown) => {
        assert.ok(error instanceof HubSpotError);
        assert.equal(error.status, 400);
        assert.equal(error.category, 'VALIDATION_ERROR');
        assert.match(error.message, /READ_ONLY_VALUE/);
        assert.match(error.message, /hs_email_optout/);
        return true;
      },
    );
    assert.equal(person.values.get('hs_email_optout'), undefined);
  });

  it('records an unsubscribe-all for an email no contact has', async () => {
    const email = `nobody${++serial}@prefs.example`;
    const response = await v4('POST', `/statuses/${email}/unsubscribe-all?channel=EMAIL`);
    assert.equal(response.status, 200);
    const v3 = await statuses(hs, email);
    assert.equal(v3.get(marketing)?.sourceOfStatus, 'PORTAL_WIDE_STATUS');
  });
});

describe('batch unsubscribe from all (v4)', () => {
  const BATCH = '/communication-preferences/v4/statuses/batch/unsubscribe-all';

  /** The batch through the official client's `apiRequest`: status and parsed JSON. */
  async function batch(query: string, inputs: unknown[]): Promise<{ status: number; body: BatchAnswer }> {
    const response = await hs.client.apiRequest({
      method: 'POST',
      path: `${BATCH}?${query}`,
      body: { inputs },
    });
    return { status: response.status, body: (await response.json()) as BatchAnswer };
  }

  it('answers as HubSpot documents it: 200 COMPLETE, a result per email unsubscribed, an error per email failed', async () => {
    const people = [contact(), contact()];
    const [first, second] = people.map(emailOf) as [string, string];
    now += 60_000;
    const nobody = `nobody${++serial}@prefs.example`;
    const response = await batch('channel=EMAIL', [first, nobody, second.toUpperCase(), 'not-an-email']);
    // The spec documents only 200 for this call (not 207, unlike batch/read): failures are in the body.
    assert.equal(response.status, 200);
    const body = response.body;
    assert.deepEqual(Object.keys(body).sort(), [
      'completedAt',
      'errors',
      'numErrors',
      'requestedAt',
      'results',
      'startedAt',
      'status',
    ]);
    assert.equal(body.status, 'COMPLETE');
    for (const at of [body.requestedAt, body.startedAt, body.completedAt]) {
      assert.equal(at, new Date(now).toISOString());
    }
    // Without verbose, a result is the email alone, as HubSpot keys it (lower-case).
    assert.deepEqual(body.results, [
      { subscriberIdString: first },
      { subscriberIdString: second.toLowerCase() },
    ]);
    assert.equal(body.numErrors, 2);
    const [unknown, invalid] = body.errors!;
    assert.deepEqual(unknown, {
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      message: `No contact has the email address ${nobody}.`,
      context: { subscriberIdString: [nobody] },
      errors: [{ message: `No contact has the email address ${nobody}.`, in: 'inputs' }],
      links: {},
    });
    assert.equal(invalid?.category, 'VALIDATION_ERROR');
    assert.deepEqual(invalid?.context, { subscriberIdString: ['not-an-email'] });
    assert.deepEqual(invalid?.errors, [
      { message: 'Invalid email address: "not-an-email"', code: 'INVALID_EMAIL', in: 'inputs' },
    ]);
    // Same effect as the single call: the read-only property, with its history.
    for (const person of people) {
      assert.equal(person.values.get('hs_email_optout'), 'true');
      assert.equal(person.history?.get('hs_email_optout')?.[0]?.timestamp, now);
    }
    const v3 = await statuses(hs, first);
    assert.equal(v3.get(marketing)?.sourceOfStatus, 'PORTAL_WIDE_STATUS');

    // verbose: each result has the email's statuses; already opted out is no change. None failed: no errors.
    const again = await batch('channel=EMAIL&verbose=true', [first, first.toUpperCase()]);
    assert.equal(again.status, 200);
    assert.equal(again.body.errors, undefined);
    assert.equal(again.body.numErrors, undefined);
    assert.equal(again.body.results.length, 1, 'an email given twice is unsubscribed once');
    const [result] = again.body.results;
    assert.equal(result?.subscriberIdString, first);
    assert.deepEqual(
      result?.statuses?.map((s) => [s.subscriberIdString, s.channel, s.status, s.setStatusSuccessReason]),
      [
        [first, 'EMAIL', 'UNSUBSCRIBED', 'NO_STATUS_CHANGE'],
        [first, 'EMAIL', 'UNSUBSCRIBED', 'NO_STATUS_CHANGE'],
      ],
    );
    assert.deepEqual(
      result?.statuses?.map((s) => String(s.subscriptionId)).sort(),
      [marketing, oneToOne].sort(),
    );

    // A fresh contact with verbose: the change itself.
    const fresh = emailOf(contact());
    const changed = await batch('channel=EMAIL&verbose=true', [fresh]);
    assert.deepEqual(
      changed.body.results[0]?.statuses?.map((s) => s.setStatusSuccessReason),
      ['UNSUBSCRIBE_FROM_ALL_OCCURRED', 'UNSUBSCRIBE_FROM_ALL_OCCURRED'],
    );
  });

  it('answers 403 MISSING_SCOPES in a portal without the batch scopes, changing nothing', async () => {
    const person = contact();
    try {
      await hs.admin('PUT', '/scopes', { batchSubscriptionScopes: false });
      const refused = await hs.raw('POST', `${BATCH}?channel=EMAIL`, { json: { inputs: [emailOf(person)] } });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.status, 'error');
      assert.equal(refused.body.category, 'MISSING_SCOPES');
      assert.match(String(refused.body.message), /hasn't been granted all required scopes/);
      assert.match(String(refused.body.correlationId), UUID);
      assert.equal(person.values.get('hs_email_optout'), undefined);
      // The single call still works.
      const single = await v4(
        'POST',
        `/statuses/${encodeURIComponent(emailOf(person))}/unsubscribe-all?channel=EMAIL`,
      );
      assert.equal(single.status, 200);
    } finally {
      await hs.admin('PUT', '/scopes', { batchSubscriptionScopes: true });
    }
    assert.deepEqual(await hs.admin('GET', '/scopes'), { batchSubscriptionScopes: true });
  });

  it('validates the batch: channel, inputs present, non-empty, at most 100, strings', async () => {
    const email = emailOf(contact());
    const tooMany = Array.from({ length: 101 }, (_, i) => `many${i}@prefs.example`);
    const cases: [string, unknown, RegExp][] = [
      [BATCH, { inputs: [email] }, /channel/],
      [`${BATCH}?channel=SMS`, { inputs: [email] }, /channel "SMS"/],
      [`${BATCH}?channel=EMAIL`, {}, /inputs is required/],
      [`${BATCH}?channel=EMAIL`, { inputs: [] }, /inputs is required/],
      [`${BATCH}?channel=EMAIL`, { inputs: email }, /inputs is required/],
      [`${BATCH}?channel=EMAIL`, { inputs: tooMany }, /at most 100/],
      [`${BATCH}?channel=EMAIL`, { inputs: [email, 7] }, /inputs\[1\] must be a string/],
    ];
    for (const [path, json, message] of cases) {
      const response = await hs.raw('POST', path, { json });
      assert.equal(response.status, 400, `${path} ${JSON.stringify(json).slice(0, 40)}`);
      assert.equal(response.body.status, 'error');
      assert.equal(response.body.category, 'VALIDATION_ERROR');
      assert.match(String(response.body.correlationId), UUID);
      assert.match(String(response.body.message), message);
    }
    const noBody = await hs.raw('POST', `${BATCH}?channel=EMAIL`, {
      text: '',
      contentType: 'application/json',
    });
    assert.equal(noBody.status, 400);
    const badAdmin = await hs.raw('PUT', '/__emulator/scopes', { json: { batchSubscriptionScopes: 'no' } });
    assert.equal(badAdmin.status, 400);
    // None of it opted anyone out.
    assert.equal(hs.emulator.portal.contactByEmail(email)?.values.get('hs_email_optout'), undefined);
  });
});

describe('seeded opted-out contacts', () => {
  let seeded: HubSpotFixture;
  before(async () => {
    seeded = await startHubSpot({ seedCount: 300, burstLimit: 100_000 });
  });
  after(() => seeded.close());

  it('read as unsubscribed from all, and cannot be resubscribed through v3', async () => {
    const contacts = [...seeded.emulator.portal.objects.contacts.values()];
    const optedOut = contacts.filter((c) => c.values.get('hs_email_optout') === 'true');
    const subscribed = contacts.find((c) => c.values.get('hs_email_optout') !== 'true')!;
    assert.ok(optedOut.length > 0, 'the seed has opted-out contacts');
    for (const person of optedOut.slice(0, 5)) {
      const email = emailOf(person);
      const v3 = await statuses(seeded, email);
      assert.deepEqual(
        [...v3.values()].map((s) => [s.status, s.sourceOfStatus]),
        [
          ['NOT_SUBSCRIBED', 'PORTAL_WIDE_STATUS'],
          ['NOT_SUBSCRIBED', 'PORTAL_WIDE_STATUS'],
        ],
      );
      const refused = await hsError(
        seeded.client.communicationPreferences.statusApi.subscribe({
          emailAddress: email,
          subscriptionId: marketing,
        }),
      );
      assert.equal(refused.code, 400);
    }
    const response = await seeded.client.apiRequest({
      method: 'GET',
      path: `/communication-preferences/v4/statuses/${emailOf(optedOut[0]!)}/unsubscribe-all?channel=EMAIL`,
    });
    const wide = (await response.json()) as V4Response;
    assert.equal(wide.results[0]?.status, 'UNSUBSCRIBED');

    const other = await statuses(seeded, emailOf(subscribed));
    assert.equal(other.get(marketing)?.sourceOfStatus, 'SUBSCRIPTION_STATUS');
  });
});

describe('bad input', () => {
  it('answers unknown subscription ids and invalid values through the client with HubSpot errors', async () => {
    const email = emailOf(contact());
    const unknown = await hsError(
      hs.client.communicationPreferences.statusApi.subscribe({ emailAddress: email, subscriptionId: '999' }),
    );
    assert.equal(unknown.code, 400);
    assertHubSpotError(unknown.body, 'VALIDATION_ERROR', /Subscription 999 does not exist/);
    const unknownUnsubscribe = await hsError(
      hs.client.communicationPreferences.statusApi.unsubscribe({
        emailAddress: email,
        subscriptionId: '999',
      }),
    );
    assert.equal(unknownUnsubscribe.code, 400);
    const badBasis = await hsError(
      hs.client.communicationPreferences.statusApi.subscribe({
        emailAddress: email,
        subscriptionId: marketing,
        legalBasis: 'BECAUSE' as never,
      }),
    );
    assert.equal(badBasis.code, 400);
    assert.match(String(badBasis.body.message), /legalBasis "BECAUSE"/);
    const badEmail = await hsError(
      hs.client.communicationPreferences.statusApi.getEmailStatus('not-an-email'),
    );
    assert.equal(badEmail.code, 400);
    assertHubSpotError(badEmail.body, 'VALIDATION_ERROR', /Invalid email address/);
    // None of these changed anything.
    assert.equal((await statuses(hs, email)).get(marketing)?.status, 'NOT_SUBSCRIBED');
  });

  it('answers malformed JSON, wrong content types and bad v4 parameters with HubSpot error bodies', async () => {
    const email = emailOf(contact());
    const cases: [string, string, string | undefined, string, number, RegExp][] = [
      [
        'POST',
        '/communication-preferences/v3/subscribe',
        '{"emailAddress":',
        'application/json',
        400,
        /Invalid input JSON/,
      ],
      [
        'POST',
        '/communication-preferences/v3/unsubscribe',
        `emailAddress=${email}`,
        'application/x-www-form-urlencoded',
        415,
        /content type/i,
      ],
      ['POST', '/communication-preferences/v3/subscribe', '[]', 'application/json', 400, /JSON object/],
      [
        'POST',
        '/communication-preferences/v3/subscribe',
        JSON.stringify({ subscriptionId: marketing }),
        'application/json',
        400,
        /emailAddress is required/,
      ],
      [
        'POST',
        '/communication-preferences/v3/subscribe',
        JSON.stringify({ emailAddress: email }),
        'application/json',
        400,
        /subscriptionId is required/,
      ],
      ['GET', `/communication-preferences/v4/statuses/${email}`, undefined, '', 400, /channel/],
      [
        'GET',
        `/communication-preferences/v4/statuses/${email}?channel=SMS`,
        undefined,
        '',
        400,
        /channel "SMS"/,
      ],
      [
        'POST',
        `/communication-preferences/v4/statuses/${email}/unsubscribe-all`,
        undefined,
        '',
        400,
        /channel/,
      ],
      [
        'POST',
        '/communication-preferences/v4/statuses/nobody/unsubscribe-all?channel=EMAIL',
        undefined,
        '',
        400,
        /email/,
      ],
      ['POST', '/__emulator/resubscribe', '{"email": 7}', 'application/json', 400, /email is required/],
      ['POST', '/__emulator/resubscribe', '{"email": "nope"}', 'application/json', 400, /Invalid email/],
    ];
    for (const [method, path, body, contentType, status, message] of cases) {
      const response = await hs.raw(method, path, { text: body, contentType });
      assert.equal(response.status, status, `${method} ${path}`);
      assert.match(String(response.contentType), /^application\/json/);
      assert.equal(response.body.status, 'error');
      assert.match(String(response.body.correlationId), UUID);
      assert.equal(typeof response.body.category, 'string');
      assert.match(String(response.body.message), message, `${method} ${path}`);
    }
    // The contact was never opted out by any of it.
    assert.equal(hs.emulator.portal.contactByEmail(email)?.values.get('hs_email_optout'), undefined);
  });
});
