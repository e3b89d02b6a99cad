/**
 * The HTTP API against real parts: both emulators, the service with an embedded store in a temporary
 * directory, and the server on 127.0.0.1, port 0. Every call goes through the typed client, which
 * parses each answer with the contract's schemas: an answer that drifts from the contract fails here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { refused } from '../helpers/cli.ts';
import { openService, type Service } from '../../src/app/service.ts';
import { startApiServer, type ApiServer } from '../../src/server/http-api.ts';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { refusal, value } from '../helpers/api.ts';
import { errorsCsv } from '../../src/app/operations.ts';
import { openOfflineService, withoutLeadStatusMap } from '../helpers/e2e.ts';
import { ApiError, routes } from '../../src/api/contract.ts';
import { settingKeys } from '../../src/config/settings.ts';
import { DEFAULT_MAPPINGS } from '../../src/core/mappings.ts';
import { DEMO_SEGMENT_NAME } from '../../src/emulators/hubspot/seed.ts';

const TOKEN = 'test-api-token-7f3a9c21d4e8b605';
const DATASET_SEED = 7;
const LEAD_WITH_EMAIL = 'SELECT Id, Email FROM Lead WHERE Email != null AND IsConverted = false ORDER BY Id';

/** A raw request's answer: its status and its error, parsed with the contract's schema. */
async function rawError(response: Response): Promise<{ status: number; error: ApiError }> {
  return { status: response.status, error: ApiError.parse(await response.json()).error };
}

