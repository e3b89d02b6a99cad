/**
 * Contract suite of the HubSpot adapter (`HubSpotPort`, src/connectors/hubspot/hubspot-connector.ts)
 * against the real HubSpot emulator over loopback. Every test checks the adapter's `calls` against the
 * emulator's request log: each HTTP request counted exactly, retries included.
 *
 * Most tests share one clock between the emulator and the adapter (`now`), and the adapter's `sleep`
 * only moves that clock: pacing and waiting out 429s cost no real time.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHubSpot, type HubSpotFixture, type LoggedRequest } from '../helpers/hubspot.ts';
import type { HubSpotEmulatorOptions } from '../../src/emulators/hubspot/server.ts';
import { createHubSpotConnector } from '../../src/connectors/hubspot/hubspot-connector.ts';
import type { HsChange, HubSpotPort } from '../../src/connectors/ports.ts';
import { rejection } from '../helpers/connectors.ts';

const START = Date.parse('2025-03-01T12:00:00.000Z');

interface World {
  readonly hs: HubSpotFixture;
  readonly hubspot: HubSpotPort;
  /** The shared clock (epoch ms); `advance` moves it. */
  readonly clock: { now: number };
  readonly sleeps: number[];
  advance(ms: number): void;
  /** Runs `fn`; returns its result, the adapter's calls and the API requests the emulator logged. */
  measure<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number; logged: LoggedRequest[] }>;
}

const fixtures: HubSpotFixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});
after(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

/**
 * An emulator and an adapter. With `realClock` the emulator keeps `Date.now` (seeded contacts then get
 * spread-out timestamps) while the adapter's own clock stays fake.
 */
async function world(
  options: HubSpotEmulatorOptions & { realClock?: boolean; accessToken?: string } = {},
): Promise<World> {
  const clock = { now: START };
  const { realClock, accessToken, ...emulatorOptions } = options;
  const hs = await startHubSpot({
    seedCount: 0,
    ...emulatorOptions,
    ...(realClock ? {} : { now: () => clock.now }),
  });
  fixtures.push(hs);
  const sleeps: number[] = [];
  const hubspot = createHubSpotConnector({
    accessToken: accessToken ?? hs.emulator.accessToken,
    baseUrl: hs.emulator.url,
    now: () => clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  });
  return {
    hs,
    hubspot,
    clock,
    sleeps,
    advance: (ms) => {
      clock.now += ms;
    },
    async measure<T>(fn: () => Promise<T>) {
      const before = (await hs.requests(1000)).length;
      const callsBefore = hubspot.calls;
      const result = await fn();
      const log = await hs.requests(1000);
      assert.ok(log.length < 1000, 'the request log overflowed: measure less at once');
      return { result, calls: hubspot.calls - callsBefore, logged: log.slice(before) };
    },
  };
}

/** Contacts `n` of them, `prefix-i@example.com`, with a first and last name. */
const people = (n: number, prefix = 'p') =>
  Array.from({ length: n }, (_, i) => ({
    email: `${prefix}-${i}@example.com`,
    properties: { firstname: `First${i}`, lastname: `Last${i}` },
  }));

async function collect(iterable: AsyncIterable<readonly HsChange[]>): Promise<HsChange[][]> {
  const pages: HsChange[][] = [];
  for await (const page of iterable) pages.push([...page]);
  return pages;
}

const ok = (id: string) => ({ ok: true as const, id });

describe('HubSpot adapter: metadata', () => {
  it('reads contact properties in one call', async () => {
    const w = await world();
    const { result, calls, logged } = await w.measure(() => w.hubspot.properties());
    assert.equal(calls, 1);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!.path, /^\/crm\/v3\/properties\/contacts/);
    const byName = new Map(result.map((p) => [p.name, p]));
    assert.deepEqual(byName.get('email'), {
      name: 'email',
      type: 'string',
      fieldType: 'text',
      options: [],
      referencesUsers: false,
      readOnlyValue: false,
    });
    assert.equal(byName.get('hubspot_owner_id')?.referencesUsers, true);
    assert.ok(byName.get('lifecyclestage')?.options.includes('lead'));
    // F11: option labels, for value-map suggestions.
    assert.equal(byName.get('hs_lead_status')?.optionLabels?.IN_PROGRESS, 'In Progress');
    assert.equal(byName.get('lastmodifieddate')?.readOnlyValue, true);
    assert.equal(byName.get('lastmodifieddate')?.type, 'datetime');
  });

  it('reads active and archived owners (one page each)', async () => {
    const w = await world();
    const { result, calls, logged } = await w.measure(() => w.hubspot.owners());
    assert.equal(calls, 2);
    assert.equal(logged.length, 2);
    assert.deepEqual(
      logged.map((r) => /archived=(\w+)/.exec(r.path)?.[1]),
      ['false', 'true'],
    );
    const expected = w.hs.emulator.portal.owners;
    assert.equal(result.length, expected.length);
    for (const owner of expected) {
      assert.deepEqual(
        result.find((o) => o.id === owner.id),
        { id: owner.id, email: owner.email, archived: owner.archived },
      );
    }
  });
});

describe('HubSpot adapter: writes', () => {
  it('B3: upserts 250 contacts in 3 calls, in input order, and upserting again creates no duplicate', async () => {
    const w = await world();
    const inputs = people(250);
    const first = await w.measure(() => w.hubspot.upsertByEmail(inputs));
    assert.equal(first.calls, 3);
    assert.deepEqual(
      first.logged.map((r) => [r.method, r.path, r.status]),
      Array(3).fill(['POST', '/crm/v3/objects/contacts/batch/upsert', 200]),
    );
    assert.equal(first.result.length, 250);
    assert.ok(first.result.every((o) => o.ok));
    const ids = first.result.map((o) => (o.ok ? o.id : ''));
    assert.equal(new Set(ids).size, 250);
    for (const [i, id] of ids.entries()) {
      assert.equal(w.hs.emulator.portal.get('contacts', id)?.values.get('email'), inputs[i]!.email);
    }

    // Again, reversed and with the emails in other case: the same contacts, in the new input order.
    const again = [...inputs].reverse().map((p) => ({ ...p, email: p.email.toUpperCase() }));
    const second = await w.measure(() => w.hubspot.upsertByEmail(again));
    assert.equal(second.calls, 3);
    assert.deepEqual(second.result, [...ids].reverse().map(ok));
    assert.equal(w.hs.emulator.portal.objects.contacts.size, 250);
  });

  it('gives each failed upsert its own outcome (207 multi-status) with the validation code', async () => {
    const w = await world();
    const { result, calls, logged } = await w.measure(() =>
      w.hubspot.upsertByEmail([
        { email: 'good-1@example.com', properties: { firstname: 'One' } },
        { email: 'bad@example.com', properties: { lifecyclestage: 'not-a-stage' } },
        { email: 'good-2@example.com', properties: { numemployees: 'many' } },
        { email: 'good-3@example.com', properties: { firstname: 'Three' } },
      ]),
    );
    assert.equal(calls, 1);
    assert.equal(logged[0]!.status, 207);
    assert.equal(result[0]!.ok, true);
    assert.equal(result[3]!.ok, true);
    const bad = result[1]!;
    assert.ok(!bad.ok);
    assert.equal(bad.code, 'INVALID_OPTION');
    assert.deepEqual(bad.fields, ['lifecyclestage']);
    assert.match(bad.message, /not-a-stage/);
    const notNumber = result[2]!;
    assert.ok(!notNumber.ok);
    assert.equal(notNumber.code, 'INVALID_LONG');
    assert.deepEqual(notNumber.fields, ['numemployees']);
    assert.equal(w.hs.emulator.portal.contactByEmail('bad@example.com'), undefined);
  });

  it('round-trips values with quotes, backslashes and unicode', async () => {
    const w = await world();
    const odd = {
      firstname: 'Zoë "Z" O\'Brien',
      lastname: 'back\\slash \\" \\\\ end\\',
      city: '東京 — Ünïcødé 🙂 \u00a0 tab\tnew\nline',
      description: '{"json": [1, "two"]} %s %d ${x} <b>&amp;</b>',
    };
    const [upserted] = await w.hubspot.upsertByEmail([{ email: 'Odd.Person@Example.com', properties: odd }]);
    assert.ok(upserted?.ok);
    const [byEmail] = await w.hubspot.byEmails(['odd.person@example.com'], ['email', ...Object.keys(odd)]);
    assert.equal(byEmail?.id, upserted.id);
    for (const [name, value] of Object.entries(odd)) assert.equal(byEmail?.properties[name], value, name);
    assert.equal(byEmail?.properties.email, 'odd.person@example.com');

    const changed = { lastname: '"quoted" \\ again ✓', city: '' };
    const { result, calls } = await w.measure(() =>
      w.hubspot.update([{ id: upserted.id, properties: changed }]),
    );
    assert.equal(calls, 1);
    assert.deepEqual(result, [ok(upserted.id)]);
    const [read] = await w.hubspot.byIds([upserted.id], ['lastname', 'city', 'firstname']);
    assert.equal(read?.properties.lastname, changed.lastname);
    assert.equal(read?.properties.city ?? '', '', 'an empty string clears the value');
    assert.equal(read?.properties.firstname, odd.firstname);
  });

  it('B3: updates by id in batches of 100; unknown ids and invalid values fail alone', async () => {
    const w = await world();
    const created = await w.hubspot.upsertByEmail(people(150));
    const ids = created.map((o) => (o.ok ? o.id : ''));
    const inputs = ids.map((id, i) => ({ id, properties: { jobtitle: `Title ${i}` } }));
    const all = await w.measure(() => w.hubspot.update(inputs));
    assert.equal(all.calls, 2);
    assert.deepEqual(all.result, ids.map(ok));
    assert.equal(w.hs.emulator.portal.get('contacts', ids[149]!)?.values.get('jobtitle'), 'Title 149');

    // An unknown id: 207, the others written.
    const missing = await w.measure(() =>
      w.hubspot.update([
        { id: ids[0]!, properties: { jobtitle: 'A' } },
        { id: '987654321', properties: { jobtitle: 'B' } },
      ]),
    );
    assert.equal(missing.calls, 1);
    assert.deepEqual(missing.result[0], ok(ids[0]!));
    assert.equal(missing.result[1]!.ok, false);
    assert.equal(!missing.result[1]!.ok && missing.result[1]!.code, 'OBJECT_NOT_FOUND');

    // An invalid value fails HubSpot's whole batch: the adapter halves it until the bad input is alone.
    const five = ids.slice(0, 5).map((id, i) => ({
      id,
      properties: i === 2 ? { lifecyclestage: 'bogus' } : { jobtitle: `Five ${i}` },
    }));
    const split = await w.measure(() => w.hubspot.update(five));
    // [0..4] refused → [0..2] refused → [0,1] ok, [2] refused; [3,4] ok.
    assert.equal(split.calls, 5);
    assert.equal(split.logged.length, 5);
    assert.deepEqual(
      split.logged.map((r) => r.status),
      [400, 400, 200, 400, 200],
    );
    assert.deepEqual(
      split.result.map((o) => o.ok),
      [true, true, false, true, true],
    );
    const bad = split.result[2]!;
    assert.ok(!bad.ok);
    assert.equal(bad.code, 'INVALID_OPTION');
    assert.deepEqual(bad.fields, ['lifecyclestage']);
    assert.equal(w.hs.emulator.portal.get('contacts', ids[4]!)?.values.get('jobtitle'), 'Five 4');
  });

  it('unsubscribes an email from all email (communication preferences v4) in one call', async () => {
    const w = await world();
    const [created] = await w.hubspot.upsertByEmail([
      { email: 'leaving@example.com', properties: { firstname: 'Leaving' } },
    ]);
    assert.ok(created?.ok);
    const [before] = await w.hubspot.byIds([created.id], ['firstname']);
    assert.equal(before?.optedOut, false);
    const { result, calls, logged } = await w.measure(() => w.hubspot.unsubscribeAll('leaving@example.com'));
    assert.equal(calls, 1);
    assert.equal(logged[0]!.method, 'POST');
    assert.match(
      logged[0]!.path,
      /^\/communication-preferences\/v4\/statuses\/leaving%40example\.com\/unsubscribe-all\?channel=EMAIL$/,
    );
    assert.equal(result.ok, true);
    const [afterwards] = await w.hubspot.byIds([created.id], ['firstname']);
    assert.equal(afterwards?.optedOut, true);
    assert.equal(afterwards?.properties.hs_email_optout, 'true');
    // Again: nothing changes, still fine.
    assert.equal((await w.hubspot.unsubscribeAll('LEAVING@example.com')).ok, true);
    // An invalid address is refused as a value.
    const refused = await w.hubspot.unsubscribeAll('not an email');
    assert.equal(refused.ok, false);
  });

  it('O1, B3: unsubscribes 250 emails through the v4 batch in 3 calls, one outcome per email in input order', async () => {
    const w = await world({ burstLimit: 100_000 });
    const inputs = people(250, 'many');
    assert.ok((await w.hubspot.upsertByEmail(inputs)).every((o) => o.ok));
    // Given in other case: outcomes still come back per email, keyed as given.
    const emails = inputs.map((p, i) => (i % 7 === 0 ? p.email.toUpperCase() : p.email));
    const { result, calls, logged } = await w.measure(() => w.hubspot.unsubscribeAllMany(emails));
    assert.equal(calls, 3);
    assert.equal(logged.length, 3);
    for (const entry of logged) {
      assert.equal(entry.method, 'POST');
      assert.equal(
        entry.path,
        '/communication-preferences/v4/statuses/batch/unsubscribe-all?channel=EMAIL&verbose=true',
      );
      assert.equal(entry.status, 200);
    }
    assert.deepEqual(
      result,
      emails.map((email) => ok(email)),
    );
    const portal = w.hs.emulator.portal;
    for (const p of inputs)
      assert.equal(portal.contactByEmail(p.email)?.values.get('hs_email_optout'), 'true');
    // Nothing to do: no call.
    const none = await w.measure(() => w.hubspot.unsubscribeAllMany([]));
    assert.deepEqual(none.result, []);
    assert.equal(none.calls, 0);
    assert.equal(none.logged.length, 0);
  });

  it('fails an unknown or invalid email alone (errors of a 200 answer) while the others in the batch are unsubscribed', async () => {
    const w = await world();
    const inputs = people(3, 'mixed');
    await w.hubspot.upsertByEmail(inputs);
    const emails = [
      inputs[0]!.email,
      'nobody@example.com',
      inputs[1]!.email,
      'not an email',
      inputs[2]!.email,
    ];
    const { result, calls, logged } = await w.measure(() => w.hubspot.unsubscribeAllMany(emails));
    assert.equal(calls, 1);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.status, 200);
    assert.deepEqual(
      result.map((o) => o.ok),
      [true, false, true, false, true],
    );
    assert.deepEqual(result[0], ok(inputs[0]!.email));
    const unknown = result[1]!;
    assert.ok(!unknown.ok);
    assert.equal(unknown.code, 'OBJECT_NOT_FOUND');
    assert.match(unknown.message, /nobody@example\.com/);
    const invalid = result[3]!;
    assert.ok(!invalid.ok);
    assert.equal(invalid.code, 'INVALID_EMAIL');
    assert.match(invalid.message, /not an email/);
    for (const p of inputs) {
      assert.equal(w.hs.emulator.portal.contactByEmail(p.email)?.values.get('hs_email_optout'), 'true');
    }
  });

  it('falls back to one call per email on 403 MISSING_SCOPES, and remembers it', async () => {
    const w = await world();
    const inputs = people(4, 'scopeless');
    await w.hubspot.upsertByEmail(inputs);
    await w.hs.admin('PUT', '/scopes', { batchSubscriptionScopes: false });
    const first = inputs.slice(0, 3).map((p) => p.email);
    const { result, calls, logged } = await w.measure(() => w.hubspot.unsubscribeAllMany(first));
    assert.equal(calls, 4);
    assert.deepEqual(
      logged.map((l) => [l.method, l.path, l.status]),
      [
        [
          'POST',
          '/communication-preferences/v4/statuses/batch/unsubscribe-all?channel=EMAIL&verbose=true',
          403,
        ],
        ...first.map((email) => [
          'POST',
          `/communication-preferences/v4/statuses/${encodeURIComponent(email)}/unsubscribe-all?channel=EMAIL`,
          200,
        ]),
      ],
    );
    assert.deepEqual(
      result,
      first.map((email) => ok(email)),
    );
    // The batch is not tried again for the rest of the adapter's life.
    const rest = [inputs[3]!.email, inputs[0]!.email];
    const again = await w.measure(() => w.hubspot.unsubscribeAllMany(rest));
    assert.equal(again.calls, 2);
    assert.equal(again.logged.length, 2);
    assert.ok(again.logged.every((l) => !l.path.includes('/batch/')));
    assert.deepEqual(
      again.result,
      rest.map((email) => ok(email)),
    );
    for (const p of inputs) {
      assert.equal(w.hs.emulator.portal.contactByEmail(p.email)?.values.get('hs_email_optout'), 'true');
    }
  });

  it('reads outcomes off the documented answer alone: results in any case, errors by context, an unfinished batch fails the rest', async () => {
    // A stand-in for HubSpot on loopback, answering two batch calls with shapes the spec allows and
    // the emulator never gives: PROCESSING with part of the work done, then COMPLETE with an email left out.
    const answers = [
      {
        status: 'PROCESSING',
        results: [{ subscriberIdString: 'two@example.com' }],
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'VALIDATION_ERROR',
            message: 'Invalid email',
            context: { emails: ['THREE@example.com'] },
            errors: [{ message: 'Invalid email', code: 'INVALID_EMAIL' }],
            links: {},
          },
        ],
        requestedAt: '2025-03-01T12:00:00.000Z',
        startedAt: '2025-03-01T12:00:00.000Z',
        completedAt: '2025-03-01T12:00:00.100Z',
      },
      {
        status: 'COMPLETE',
        results: [{ subscriberIdString: 'five@example.com', statuses: [] }],
        startedAt: '2025-03-01T12:00:01.000Z',
        completedAt: '2025-03-01T12:00:01.100Z',
      },
    ];
    const received: { url: string; inputs: unknown }[] = [];
    const server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        received.push({ url: request.url ?? '', inputs: (JSON.parse(text) as { inputs: unknown }).inputs });
        response.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
        response.end(JSON.stringify(answers[received.length - 1]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const hubspot = createHubSpotConnector({
        accessToken: 'pat-stand-in',
        baseUrl: `http://127.0.0.1:${port}`,
        now: () => START,
        sleep: () => Promise.resolve(),
      });
      const first = await hubspot.unsubscribeAllMany([
        'one@example.com',
        'Two@Example.com',
        'three@example.com',
        'four@example.com',
      ]);
      assert.deepEqual(first[1], ok('Two@Example.com'));
      for (const i of [0, 3]) {
        const outcome = first[i]!;
        assert.ok(!outcome.ok);
        assert.equal(outcome.code, 'BATCH_PROCESSING');
      }
      const invalid = first[2]!;
      assert.ok(!invalid.ok);
      assert.equal(invalid.code, 'INVALID_EMAIL');

      const second = await hubspot.unsubscribeAllMany(['five@example.com', 'six@example.com']);
      assert.deepEqual(second[0], ok('five@example.com'));
      const missing = second[1]!;
      assert.ok(!missing.ok);
      assert.equal(missing.code, 'MISSING_RESULT');
      assert.match(missing.message, /six@example\.com/);
      assert.deepEqual(
        received.map((r) => r.url),
        Array(2).fill(
          '/communication-preferences/v4/statuses/batch/unsubscribe-all?channel=EMAIL&verbose=true',
        ),
      );
      assert.deepEqual(received[1]!.inputs, ['five@example.com', 'six@example.com']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('archives a contact in one call; reads leave it out', async () => {
    const w = await world();
    const created = await w.hubspot.upsertByEmail(people(2, 'gone'));
    const [a, b] = created.map((o) => (o.ok ? o.id : ''));
    const { result, calls, logged } = await w.measure(() => w.hubspot.archive(a!));
    assert.equal(calls, 1);
    assert.deepEqual([logged[0]!.method, logged[0]!.status], ['DELETE', 204]);
    assert.deepEqual(result, ok(a!));
    const read = await w.measure(() => w.hubspot.byIds([a!, b!], ['email']));
    assert.equal(read.calls, 1);
    assert.deepEqual(
      read.result.map((c) => c.id),
      [b],
    );
  });

  it('makes a company the primary one (associations v4, type 1) in one call', async () => {
    const w = await world();
    const [contact] = await w.hubspot.upsertByEmail([{ email: 'assoc@example.com', properties: {} }]);
    assert.ok(contact?.ok);
    const contactId: string = contact.id;
    const companyA = await w.hs.client.crm.companies.basicApi.create({
      properties: { name: 'A' },
      associations: [],
    });
    const companyB = await w.hs.client.crm.companies.basicApi.create({
      properties: { name: 'B' },
      associations: [],
    });
    for (const company of [companyA, companyB]) {
      const companyId: string = company.id;
      const { result, calls, logged } = await w.measure(() =>
        w.hubspot.setPrimaryCompany(contactId, companyId),
      );
      assert.equal(calls, 1);
      assert.deepEqual([logged[0]!.method, logged[0]!.status], ['PUT', 201]);
      assert.match(
        logged[0]!.path,
        new RegExp(`/crm/v4/objects/contacts/${contact.id}/associations/companies/${company.id}`),
      );
      assert.deepEqual(result, ok(contact.id));
    }
    const listed = await w.hs.raw('GET', `/crm/v4/objects/contacts/${contact.id}/associations/companies`);
    const results = listed.body.results as {
      toObjectId: number | string;
      associationTypes: { typeId: number }[];
    }[];
    const primaryOf = (id: string) =>
      results.find((r) => String(r.toObjectId) === id)?.associationTypes.some((t) => t.typeId === 1);
    assert.equal(primaryOf(companyB.id), true);
    assert.equal(primaryOf(companyA.id), false, 'a contact has one primary company');

    const unknown = await w.hubspot.setPrimaryCompany(contact.id, '999999999');
    assert.equal(unknown.ok, false);
  });
});

describe('HubSpot adapter: reads', () => {
  it('reads 120 contacts by id with history in 3 calls (50 a call), without in 2', async () => {
    const w = await world();
    const created = await w.hubspot.upsertByEmail(people(120));
    const ids = created.map((o) => (o.ok ? o.id : ''));
    const firstWrite = w.clock.now;
    w.advance(60_000);
    await w.hubspot.update(ids.map((id) => ({ id, properties: { lastname: 'Changed' } })));
    const secondWrite = w.clock.now;

    const withHistory = await w.measure(() => w.hubspot.byIds(ids, ['firstname', 'lastname'], ['firstname']));
    assert.equal(withHistory.calls, 3);
    assert.equal(withHistory.logged.length, 3);
    assert.equal(withHistory.result.length, 120);
    const first = withHistory.result.find((c) => c.id === ids[7]);
    assert.deepEqual(
      { firstname: first?.properties.firstname, lastname: first?.properties.lastname },
      { firstname: 'First7', lastname: 'Changed' },
    );
    assert.equal(first?.changedAt.firstname, firstWrite, 'from property history');
    assert.equal(first?.changedAt.lastname, secondWrite, 'from updatedAt');
    assert.equal(first?.optedOut, false);
    assert.equal(first?.primaryCompanyId, null);

    const plain = await w.measure(() => w.hubspot.byIds(ids, ['firstname']));
    assert.equal(plain.calls, 2);
    assert.equal(plain.result.length, 120);
    assert.equal(plain.result[0]!.changedAt.firstname, secondWrite);
  });

  it('reads by email (idProperty=email), case-insensitively; unknown ones are left out', async () => {
    const w = await world();
    const created = await w.hubspot.upsertByEmail(people(3, 'mail'));
    const { result, calls, logged } = await w.measure(() =>
      w.hubspot.byEmails(
        ['MAIL-0@example.com', 'mail-2@example.com', 'nobody@example.com'],
        ['firstname'],
        ['firstname'],
      ),
    );
    assert.equal(calls, 1);
    assert.equal(logged[0]!.status, 207);
    assert.deepEqual(
      result.map((c) => c.id).sort(),
      [created[0], created[2]].map((o) => (o?.ok ? o.id : '')).sort(),
    );
    assert.ok(result.every((c) => typeof c.changedAt.firstname === 'number'));
  });

  it('reads opt-outs from hs_email_optout even when not asked for', async () => {
    const w = await world({ seedCount: 200 });
    const optedOut = [...w.hs.emulator.portal.objects.contacts.values()].filter(
      (c) => c.values.get('hs_email_optout') === 'true',
    );
    assert.ok(optedOut.length > 0);
    const read = await w.hubspot.byIds(
      optedOut.map((c) => c.id),
      ['firstname'],
    );
    assert.equal(read.length, optedOut.length);
    assert.ok(read.every((c) => c.optedOut));
  });

  it('lists the members of a list, paging 250 at a time', async () => {
    const w = await world();
    const seeded = await w.hs.admin<{ created: { segmentId: string; segmentMembers: number } }>(
      'POST',
      '/seed',
      { count: 1000 },
    );
    const segment = { listId: seeded.created.segmentId };
    const { result, calls } = await w.measure(() => w.hubspot.listMembers(segment.listId));
    const expected = [...w.hs.emulator.portal.objects.contacts.values()].filter((c) =>
      ['lead', 'marketingqualifiedlead'].includes(c.values.get('lifecyclestage') ?? ''),
    );
    assert.equal(result.size, expected.length);
    assert.equal(result.size, seeded.created.segmentMembers);
    for (const c of expected) assert.ok(result.has(c.id));
    assert.equal(calls, Math.ceil(expected.length / 250) + (expected.length % 250 === 0 ? 1 : 0));
  });

  it('pages changed contacts oldest first from `since`, 200 a page', async () => {
    const w = await world();
    await w.hubspot.upsertByEmail(people(50, 'old'));
    w.advance(1000);
    const since = w.clock.now;
    const recent: string[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const outcomes = await w.hubspot.upsertByEmail(people(90, `new${batch}`));
      recent.push(...outcomes.map((o) => (o.ok ? o.id : '')));
      w.advance(10);
    }
    const { result, calls, logged } = await w.measure(() =>
      collect(w.hubspot.changedSince(since, ['email'])),
    );
    assert.equal(calls, 3);
    assert.equal(logged.length, 3);
    // Keyset paging: each search starts again at the last instant of the page before and re-reads
    // what it holds (20 contacts, then 90), leaving them out of the page.
    assert.deepEqual(
      result.map((page) => page.length),
      [200, 180, 70],
    );
    const changes = result.flat();
    assert.deepEqual(changes.map((c) => c.contact.id).sort(), [...recent].sort());
    for (let i = 1; i < changes.length; i++) assert.ok(changes[i]!.stamp >= changes[i - 1]!.stamp);
    assert.equal(changes[0]!.stamp, since);
    assert.ok(changes[0]!.contact.properties.email?.startsWith('new0-'));
  });

  it('a write to a page’s contacts before the next page is asked for makes the poll skip none', async () => {
    const w = await world();
    const ids: string[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const outcomes = await w.hubspot.upsertByEmail(people(90, `paged${batch}`));
      ids.push(...outcomes.map((o) => (o.ok ? o.id : '')));
      w.advance(10);
    }
    const seen: string[] = [];
    let pages = 0;
    for await (const page of w.hubspot.changedSince(0, ['email'])) {
      seen.push(...page.map((c) => c.contact.id));
      // As the engine does: write to the page's contacts, which moves them to the end of the order.
      if (pages++ === 0) {
        w.advance(1000);
        await w.hubspot.update(page.map((c) => ({ id: c.contact.id, properties: { jobtitle: 'Seen' } })));
      }
    }
    assert.deepEqual([...new Set(seen)].sort(), [...ids].sort(), 'every contact was read');
    // The written ones come back once, at the end (the engine recognises its own writes: F10).
    assert.equal(seen.length, ids.length + 200);
  });

  it('pages past search’s 10,000-result cap: over 10,000 contacts in one instant are paged by id', async () => {
    // The emulator's clock stands still, so every seeded contact shares one millisecond: the worst
    // case for paging by date. Search limits are lifted; the adapter's own pacing is all that applies.
    const w = await world({ searchPerSecond: 10_000 });
    const seeded = await w.hs.admin<{ created: { contacts: number } }>('POST', '/seed', { count: 15_300 });
    const total = seeded.created.contacts;
    assert.ok(total >= 10_050, `seeded ${total}`);
    const { result, calls, logged } = await w.measure(() => collect(w.hubspot.changedSince(0, ['email'])));
    const changes = result.flat();
    const ids = changes.map((c) => c.contact.id);
    assert.equal(new Set(ids).size, ids.length, 'no contact twice');
    assert.equal(ids.length, total, 'every contact once');
    assert.equal(calls, logged.length);
    assert.ok(logged.every((r) => r.status === 200 && r.path === '/crm/v3/objects/contacts/search'));
    // One search by date finds a whole page in one instant; then the instant is read by id, 200 a
    // page (one more when the count is a multiple of 200), and one last search finds nothing after it.
    const byId = Math.floor(total / 200) + 1;
    assert.equal(calls, 1 + byId + 1, `calls ${calls}`);
    assert.ok(w.sleeps.length > 0, 'searches were paced to 5 a second');
  });
});

describe('HubSpot adapter: companies and primary companies (K1)', () => {
  /** An 18-character Salesforce Account id, `001…`, for `n`. */
  const accountId = (n: number) => `001${String(n).padStart(12, '0')}AAA`;

  /** Creates a company straight in the portal (no API request) and returns its id. */
  function company(w: World, properties: Record<string, string>): string {
    const portal = w.hs.emulator.portal;
    return portal.create('companies', portal.checkInput('companies', properties)).id;
  }

  function contact(w: World, email: string): string {
    const portal = w.hs.emulator.portal;
    return portal.create('contacts', portal.checkInput('contacts', { email })).id;
  }

  it('K1, B3: finds companies by salesforceaccountid, 100 ids a search; only exact matches', async () => {
    const w = await world();
    const companies = Array.from({ length: 150 }, (_, i) =>
      company(w, {
        name: `Company ${i}`,
        salesforceaccountid: accountId(i),
        ...(i % 2 === 0 ? { domain: `company-${i}.example` } : {}),
      }),
    );
    // A second company with the same account id: both are found (the engine picks one, K1).
    const twin = company(w, { name: 'Twin', salesforceaccountid: accountId(5) });
    // The same letters in other case: search finds it (it compares case-insensitively), the adapter drops it.
    company(w, { name: 'Other case', salesforceaccountid: accountId(6).toLowerCase() });
    company(w, { name: 'No account', domain: 'company-0.example' });

    const asked = [
      ...Array.from({ length: 150 }, (_, i) => accountId(i)),
      ...Array.from({ length: 100 }, (_, i) => accountId(1000 + i)), // none has these
      accountId(3), // a repeat costs nothing
      '',
    ];
    const { result, calls, logged } = await w.measure(() => w.hubspot.companiesByAccountIds(asked));
    assert.equal(calls, 3);
    assert.deepEqual(
      logged.map((r) => [r.method, r.path, r.status]),
      Array(3).fill(['POST', '/crm/v3/objects/companies/search', 200]),
    );
    assert.equal(result.length, 151);
    const byId = new Map(result.map((c) => [c.id, c]));
    for (const [i, id] of companies.entries()) {
      assert.deepEqual(byId.get(id), {
        id,
        salesforceAccountId: accountId(i),
        domain: i % 2 === 0 ? `company-${i}.example` : null,
      });
    }
    assert.deepEqual(byId.get(twin), { id: twin, salesforceAccountId: accountId(5), domain: null });

    const none = await w.measure(() => w.hubspot.companiesByAccountIds([]));
    assert.deepEqual(none.result, []);
    assert.equal(none.calls, 0);
  });

  it('K1, B3: reads companies by id, 100 a call; unknown ids are left out', async () => {
    const w = await world();
    const ids = Array.from({ length: 120 }, (_, i) =>
      company(w, {
        name: `Read ${i}`,
        ...(i % 3 === 0 ? {} : { salesforceaccountid: accountId(i) }),
        ...(i % 4 === 0 ? { domain: `read-${i}.example` } : {}),
      }),
    );
    const { result, calls, logged } = await w.measure(() =>
      w.hubspot.companiesByIds([...ids, '987654321', 'not-a-number', ids[0]!]),
    );
    // 121 numeric ids → 100 + 21; the unknown one makes the second call a 207.
    assert.equal(calls, 2);
    assert.deepEqual(
      logged.map((r) => [r.method, r.path, r.status]),
      [
        ['POST', '/crm/v3/objects/companies/batch/read', 200],
        ['POST', '/crm/v3/objects/companies/batch/read', 207],
      ],
    );
    assert.equal(result.length, 120);
    const byId = new Map(result.map((c) => [c.id, c]));
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(byId.get(id), {
        id,
        salesforceAccountId: i % 3 === 0 ? null : accountId(i),
        domain: i % 4 === 0 ? `read-${i}.example` : null,
      });
    }
  });

  it('K1, B3: creates companies 100 a call, outcomes in input order; a refused input is an outcome', async () => {
    const w = await world();
    const inputs = Array.from({ length: 150 }, (_, i) => ({
      // HubSpot refuses a string value over 65,536 characters.
      name: i === 3 ? 'x'.repeat(70_000) : `New ${i} "Quoted" \\ Zoë`,
      domain: i % 5 === 0 ? null : `new-${i}.example`,
      salesforceAccountId: accountId(i),
    }));
    const { result, calls, logged } = await w.measure(() => w.hubspot.createCompanies(inputs));
    // Each input carries an objectWriteTraceId, so the refused one does not sink its batch: 207.
    assert.equal(calls, 2);
    assert.deepEqual(
      logged.map((r) => [r.method, r.path, r.status]),
      [
        ['POST', '/crm/v3/objects/companies/batch/create', 207],
        ['POST', '/crm/v3/objects/companies/batch/create', 201],
      ],
    );
    assert.equal(result.length, 150);
    const refused = result[3]!;
    assert.ok(!refused.ok);
    assert.equal(refused.code, 'INVALID_STRING');
    assert.deepEqual(refused.fields, ['name']);
    const portal = w.hs.emulator.portal;
    assert.equal(portal.objects.companies.size, 149);
    for (const [i, outcome] of result.entries()) {
      if (i === 3) continue;
      assert.ok(outcome.ok, JSON.stringify(outcome));
      const stored = portal.get('companies', outcome.id);
      assert.equal(stored?.values.get('name'), inputs[i]!.name);
      assert.equal(stored?.values.get('salesforceaccountid'), accountId(i));
      assert.equal(stored?.values.get('domain'), inputs[i]!.domain ?? undefined);
    }
    assert.equal(new Set(result.map((o) => (o.ok ? o.id : ''))).size, 150);

    // What was created is found by account id (the emulator has no indexing lag).
    const found = await w.hubspot.companiesByAccountIds([accountId(0), accountId(3), accountId(149)]);
    assert.deepEqual(found.map((c) => c.salesforceAccountId).sort(), [accountId(0), accountId(149)]);
  });

  it('K1: a create answered with a 5xx is not sent again (it may have been done): ConnectorError', async () => {
    const w = await world();
    await w.hs.admin('POST', '/faults', { kind: 'status', status: 500, count: 1 });
    const { calls, logged, result } = await w.measure(async () =>
      rejection(
        w.hubspot.createCompanies([{ name: 'Once', domain: null, salesforceAccountId: accountId(1) }]),
      ),
    );
    assert.equal(calls, 1);
    assert.deepEqual(
      logged.map((r) => r.status),
      [500],
    );
    assert.equal(result.status, 500);
    assert.equal(result.system, 'hubspot');
  });

  it('K1: reads primary companies (associations v4 batch read), 1,000 contacts a call', async () => {
    const w = await world();
    const portal = w.hs.emulator.portal;
    const [a, b, c] = ['A', 'B', 'C'].map((name) => company(w, { name }));
    const contacts = Array.from({ length: 1100 }, (_, i) => contact(w, `primary-${i}@example.com`));
    // Every contact has a primary company, alternating; contact 0 also has two other companies.
    contacts.forEach((id, i) => portal.associate(id, i % 2 === 0 ? b! : c!, [1]));
    portal.associate(contacts[0]!, a!, []);
    portal.associate(contacts[0]!, c!, []);
    // Companies but none primary; none at all: both left out.
    const unlabelled = contact(w, 'unlabelled@example.com');
    portal.associate(unlabelled, a!, []);
    const alone = contact(w, 'alone@example.com');

    const asked = [...contacts, unlabelled, alone, '987654321', 'not-a-number', contacts[1]!];
    const { result, calls, logged } = await w.measure(() => w.hubspot.primaryCompanies(asked));
    // 1,103 numeric ids → 1,000 + 103; contacts without companies make the second call a 207.
    assert.equal(calls, 2);
    assert.deepEqual(
      logged.map((r) => [r.method, r.path, r.status]),
      [
        ['POST', '/crm/v4/associations/contacts/companies/batch/read', 200],
        ['POST', '/crm/v4/associations/contacts/companies/batch/read', 207],
      ],
    );
    assert.equal(result.size, 1100);
    for (const [i, id] of contacts.entries()) assert.equal(result.get(id), i % 2 === 0 ? b : c);
    assert.equal(result.get(contacts[0]!), b, 'the primary one of its three companies');
    assert.ok(!result.has(unlabelled) && !result.has(alone));

    const none = await w.measure(() => w.hubspot.primaryCompanies([]));
    assert.equal(none.result.size, 0);
    assert.equal(none.calls, 0);
  });

  it('K1: finds a primary company past the first 500 companies of a contact (one more call)', async () => {
    const w = await world();
    const portal = w.hs.emulator.portal;
    const many = contact(w, 'many@example.com');
    const few = contact(w, 'few@example.com');
    const companies = Array.from({ length: 600 }, (_, i) => company(w, { name: `Many ${i}` }));
    for (const id of companies) portal.associate(many, id, []);
    portal.associate(many, companies[550]!, [1]);
    portal.associate(few, companies[10]!, [1]);
    const { result, calls, logged } = await w.measure(() => w.hubspot.primaryCompanies([many, few]));
    assert.equal(calls, 2);
    assert.deepEqual(
      logged.map((r) => r.status),
      [200, 200],
    );
    assert.deepEqual(
      [...result.entries()].sort(),
      [
        [many, companies[550]],
        [few, companies[10]],
      ].sort(),
    );
  });
});

describe('HubSpot adapter: limits and failures', () => {
  it('B2: paces 30 requests through a burst limit of 10 per 10 s without a single 429', async () => {
    const w = await world({ burstLimit: 10 });
    const { calls, logged } = await w.measure(async () => {
      for (let i = 0; i < 30; i++) await w.hubspot.properties();
    });
    assert.equal(calls, 30);
    assert.equal(logged.length, 30);
    assert.deepEqual(
      logged.filter((r) => r.status !== 200),
      [],
    );
    const usage = await w.hs.admin<{ rateLimited: number }>('GET', '/usage');
    assert.equal(usage.rateLimited, 0);
    assert.ok(w.clock.now - START >= 20_000, 'the adapter waited for the window');
    assert.ok(w.clock.now - START < 40_000, `waited ${w.clock.now - START} ms`);
  });

  it('B2: paces searches to 5 a second without a 429', async () => {
    const w = await world();
    await w.hubspot.upsertByEmail(people(300, 's'));
    await w.hubspot.upsertByEmail(people(300, 't'));
    await w.hubspot.upsertByEmail(people(300, 'u'));
    await w.hubspot.upsertByEmail(people(300, 'v'));
    const { result, logged } = await w.measure(() => collect(w.hubspot.changedSince(0, ['email'])));
    assert.equal(result.flat().length, 1200);
    assert.ok(logged.length >= 6, `${logged.length} searches`);
    assert.deepEqual(
      logged.filter((r) => r.status !== 200),
      [],
    );
    assert.ok(w.sleeps.length > 0);
  });

  it('B2: waits out an injected TEN_SECONDLY_ROLLING 429 and retries', async () => {
    const w = await world();
    await w.hs.admin('POST', '/faults', { kind: 'error-code', code: 'TEN_SECONDLY_ROLLING', count: 1 });
    const { result, calls, logged } = await w.measure(() => w.hubspot.properties());
    assert.ok(result.length > 0);
    assert.equal(calls, 2);
    assert.deepEqual(
      logged.map((r) => r.status),
      [429, 200],
    );
    assert.ok(w.sleeps.reduce((a, b) => a + b, 0) >= 10_000, 'waited out the rolling window');
  });

  it('B2: waits out an injected secondly 429 on search', async () => {
    const w = await world();
    await w.hubspot.upsertByEmail(people(3));
    await w.hs.admin('POST', '/faults', {
      kind: 'error-code',
      code: 'SECONDLY',
      count: 2,
      pathContains: '/search',
    });
    const { result, calls, logged } = await w.measure(() => collect(w.hubspot.changedSince(0, ['email'])));
    assert.equal(result.flat().length, 3);
    assert.equal(calls, 3);
    assert.deepEqual(
      logged.map((r) => r.status),
      [429, 429, 200],
    );
    assert.ok(w.sleeps.reduce((a, b) => a + b, 0) >= 2000);
  });

  it('retries a 5xx and a dropped connection, counting every attempt', async () => {
    const w = await world();
    await w.hs.admin('POST', '/faults', { kind: 'status', status: 500, count: 1 });
    const fivexx = await w.measure(() => w.hubspot.properties());
    assert.equal(fivexx.calls, 2);
    assert.deepEqual(
      fivexx.logged.map((r) => r.status),
      [500, 200],
    );
    await w.hs.admin('POST', '/faults', { kind: 'drop', count: 1 });
    const dropped = await w.measure(() => w.hubspot.upsertByEmail(people(2, 'drop')));
    assert.equal(dropped.calls, 2);
    assert.equal(dropped.result.filter((o) => o.ok).length, 2);
  });

  it('throws ConnectorError when 5xx outlasts the retries (3 attempts), without the token', async () => {
    const w = await world();
    await w.hs.admin('POST', '/faults', { kind: 'status', status: 503, count: 3 });
    const callsBefore = w.hubspot.calls;
    const error = await rejection(w.hubspot.upsertByEmail(people(1, 'x')));
    assert.equal(w.hubspot.calls - callsBefore, 3);
    assert.equal(error.system, 'hubspot');
    assert.equal(error.status, 503);
    assert.equal(error.code, 'SERVICE_UNAVAILABLE');
    assert.ok(!error.message.includes(w.hs.emulator.accessToken));
    assert.ok(!JSON.stringify(error).includes(w.hs.emulator.accessToken));
  });

  it('throws ConnectorError for a refused token, never echoing it', async () => {
    const secret = 'pat-local-wrong-secret-token';
    const w = await world({ accessToken: secret });
    // The emulator accepts its default token; the adapter was given another.
    const error = await rejection(w.hubspot.properties());
    assert.equal(error.status, 401);
    assert.equal(error.code, 'INVALID_AUTHENTICATION');
    assert.ok(!error.message.includes(secret));
    assert.equal(w.hubspot.calls, 1);
  });

  it('throws ConnectorError with status 0 when nothing answers', async () => {
    const w = await world();
    const url = w.hs.emulator.url;
    await w.hs.close();
    const hubspot = createHubSpotConnector({
      accessToken: 'pat-x',
      baseUrl: url,
      sleep: async () => {},
    });
    const error = await rejection(hubspot.owners());
    assert.equal(error.status, 0);
    assert.equal(hubspot.calls, 3);
    assert.ok(!error.message.includes('pat-x'));
  });
});