describe('HTTP API, with a token', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let service: Service;
  let server: ApiServer;
  let api: ApiClient;
  const events: string[] = [];

  before(async () => {
    sf = await startSalesforce({ seedCount: 20, seed: DATASET_SEED });
    hs = await startHubSpot({ seedCount: 20, seed: DATASET_SEED });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-api-'));
    service = await openService(
      {
        salesforce: { kind: 'token', instanceUrl: sf.emulator.url, accessToken: sf.emulator.accessToken },
        hubspot: { baseUrl: hs.emulator.url, accessToken: hs.emulator.accessToken },
        dataDir: dir,
        databaseUrl: undefined,
      },
      {
        onEvent: (event) => {
          if (event.type === 'cycle_started') events.push(`started ${event.runId}`);
          if (event.type === 'cycle_finished') events.push(`finished ${event.report.runId}`);
        },
      },
    );
    server = await startApiServer(service, { host: '127.0.0.1', port: 0, token: TOKEN });
    api = createApiClient({ baseUrl: server.url, token: TOKEN });
    // V2 below reads the errors of this real cycle: the leads' statuses, without Lead Status's value map (F11).
    await withoutLeadStatusMap(service.store);
    await service.exclusive(() => service.engine.runOnce());
  });

  after(async () => {
    await server?.close();
    await service?.stop();
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function leadEmail(): Promise<string> {
    return (await sf.conn.query<{ Email: string }>(LEAD_WITH_EMAIL)).records[0]!.Email.trim();
  }

  it('listens on 127.0.0.1, on the free port it picked for port 0', () => {
    const url = new URL(server.url);
    assert.equal(url.hostname, '127.0.0.1');
    assert.notEqual(Number(url.port), 0);
  });

  it('health answers without a token; every other route answers 401 without it or with a wrong one', async () => {
    const anonymous = createApiClient({ baseUrl: server.url });
    assert.deepEqual(value(await anonymous.health()), { status: 'ok' });
    const wrong = createApiClient({ baseUrl: server.url, token: TOKEN.replace(/.$/, 'x') });
    const guarded = Object.values(routes).filter((r) => r.auth);
    assert.equal(guarded.length, Object.keys(routes).length - 1, 'only health is open');
    for (const route of guarded) {
      const url = route.path.replace(':key', 'createAs').replace(':hsProperty', 'jobtitle');
      for (const client of [anonymous, wrong]) {
        const { status, error } = await rawError(await client.request(route.method, url));
        assert.equal(status, 401, `${route.method} ${url}`);
        assert.equal(error.code, 'unauthorized');
        assert.match(error.fix, /Authorization: Bearer <token>/);
        assert.equal(JSON.stringify(error).includes(TOKEN), false, 'the token is never echoed');
      }
    }
    const scheme = await anonymous.request('GET', '/api/settings', { headers: { authorization: TOKEN } });
    assert.equal(scheme.status, 401, 'the token without "Bearer" is refused');
    await scheme.body?.cancel();
  });

  it('settings: all of them, one, set then get; a bad value or key is 400 naming the field and the fix', async () => {
    const all = value(await api.settings()).settings;
    assert.deepEqual(
      all.map((s) => s.key),
      settingKeys,
    );
    assert.equal(value(await api.setSetting('createAs', 'contact')).value, 'contact');
    assert.equal(value(await api.setting('createAs')).value, 'contact');
    assert.equal(value(await api.setSetting('createAs', 'lead')).value, 'lead');

    const bad = refusal(await api.setSetting('createAs', 'account'), 400);
    assert.equal(bad.code, 'invalid_setting');
    assert.equal(bad.field, 'value');
    assert.match(bad.message, /"account" is not a valid createAs/);
    assert.match(bad.fix, /C1/);
    const text = refusal(await api.setSetting('sfDailyAllocation', '5000'), 400);
    assert.equal(text.field, 'value', 'a number must be a JSON number');

    const key = await rawError(await api.request('PUT', '/api/settings/nope', { body: { value: 1 } }));
    assert.equal(key.status, 400);
    assert.equal(key.error.field, 'key');
    assert.match(key.error.fix, /Use one of: segmentId, createAs/);
    const missing = await rawError(await api.request('PUT', '/api/settings/createAs'));
    assert.equal(missing.status, 400);
    assert.equal(missing.error.field, 'body');
    assert.match(missing.error.fix, /\{ "value": … \}/);
  });

  it('F1: lists the default mappings; removing a default one is refused with the fix', async () => {
    const mappings = value(await api.mappings()).mappings;
    for (const d of DEFAULT_MAPPINGS)
      assert.ok(
        mappings.some((m) => m.hsProperty === d.hsProperty && m.sfField === d.sfField && m.isDefault),
        `${d.hsProperty} ⇄ ${d.sfField}`,
      );
    const refused = refusal(await api.removeMapping('jobtitle'), 400);
    assert.equal(refused.code, 'default_mapping');
    assert.equal(refused.field, 'hsProperty');
    assert.match(refused.message, /jobtitle ⇄ Title is a default mapping and cannot be removed/);
    assert.match(refused.fix, /Set its rule to "Don't sync" instead/);
    assert.equal(refusal(await api.removeMapping('no_such_property'), 404).code, 'unknown_mapping');
  });

  it('F4, F5: a rule changes through the API within what the mapping allows', async () => {
    assert.equal(value(await api.setMappingRule('jobtitle', 'two_way')).mapping.rule, 'two_way');
    const listed = value(await api.mappings()).mappings.find((m) => m.hsProperty === 'jobtitle');
    assert.equal(listed?.rule, 'two_way');
    assert.equal(
      value(await api.setMappingRule('jobtitle', 'prefer_salesforce_unless_blank')).mapping.rule,
      'prefer_salesforce_unless_blank',
    );

    const f5 = refusal(await api.setMappingRule('email', 'always_salesforce'), 400);
    assert.equal(f5.code, 'rule_not_allowed');
    assert.equal(f5.field, 'rule');
    assert.match(f5.fix, /Use "Prefer Salesforce unless blank" or "Two-way"/);
    const unknown = await rawError(
      await api.request('PUT', '/api/mappings/jobtitle/rule', { body: { rule: 'sometimes' } }),
    );
    assert.equal(unknown.status, 400);
    assert.equal(unknown.error.field, 'rule');
    assert.match(unknown.error.fix, /Use one of: prefer_salesforce_unless_blank, always_salesforce/);
  });

  it("F2: a custom mapping is checked against both systems' metadata; refusals are 400 with the message and fix", async () => {
    const incompatible = refusal(
      await api.addMapping({ hsProperty: 'lifecyclestage', sfField: 'Department' }),
      400,
    );
    assert.equal(incompatible.code, 'incompatible_types');
    assert.equal(incompatible.field, 'sfField');
    assert.match(
      incompatible.message,
      /"lifecyclestage" \(select\) cannot map to Contact\.Department \(string\)/,
    );
    assert.match(incompatible.fix, /maps to Salesforce picklist, reference fields/);

    const unknown = refusal(
      await api.addMapping({ hsProperty: 'date_of_birth', sfField: 'Birthday__c' }),
      400,
    );
    assert.equal(unknown.code, 'unknown_sf_field');
    assert.equal(unknown.field, 'sfField');
    assert.match(unknown.message, /exists on neither Lead nor Contact/);

    const taken = refusal(await api.addMapping({ hsProperty: 'jobtitle', sfField: 'Department' }), 400);
    assert.equal(taken.code, 'property_already_mapped');
    assert.equal(taken.field, 'hsProperty');

    const missing = await rawError(
      await api.request('POST', '/api/mappings', { body: { hsProperty: 'date_of_birth' } }),
    );
    assert.equal(missing.status, 400);
    assert.equal(missing.error.field, 'sfField');
    assert.match(missing.error.fix, /Salesforce field API name/);
    assert.equal(
      value(await api.mappings()).mappings.some((m) => !m.isDefault),
      false,
      'no refused mapping was saved',
    );
  });

  it('F2, F7, T1: a mapping added through the API is not retroactive; a resync of the contact backfills it', async () => {
    const contact = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Contact WHERE Email != null ORDER BY Id LIMIT 1',
      )
    ).records[0]!;
    const email = contact.Email.trim().toLowerCase();
    await sf.person.sobject('Contact').update({ Id: contact.Id, Birthdate: '1990-05-17' });
    await service.exclusive(() => service.engine.runOnce());
    const birthday = async () =>
      (
        await hs.client.crm.contacts.basicApi.getById(
          email,
          ['date_of_birth'],
          undefined,
          undefined,
          false,
          'email',
        )
      ).properties.date_of_birth ?? '';
    assert.equal(await birthday(), '', 'unmapped: nothing moved');

    const added = value(await api.addMapping({ hsProperty: 'date_of_birth', sfField: 'Birthdate' }), 201);
    assert.deepEqual(added.mapping, {
      hsProperty: 'date_of_birth',
      sfField: 'Birthdate',
      rule: 'prefer_salesforce_unless_blank',
      isDefault: false,
      objects: ['Contact'],
    });
    assert.ok(
      value(await api.mappings()).mappings.some((m) => m.hsProperty === 'date_of_birth' && !m.isDefault),
    );
    await service.exclusive(() => service.engine.runOnce());
    assert.equal(await birthday(), '', 'not retroactive (F7)');

    const report = value(await api.resync({ email })).report;
    assert.equal(report.planned, 1);
    assert.match(report.runId, /^resync-/);
    assert.equal(
      new Date(Number(await birthday()) || (await birthday())).toISOString().slice(0, 10),
      '1990-05-17',
    );

    const again = refusal(await api.addMapping({ hsProperty: 'mobilephone', sfField: 'Birthdate' }), 400);
    assert.equal(again.code, 'field_already_mapped');
    const removed = value(await api.removeMapping('date_of_birth')).removed;
    assert.equal(removed.sfField, 'Birthdate');
    assert.equal(
      value(await api.mappings()).mappings.some((m) => m.hsProperty === 'date_of_birth'),
      false,
    );
  });

  it("V1: explain tells a real contact's link, last sync and each field's decision and why", async () => {
    const email = await leadEmail();
    const byEmail = value(await api.explain({ email }));
    assert.equal(byEmail.contact.email?.toLowerCase(), email.toLowerCase());
    assert.ok(byEmail.link, 'the lead is linked');
    assert.equal(byEmail.link.sfObject, 'Lead');
    const lastname = byEmail.fields.find((f) => f.hsProperty === 'lastname');
    assert.equal(lastname?.sfField, 'LastName');
    assert.ok(lastname.why.length > 0, 'with why');
    const byId = value(await api.explain({ hsContactId: byEmail.contact.hsContactId! }));
    assert.equal(byId.contact.sfId, byEmail.contact.sfId);

    const unknown = refusal(await api.explain({ email: 'nobody@example.com' }), 404);
    assert.equal(unknown.code, 'no_explanation');
    assert.match(unknown.message, /no sync of "nobody@example.com" is recorded yet/);
    const neither = await rawError(await api.request('GET', '/api/explain'));
    assert.equal(neither.status, 400);
    assert.equal(neither.error.field, 'query');
    assert.match(neither.error.fix, /exactly one of email and hsContactId/);
    const notAnId = await rawError(await api.request('GET', '/api/explain?hsContactId=abc'));
    assert.equal(notAnId.error.field, 'hsContactId');
  });

  it('V2: errors of a real cycle, by category, filtered, and as CSV; a bad category is 400', async () => {
    const all = value(await api.errors());
    assert.ok(all.total > 0, 'Lead Status values that are not HubSpot options fail (property value)');
    assert.equal(
      all.byCategory.reduce((n, c) => n + c.count, 0),
      all.total,
    );
    const filtered = value(await api.errors({ category: 'property_value' }));
    assert.ok(filtered.total > 0);
    assert.ok(filtered.errors.every((e) => e.category === 'property_value'));
    // The cards count the whole log, whatever the filter: here all of it is property values.
    const records = new Set(filtered.errors.map((e) => e.record)).size;
    assert.deepEqual(filtered.byCategory, [
      { category: 'property_value', label: 'Property value', count: filtered.total, records },
    ]);
    assert.equal(value(await api.errors({ category: 'permissions' })).total, 0);

    const csv = value(await api.errorsCsv({ category: 'property_value' }))
      .trimEnd()
      .split('\n');
    assert.equal(csv[0], 'record,email,direction,category,code,message,fix,first_seen,last_seen,attempts');
    assert.equal(csv.length, filtered.total + 1);
    const accept = await api.request('GET', '/api/errors', { headers: { accept: 'text/csv' } });
    assert.match(accept.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(await accept.text(), /^record,email,direction/);

    const bad = await rawError(await api.request('GET', '/api/errors?category=typo'));
    assert.equal(bad.status, 400);
    assert.equal(bad.error.field, 'category');
    assert.match(bad.error.fix, /Use one of: associations, custom_code/);
  });

  it('pairs and status: the registry without secrets, and per pair the writer lease and the last run', async () => {
    await service.registry.savePair({
      id: 'acme',
      name: 'Acme',
      enabled: false,
      definition: {
        salesforce: { instanceUrl: 'https://acme.my.salesforce.com', accessToken: { env: 'ACME_SF' } },
        hubspot: { accessToken: { sealed: 'v1:aaaa:bbbb:cccc' } },
      },
      createdAt: 1,
      updatedAt: 1,
    });
    const listed = value(await api.listPairs()).pairs;
    assert.deepEqual(
      listed.map((p) => [p.id, p.enabled, p.credentials]),
      [
        ['acme', false, ['salesforce.accessToken: env ACME_SF', 'hubspot.accessToken: sealed']],
        ['default', true, []],
      ],
    );
    assert.equal(JSON.stringify(listed).includes('v1:aaaa'), false, 'sealed values are not answered');
    const statuses = value(await api.status()).pairs;
    const mine = statuses.find((p) => p.id === 'default');
    assert.equal(mine?.lease.state, 'held', 'this service holds the default pair’s writer lease');
    assert.ok((mine?.lastRun?.finishedAt ?? 0) > 0, 'the last run is known');
    assert.ok((mine?.calls24h.salesforce ?? 0) > 0);
    const acme = statuses.find((p) => p.id === 'acme');
    assert.deepEqual(
      [acme?.enabled, acme?.lease, acme?.lastRun],
      [false, { state: 'free', epoch: null }, null],
    );
    await service.registry.removePair('acme');
    const unauthorized = await api.request('GET', '/api/status', {
      headers: { authorization: 'Bearer wrong' },
    });
    assert.equal(unauthorized.status, 401);
  });

  it("a pair's routes: /api/pairs/default/… are the default pair's; another pair is 404 here, naming crosswalk api", async () => {
    const mine = createApiClient({ baseUrl: server.url, token: TOKEN, pair: 'default' });
    const interval = value(await api.setting('pollIntervalSeconds')).value as number;
    value(await mine.setSetting('pollIntervalSeconds', interval + 2));
    assert.equal(value(await api.setting('pollIntervalSeconds')).value, interval + 2, 'the same store rows');
    assert.deepEqual(value(await mine.mappings()), value(await api.mappings()));
    value(await api.setSetting('pollIntervalSeconds', interval));
    const other = createApiClient({ baseUrl: server.url, token: TOKEN, pair: 'acme' });
    const refused = await other.settings();
    assert.equal(refused.ok, false);
    assert.equal(refused.status, 404);
    assert.equal(!refused.ok && refused.error.code, 'unknown_pair');
    assert.match(!refused.ok ? refused.error.fix : '', /crosswalk api/);
    const bad = await api.request('GET', '/api/pairs/Not_A_Pair/settings');
    assert.equal(bad.status, 404);
    const unauthorized = await api.request('GET', '/api/pairs/default/settings', {
      headers: { authorization: 'Bearer wrong' },
    });
    assert.equal(unauthorized.status, 401);
  });

  it("B1: usage counts the cycles' API calls, the allocation and the org's limit", async () => {
    const used = value(await api.usage());
    assert.equal(used.windowMs, 86_400_000);
    assert.ok(used.salesforce.calls > 0);
    assert.ok(used.hubspot.calls > 0);
    assert.equal(used.salesforce.allocation, null);
    assert.equal(used.salesforce.org?.max, 15_000, "the emulated org's daily limit");
    value(await api.setSetting('sfDailyAllocation', 5000));
    assert.equal(value(await api.usage()).salesforce.allocation, 5000);
    value(await api.setSetting('sfDailyAllocation', null));
  });

  it('T1: resync of a contact by email or id is a full sync of it; an unknown one is 404; a bad target is 400', async () => {
    const email = await leadEmail();
    const report = value(await api.resync({ email })).report;
    assert.equal(report.planned, 1);
    const id = value(await api.explain({ email })).contact.hsContactId!;
    assert.equal(value(await api.resync({ hsContactId: id })).report.planned, 1);

    const unknown = refusal(await api.resync({ email: 'nobody@example.com' }), 404);
    assert.equal(unknown.code, 'contact_not_found');
    assert.match(unknown.message, /no HubSpot contact found for nobody@example.com/);
    for (const body of [{}, { email, segmentId: '1' }]) {
      const bad = await rawError(await api.request('POST', '/api/resync', { body }));
      assert.equal(bad.status, 400);
      assert.equal(bad.error.field, 'body');
      assert.match(bad.error.fix, /exactly one of email, hsContactId and segmentId/);
    }
    const notAnId = await rawError(await api.request('POST', '/api/resync', { body: { hsContactId: 'x1' } }));
    assert.equal(notAnId.error.field, 'hsContactId');
  });

  it('G3: a segment resync gives every member a full sync', async () => {
    const found = await hs.client.apiRequest({
      method: 'GET',
      path: `/crm/v3/lists/object-type-id/0-1/name/${encodeURIComponent(`${DEMO_SEGMENT_NAME} ${DATASET_SEED}`)}`,
    });
    assert.equal(found.status, 200, 'the demo segment exists');
    const { list } = (await found.json()) as { list: { listId: string } };
    const members = await service.hubspot.listMembers(list.listId);
    assert.ok(members.size > 0);
    const report = value(await api.resync({ segmentId: list.listId })).report;
    assert.equal(report.planned, members.size);
  });

  it('a resync waits for the cycle under way: engine work never overlaps', async () => {
    const from = events.length;
    const cycle = service.exclusive(() => service.engine.runOnce());
    const resync = api.resync({ email: await leadEmail() });
    await Promise.all([cycle, resync]);
    const seen = events.slice(from).map((e) => e.replace(/-\d+-\d+$/, ''));
    assert.deepEqual(seen, ['started run', 'finished run', 'started resync', 'finished resync']);
  });

  it('unknown routes are 404 and unreadable bodies 400, in the same error shape; no secret in any answer', async () => {
    const missing = await rawError(await api.request('GET', '/api/nothing-here'));
    assert.equal(missing.status, 404);
    assert.equal(missing.error.code, 'not_found');
    const broken = await rawError(
      await api.request('POST', '/api/resync', {
        headers: { 'content-type': 'application/json' },
        body: undefined,
      }),
    );
    assert.equal(broken.status, 400);
    const answers = JSON.stringify([
      value(await api.settings()),
      value(await api.usage()),
      value(await api.errors()),
      missing,
      broken,
    ]);
    for (const secret of [TOKEN, sf.emulator.accessToken, hs.emulator.accessToken])
      assert.equal(answers.includes(secret), false);
  });
});

describe('HTTP API, without a token', () => {
  let offline: Awaited<ReturnType<typeof openOfflineService>>;
  let service: Service;

  before(async () => {
    // Nothing here reaches the systems.
    offline = await openOfflineService();
    service = offline.service;
  });

  after(() => offline?.close());

  it('refuses a host other than loopback before it binds', async () => {
    await assert.rejects(
      startApiServer(service, { host: '0.0.0.0', port: 0, token: undefined }),
      /refusing to serve the HTTP API on 0\.0\.0\.0 without a token: set CROSSWALK_API_TOKEN/,
    );
  });

  it('without a token, a request addressed to another host name is refused (DNS rebinding)', async () => {
    const server = await startApiServer(service, { host: '127.0.0.1', port: 0, token: undefined });
    try {
      const { port } = new URL(server.url);
      const ask = (host: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.get(
            { host: '127.0.0.1', port, path: '/api/settings', headers: { host } },
            (res) => {
              let body = '';
              res.setEncoding('utf8').on('data', (c: string) => (body += c));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on('error', reject);
        });
      const rebound = await ask(`attacker.example:${port}`);
      assert.equal(rebound.status, 403);
      assert.match(rebound.body, /forbidden_host/);
      for (const name of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])
        assert.equal((await ask(name)).status, 200, name);
    } finally {
      await server.close();
    }
  });

  it('on loopback, every route answers without a token; close() stops listening', async () => {
    const server = await startApiServer(service, { host: '127.0.0.1', port: 0, token: undefined });
    try {
      const api = createApiClient({ baseUrl: server.url });
      assert.equal(value(await api.settings()).settings.length, settingKeys.length);
      assert.equal(value(await api.errors()).total, 0);
      assert.equal(refusal(await api.explain({ email: 'nobody@example.com' }), 404).code, 'no_explanation');
    } finally {
      await server.close();
    }
    assert.equal(await refused(`${server.url}/api/health`), true);
  });
});

describe('V2: the errors as CSV', () => {
  it('quotes every cell, and leads a cell a spreadsheet would run as a formula with a quote mark', () => {
    const [header, row] = errorsCsv([
      {
        record: 'hs:1',
        email: 'a@example.com',
        direction: 'to_salesforce',
        category: 'property_value',
        code: 'INVALID',
        message: '=HYPERLINK("http://attacker.example")',
        fix: '+1 "quoted"',
        firstSeen: 0,
        lastSeen: 0,
        attempts: 2,
        nextAttempt: 0,
      },
    ]);
    assert.match(header!, /^record,email,/);
    assert.match(row!, /,"'=HYPERLINK\(""http:\/\/attacker.example""\)","'\+1 ""quoted""",/);
    assert.match(row!, /^"hs:1","a@example.com",/);
  });
});
