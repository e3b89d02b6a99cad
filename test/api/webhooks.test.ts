/**
 * The HubSpot webhook receiver (T2, D2) against real parts: both emulators, the service with an
 * embedded store, and the HTTP API's server on 127.0.0.1 receiving `POST /webhooks/hubspot`. The
 * HubSpot emulator delivers signed webhooks to it; hand-made deliveries are signed with the official
 * client's `Signature` helper, not with the receiver's own code. The queue's window, failures and
 * stop are driven with fake timers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { Signature } from '@hubspot/api-client';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { hsByEmail, openOfflineService, sfCreate, sfRecord } from '../helpers/e2e.ts';
import { openService, type Service } from '../../src/app/service.ts';
import type { CycleReport } from '../../src/engine/engine.ts';
import { startApiServer, type ApiServer } from '../../src/server/http-api.ts';
import { ApiError } from '../../src/api/contract.ts';
import {
  SignatureVerifier,
  WEBHOOK_PATH,
  contactChanges,
  decodeSignedUri,
} from '../../src/server/hubspot-webhooks.ts';
import { WebhookQueue, type ContactChanges, type QueueTimers } from '../../src/app/webhook-queue.ts';
import { loadApiConfig, rawOptions } from '../../src/config/options.ts';

const SECRET = 'hs-app-client-secret-4b1e9a7c';
const WINDOW_MS = 300;
const WAIT_MS = 15_000;

/** Polls `read` until `done` holds, or fails after `timeoutMs`. */
async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${what}; last seen ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The v3 signature the official client computes. */
function sign(uri: string, body: string, timestamp: number, secret = SECRET): string {
  return Signature.getSignature('POST', 'v3', {
    signature: '',
    clientSecret: secret,
    requestBody: body,
    url: uri,
    timestamp,
  });
}

interface Delivery {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** A delivery as HubSpot sends it: the events as a JSON array, signed for `uri` at `timestamp`. */
function delivery(uri: string, events: readonly object[], timestamp = Date.now(), secret = SECRET): Delivery {
  const body = JSON.stringify(events);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': sign(uri, body, timestamp, secret),
      'x-hubspot-signature-version': 'v3',
      'x-hubspot-request-timestamp': String(timestamp),
    },
  };
}

let nextEventId = 1;
/** One contact event with the fields HubSpot sends. */
function event(subscriptionType: string, objectId: string, extra: Record<string, unknown> = {}): object {
  return {
    eventId: nextEventId++,
    subscriptionId: 1,
    portalId: 1,
    appId: 1,
    occurredAt: Date.now(),
    subscriptionType,
    attemptNumber: 0,
    objectId: Number(objectId),
    changeSource: 'CRM_UI',
    ...extra,
  };
}

async function post(url: string, d: Delivery): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
  return { status: response.status, body: await response.json() };
}

describe('T2: HubSpot webhooks, received and synced', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let service: Service;
  let server: ApiServer;
  let receiver: string;
  /** Every engine run started, by run id, and every finished report. */
  const started: string[] = [];
  const reports: CycleReport[] = [];
  const webhookRuns = () => started.filter((id) => id.startsWith('webhook-'));

  before(async () => {
    sf = await startSalesforce({ seedCount: 0 });
    hs = await startHubSpot({ seedCount: 0, webhookBatchMs: 20, webhookRetryMs: 50 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-webhooks-'));
    service = await openService(
      {
        salesforce: { kind: 'token', instanceUrl: sf.emulator.url, accessToken: sf.emulator.accessToken },
        hubspot: { baseUrl: hs.emulator.url, accessToken: hs.emulator.accessToken },
        dataDir: dir,
        databaseUrl: undefined,
      },
      {
        onEvent: (e) => {
          if (e.type === 'cycle_started') started.push(e.runId);
          if (e.type === 'cycle_finished') reports.push(e.report);
        },
      },
    );
    server = await startApiServer(service, {
      host: '127.0.0.1',
      port: 0,
      token: undefined,
      webhooks: { clientSecret: SECRET, windowMs: WINDOW_MS, publicUrl: undefined },
    });
    receiver = `${server.url}${WEBHOOK_PATH}`;
  });

  after(async () => {
    await hs?.emulator.webhooks.stop();
    await server?.close();
    await service?.stop();
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const webhooks = () => server.webhooks!;
  let people = 0;

  /** Salesforce contacts created by a person, linked to new HubSpot contacts by one poll cycle. */
  async function linked(count: number): Promise<{ sfId: string; hsId: string; email: string }[]> {
    const created: { sfId: string; email: string }[] = [];
    for (let i = 0; i < count; i++) {
      const email = `webhook-person-${++people}@example.com`;
      created.push({
        email,
        sfId: await sfCreate(sf, 'Contact', { LastName: `Person ${people}`, Email: email }),
      });
    }
    await service.exclusive(() => service.engine.runOnce());
    const out = [];
    for (const c of created) {
      const contact = await hsByEmail(hs, c.email, ['email']);
      assert.ok(contact, `${c.email} reached HubSpot`);
      out.push({ ...c, hsId: contact.id });
    }
    return out;
  }

  const title = async (sfId: string) => (await sfRecord<{ Title: string | null }>(sf, 'Contact', sfId)).Title;
  const linkOf = async (hsId: string) => (await service.store.linksByHubSpotIds([hsId]))[0];

  it('T2: a signed delivery from the HubSpot emulator of a property change reaches Salesforce', async () => {
    const [person] = await linked(1);
    await hs.admin('PUT', '/webhooks', {
      targetUrl: receiver,
      clientSecret: SECRET,
      subscriptions: [
        { subscriptionType: 'contact.creation' },
        { subscriptionType: 'contact.propertyChange' },
        { subscriptionType: 'contact.deletion' },
        { subscriptionType: 'contact.merge' },
      ],
    });
    const runsBefore = webhookRuns().length;
    const polls = started.filter((id) => id.startsWith('run-')).length;
    const accepted = webhooks().stats().accepted;
    await hs.client.crm.contacts.basicApi.update(person!.hsId, {
      properties: { jobtitle: 'Chief Webhook Officer' },
    });
    await until(
      'the title in Salesforce',
      () => title(person!.sfId),
      (t) => t === 'Chief Webhook Officer',
    );
    assert.ok(webhooks().stats().accepted > accepted, 'delivered as a webhook');
    assert.ok(webhookRuns().length > runsBefore, 'by a webhook run of the engine (no poll ran)');
    assert.equal(started.filter((id) => id.startsWith('run-')).length, polls, 'no poll cycle ran');
    const log = await hs.admin<{ deliveries: { state: string; attempts: { status: number | null }[] }[] }>(
      'GET',
      '/webhooks',
    );
    assert.ok(log.deliveries.length > 0);
    for (const d of log.deliveries)
      assert.equal(d.attempts[0]?.status, 200, 'every delivery answered 200 at once');
    await hs.admin('DELETE', '/webhooks');
  });

  it('T2: forged, stale, unsigned and replayed deliveries are 401 and nothing is processed', async () => {
    const [person] = await linked(1);
    await hs.client.crm.contacts.basicApi.update(person!.hsId, { properties: { jobtitle: 'Forged' } });
    const change = [
      event('contact.propertyChange', person!.hsId, { propertyName: 'jobtitle', propertyValue: 'Forged' }),
    ];
    const runs = webhookRuns().length;
    const accepted = webhooks().stats().accepted;
    const now = Date.now();
    const good = delivery(receiver, change, now);
    const refusals: [string, Delivery, string][] = [
      ['a wrong secret', delivery(receiver, change, now, 'not-the-secret'), 'webhook_bad_signature'],
      [
        'a body changed after signing',
        { ...good, body: good.body.replace('propertyChange', 'deletion') },
        'webhook_bad_signature',
      ],
      ['another URI signed', delivery(`${receiver}?other=1`, change, now), 'webhook_bad_signature'],
      ['a stale timestamp', delivery(receiver, change, now - 301_000), 'webhook_stale'],
      ['a timestamp from the future', delivery(receiver, change, now + 301_000), 'webhook_stale'],
      [
        'no signature',
        {
          body: good.body,
          headers: { 'content-type': 'application/json', 'x-hubspot-request-timestamp': String(now) },
        },
        'webhook_unsigned',
      ],
      [
        'no timestamp',
        {
          body: good.body,
          headers: {
            'content-type': 'application/json',
            'x-hubspot-signature-v3': good.headers['x-hubspot-signature-v3']!,
          },
        },
        'webhook_unsigned',
      ],
      ['no headers at all', { body: good.body, headers: {} }, 'webhook_unsigned'],
    ];
    for (const [what, d, code] of refusals) {
      const answer = await post(receiver, d);
      assert.equal(answer.status, 401, what);
      const error = ApiError.parse(answer.body).error;
      assert.equal(error.code, code, what);
      assert.equal(JSON.stringify(error).includes(SECRET), false, 'the secret is never echoed');
    }
    assert.equal(webhooks().queue.size, 0, 'nothing queued');
    await sleep(WINDOW_MS * 3);
    assert.equal(webhookRuns().length, runs, 'the engine ran nothing');
    assert.equal(webhooks().stats().accepted, accepted);
    assert.equal(await title(person!.sfId), null, 'nothing reached Salesforce');

    // The same delivery, properly signed, is processed once; sent again (a replay), it is refused.
    assert.equal((await post(receiver, good)).status, 200);
    await webhooks().queue.idle();
    assert.equal(webhookRuns().length, runs + 1);
    assert.equal(await title(person!.sfId), 'Forged');
    const replay = await post(receiver, good);
    assert.equal(replay.status, 401);
    assert.equal(ApiError.parse(replay.body).error.code, 'webhook_replayed');
    assert.equal(webhooks().queue.size, 0);
    await sleep(WINDOW_MS * 3);
    assert.equal(webhookRuns().length, runs + 1, 'the replay ran nothing');
    const refused = webhooks().stats().refused;
    assert.ok(refused.bad_signature >= 3 && refused.stale_timestamp >= 2 && refused.missing_headers >= 3);
    assert.ok(refused.replayed >= 1);
  });

  it('D2: a deletion in HubSpot, delivered by the emulator, ends the link at once; Salesforce keeps the record', async () => {
    const [person] = await linked(1);
    assert.ok(await linkOf(person!.hsId), 'linked first');
    await hs.admin('PUT', '/webhooks', {
      targetUrl: receiver,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.deletion' }],
    });
    await hs.client.crm.contacts.basicApi.archive(person!.hsId);
    await until(
      'the link to end',
      () => linkOf(person!.hsId),
      (link) => link === undefined,
    );
    const record = await sfRecord<{ Id: string; IsDeleted?: boolean }>(sf, 'Contact', person!.sfId);
    assert.equal(record.Id, person!.sfId, 'D2: never deleted in Salesforce');
    const audit = await service.store.audit(`hs:${person!.hsId}`);
    assert.ok(
      audit.some((a) => a.field === 'link' && a.runId.startsWith('webhook-') && a.newValue === null),
      'the audit log says why, from a webhook run',
    );
    await hs.admin('DELETE', '/webhooks');
  });

  it('T2, D3: a merge in HubSpot, delivered by the emulator, ends the link of the contact merged away', async () => {
    const [primary, loser] = await linked(2);
    await hs.admin('PUT', '/webhooks', {
      targetUrl: receiver,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.merge' }],
    });
    await hs.client.crm.contacts.basicApi.merge({
      primaryObjectId: primary!.hsId,
      objectIdToMerge: loser!.hsId,
    });
    await until(
      'the merged-away link to end',
      () => linkOf(loser!.hsId),
      (link) => link === undefined,
    );
    assert.equal((await linkOf(primary!.hsId))?.sfId, primary!.sfId, 'the primary keeps its link');
    await hs.admin('DELETE', '/webhooks');
  });

  it('T2: duplicate and out-of-order deliveries are harmless: no duplicate, the final state is right', async () => {
    const [person] = await linked(1);
    const { hsId, sfId } = person!;
    await hs.client.crm.contacts.basicApi.update(hsId, { properties: { jobtitle: 'First' } });
    const first = [
      event('contact.propertyChange', hsId, { propertyName: 'jobtitle', propertyValue: 'First' }),
    ];
    await hs.client.crm.contacts.basicApi.update(hsId, { properties: { jobtitle: 'Second' } });
    const second = [
      event('contact.propertyChange', hsId, { propertyName: 'jobtitle', propertyValue: 'Second' }),
    ];
    // The later change arrives first, then the earlier one, then the later one again (a retry).
    assert.equal((await post(receiver, delivery(receiver, second))).status, 200);
    await webhooks().queue.idle();
    assert.equal(await title(sfId), 'Second');
    assert.equal((await post(receiver, delivery(receiver, first))).status, 200);
    const retry = second.map((e) => ({ ...e, attemptNumber: 1 }));
    assert.equal((await post(receiver, delivery(receiver, retry, Date.now() + 1))).status, 200);
    await webhooks().queue.idle();
    assert.equal(await title(sfId), 'Second', 'the contact as it is now, not as the late event says');

    // A contact created in HubSpot, its creation delivered twice in one window and once more later.
    const email = 'created-in-hubspot@example.com';
    const created = await hs.client.crm.contacts.basicApi.create({
      properties: { email, lastname: 'Created', firstname: 'Twice' },
      associations: [],
    });
    const creation = [event('contact.creation', created.id, { changeFlag: 'CREATED' })];
    const runs = webhookRuns().length;
    const answers = await Promise.all([
      post(receiver, delivery(receiver, creation)),
      post(receiver, delivery(receiver, creation, Date.now() + 1)),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
    );
    await webhooks().queue.idle();
    assert.equal(webhookRuns().length, runs + 1, 'both in one window: one run');
    assert.equal((await post(receiver, delivery(receiver, creation, Date.now() + 2))).status, 200);
    await webhooks().queue.idle();
    const leads = await sf.conn.query<{ Id: string }>(`SELECT Id FROM Lead WHERE Email = '${email}'`);
    const contacts = await sf.conn.query<{ Id: string }>(`SELECT Id FROM Contact WHERE Email = '${email}'`);
    assert.equal(leads.totalSize + contacts.totalSize, 1, 'one Salesforce record, never two');
    assert.equal((await linkOf(created.id))?.sfId, leads.records[0]?.Id ?? contacts.records[0]?.Id);
  });

  it('T2: deliveries within the window make one engine run, each contact once', async () => {
    const people = await linked(5);
    const runs = webhookRuns().length;
    const finished = reports.length;
    const deliveries = people.map((p, i) =>
      delivery(
        receiver,
        [
          event('contact.propertyChange', p.hsId, { propertyName: 'jobtitle', propertyValue: `x${i}` }),
          event('contact.propertyChange', p.hsId, { propertyName: 'phone', propertyValue: `${i}` }),
        ],
        Date.now() + i,
      ),
    );
    const answers = await Promise.all(deliveries.map((d) => post(receiver, d)));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(webhooks().queue.size, 5, 'ten events, five contacts: collapsed');
    await webhooks().queue.idle();
    assert.equal(webhookRuns().length, runs + 1, 'one run for the whole window');
    const report = reports.slice(finished).find((r) => r.runId.startsWith('webhook-'));
    assert.equal(report?.changes.hubspot, 5, 'the five contacts, once each');
  });

  it('the receiver answers 400 to a signed body that is not an array of events; other routes keep their token rules', async () => {
    const d = delivery(receiver, [], Date.now());
    const notArray = { ...d, body: '{"not":"an array"}' };
    notArray.headers['x-hubspot-signature-v3'] = sign(
      receiver,
      notArray.body,
      Number(d.headers['x-hubspot-request-timestamp']),
    );
    const answer = await post(receiver, notArray);
    assert.equal(answer.status, 400);
    assert.equal(ApiError.parse(answer.body).error.field, 'body');
    const get = await fetch(receiver);
    assert.equal(get.status, 404, 'only POST');
    await get.body?.cancel();
  });
});

describe('T2: the receiver behind a public URL, without an API token', () => {
  let offline: Awaited<ReturnType<typeof openOfflineService>>;
  let service: Service;
  let server: ApiServer;

  before(async () => {
    // Nothing here reaches the systems: the deliveries name no contact, so the engine reads nothing.
    offline = await openOfflineService();
    service = offline.service;
    server = await startApiServer(service, {
      host: '127.0.0.1',
      port: 0,
      token: undefined,
      webhooks: { clientSecret: SECRET, windowMs: 10_000, publicUrl: 'https://crosswalk.example.com/sync' },
    });
  });

  after(async () => {
    await server?.close();
    await offline?.close();
  });

  /** A request to the server with a Host header of our choosing. */
  function ask(
    pathAndQuery: string,
    host: string,
    d: Delivery | undefined,
  ): Promise<{ status: number; body: string }> {
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          path: pathAndQuery,
          method: d ? 'POST' : 'GET',
          headers: { ...(d?.headers ?? {}), host },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
      request.end(d?.body);
    });
  }

  it('says where HubSpot should send them', () => {
    assert.equal(server.webhooks?.url, 'https://crosswalk.example.com/sync/webhooks/hubspot');
  });

  it('checks the signature against the public URL, and is exempt from the loopback Host check', async () => {
    const publicUri = 'https://crosswalk.example.com/sync/webhooks/hubspot';
    const events = [event('contact.propertyChange', '501')];
    const accepted = await ask(WEBHOOK_PATH, 'crosswalk.example.com', delivery(publicUri, events));
    assert.equal(accepted.status, 200, accepted.body);
    assert.deepEqual(server.webhooks?.queue.pending(), { changed: ['501'], deleted: [] });
    // Signed for the address the server listens at: not what HubSpot calls, refused.
    const local = await ask(
      WEBHOOK_PATH,
      'crosswalk.example.com',
      delivery(`${server.url}${WEBHOOK_PATH}`, events),
    );
    assert.equal(local.status, 401);
    assert.match(
      local.body,
      /checked against the URI https:\/\/crosswalk\.example\.com\/sync\/webhooks\/hubspot/,
    );
    // The rest of the API still answers loopback names only (DNS rebinding).
    assert.equal((await ask('/api/settings', 'crosswalk.example.com', undefined)).status, 403);
  });

  it("decodes the URI as HubSpot's guide says (and takes it as sent, as the emulator signs it)", async () => {
    const query = '?portal=a%3Ab%2Fc';
    const sent = `https://crosswalk.example.com/sync/webhooks/hubspot${query}`;
    assert.equal(decodeSignedUri(sent), 'https://crosswalk.example.com/sync/webhooks/hubspot?portal=a:b/c');
    assert.equal(decodeSignedUri('%3a%2f%3F%40%21%24%27%28%29%2A%2C%3B%20'), ":/?@!$'()*,;%20");
    const decoded = await ask(
      `${WEBHOOK_PATH}${query}`,
      'x',
      delivery(decodeSignedUri(sent), [event('contact.creation', '502')]),
    );
    assert.equal(decoded.status, 200, decoded.body);
    const asSent = await ask(
      `${WEBHOOK_PATH}${query}`,
      'x',
      delivery(sent, [event('contact.creation', '503')]),
    );
    assert.equal(asSent.status, 200, asSent.body);
    const otherQuery = await ask(
      `${WEBHOOK_PATH}?portal=b`,
      'x',
      delivery(sent, [event('contact.creation', '504')]),
    );
    assert.equal(otherQuery.status, 401);
    assert.deepEqual(server.webhooks?.queue.pending().changed, ['501', '502', '503']);
  });

  it("takes its own pair's path too (/webhooks/hubspot/default); another pair's is 404, before any check", async () => {
    const own = `${WEBHOOK_PATH}/default`;
    const accepted = await ask(
      own,
      'crosswalk.example.com',
      delivery(`https://crosswalk.example.com/sync${own}`, [event('contact.creation', '505')]),
    );
    assert.equal(accepted.status, 200, accepted.body);
    assert.ok(server.webhooks?.queue.pending().changed.includes('505'));
    const other = `${WEBHOOK_PATH}/acme`;
    const refused = await ask(
      other,
      'crosswalk.example.com',
      delivery(`https://crosswalk.example.com/sync${other}`, [event('contact.creation', '506')]),
    );
    assert.equal(refused.status, 404);
    assert.match(refused.body, /"code":"unknown_pair".*crosswalk api/);
    assert.ok(!server.webhooks?.queue.pending().changed.includes('506'));
  });
});

describe('T2: the signature check, with an injected clock', () => {
  it('accepts a signature once, refuses it again while its timestamp is fresh, and forgets it after', () => {
    let now = 1_000_000_000_000;
    const verifier = new SignatureVerifier(SECRET, () => now);
    const uri = 'https://crosswalk.example.com/webhooks/hubspot';
    const request = (body: string, at: number) => ({
      method: 'POST',
      uris: [uri],
      body,
      signature: sign(uri, body, at),
      timestamp: String(at),
    });
    const first = request('[]', now);
    assert.deepEqual(verifier.verify(first), { ok: true });
    assert.deepEqual(verifier.verify(first), { ok: false, refusal: 'replayed' });
    assert.deepEqual(verifier.verify({ ...first, signature: first.signature.replace(/=$/, '') }), {
      ok: false,
      refusal: 'bad_signature',
    });
    assert.deepEqual(verifier.verify({ ...first, method: 'PUT' }), { ok: false, refusal: 'bad_signature' });
    now += 300_000;
    assert.deepEqual(verifier.verify(first), { ok: false, refusal: 'replayed' }, 'still fresh at 5 minutes');
    now += 1;
    assert.deepEqual(verifier.verify(first), { ok: false, refusal: 'stale_timestamp' });
    assert.deepEqual(verifier.verify(request('[1]', now)), { ok: true });
    assert.equal(verifier.remembered, 1, 'the stale signature is forgotten');
    assert.deepEqual(verifier.verify({ ...first, timestamp: 'yesterday' }), {
      ok: false,
      refusal: 'stale_timestamp',
    });
  });

  it('T2, D2: events become contact ids: changes, deletions, merges; other events are left out', () => {
    const changes = contactChanges([
      { subscriptionType: 'contact.creation', objectId: 1 },
      { subscriptionType: 'contact.propertyChange', objectId: 2, propertyName: 'email' },
      { subscriptionType: 'contact.propertyChange', objectId: 2, propertyName: 'phone' },
      { subscriptionType: 'contact.deletion', objectId: 3 },
      { subscriptionType: 'contact.privacyDeletion', objectId: 4 },
      { subscriptionType: 'contact.merge', objectId: 5, primaryObjectId: 5, mergedObjectIds: [6, 7] },
      {
        subscriptionType: 'contact.merge',
        objectId: 8,
        primaryObjectId: 8,
        mergedObjectIds: [8, 9],
        newObjectId: 10,
      },
      { subscriptionType: 'company.propertyChange', objectId: 11 },
      { subscriptionType: 'contact.propertyChange', objectId: 'not-an-id' },
      'garbage',
    ]);
    assert.deepEqual(changes, {
      changed: ['1', '2', '5', '10'],
      deleted: ['3', '4', '6', '7', '8', '9'],
      ignored: 3,
    });
  });
});

/** Timers run by hand: `advance(ms)` fires what is due. */
class FakeTimers implements QueueTimers {
  now = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; callback: () => void }>();
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }
  get pending(): number {
    return this.#due.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.#due].sort((a, b) => a[1].at - b[1].at))
      if (timer.at <= this.now) {
        this.#due.delete(id);
        timer.callback();
      }
  }
}

/** A flush the test settles by hand. */
function controlledFlush() {
  const calls: { changes: ContactChanges; resolve: () => void; reject: (e: Error) => void }[] = [];
  const flush = (changes: ContactChanges) =>
    new Promise<void>((resolve, reject) => calls.push({ changes, resolve, reject }));
  return { calls, flush };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('T2: the webhook queue (batching for latency)', () => {
  it('waits the window for companions, collapses duplicate ids, then writes one batch', async () => {
    const timers = new FakeTimers();
    const { calls, flush } = controlledFlush();
    const queue = new WebhookQueue({ windowMs: 500, flush, timers });
    queue.start();
    queue.add({ changed: ['1', '2'], deleted: [] });
    timers.advance(300);
    queue.add({ changed: ['2', '3'], deleted: ['4'] });
    timers.advance(199);
    assert.equal(calls.length, 0, 'not before the window of the first change');
    timers.advance(1);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.changes, { changed: ['1', '2', '3'], deleted: ['4'] });
    calls[0]!.resolve();
    await queue.idle();
    assert.equal(queue.size, 0);
    assert.equal(timers.pending, 0);
    assert.equal(queue.stats().flushes, 1);
  });

  it('writes at once when 100 ids wait; one flush at a time, the next window after it', async () => {
    const timers = new FakeTimers();
    const { calls, flush } = controlledFlush();
    const queue = new WebhookQueue({ windowMs: 500, flush, timers });
    queue.start();
    const ids = Array.from({ length: 100 }, (_, i) => String(i + 1));
    queue.add({ changed: ids.slice(0, 99), deleted: [] });
    assert.equal(calls.length, 0);
    queue.add({ changed: ids.slice(99), deleted: [] });
    assert.equal(calls.length, 1, 'the 100th id sends the batch');
    assert.equal(calls[0]!.changes.changed.length, 100);
    assert.equal(timers.pending, 0);
    queue.add({ changed: ['x'], deleted: [] });
    timers.advance(500);
    assert.equal(calls.length, 1, 'never two flushes at once');
    calls[0]!.resolve();
    await tick();
    assert.equal(calls.length, 2, 'the window of "x" passed meanwhile: it goes when the first is done');
    assert.deepEqual(calls[1]!.changes, { changed: ['x'], deleted: [] });
    calls[1]!.resolve();
    await queue.idle();
  });

  it('a failed flush keeps its ids for the next try, with the ids that came meanwhile; nothing is lost', async () => {
    const timers = new FakeTimers();
    const { calls, flush } = controlledFlush();
    const failures: number[] = [];
    const queue = new WebhookQueue({
      windowMs: 100,
      flush,
      timers,
      onError: (_e, retryInMs) => failures.push(retryInMs),
    });
    queue.start();
    queue.add({ changed: ['1'], deleted: ['2'] });
    timers.advance(100);
    queue.add({ changed: ['3'], deleted: [] });
    calls[0]!.reject(new Error('Salesforce is down'));
    await tick();
    assert.deepEqual(failures, [1000]);
    assert.deepEqual(queue.pending(), { changed: ['3', '1'], deleted: ['2'] });
    timers.advance(999);
    assert.equal(calls.length, 1, 'waits for the retry, not the window');
    timers.advance(1);
    assert.equal(calls.length, 2);
    calls[1]!.reject(new Error('still down'));
    await tick();
    assert.deepEqual(failures, [1000, 2000], 'each failure waits longer');
    timers.advance(2000);
    assert.deepEqual(
      { changed: [...calls[2]!.changes.changed].sort(), deleted: calls[2]!.changes.deleted },
      { changed: ['1', '3'], deleted: ['2'] },
    );
    calls[2]!.resolve();
    await queue.idle();
    assert.deepEqual(queue.stats(), { queued: 0, flushes: 1, failedFlushes: 2, dropped: 0, flushing: false });
    assert.equal(timers.pending, 0);
  });

  it('stop starts nothing new, waits for the flush under way and leaves no timer', async () => {
    const timers = new FakeTimers();
    const { calls, flush } = controlledFlush();
    const queue = new WebhookQueue({ windowMs: 100, flush, timers });
    queue.start();
    queue.add({ changed: ['1'], deleted: [] });
    timers.advance(100);
    queue.add({ changed: ['2'], deleted: [] });
    assert.equal(timers.pending, 1, 'the window of "2"');
    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    assert.equal(timers.pending, 0, 'no timer once stopping');
    await tick();
    assert.equal(stopped, false, 'waits for the flush under way');
    calls[0]!.resolve();
    await stopping;
    assert.equal(calls.length, 1, 'nothing new flushed');
    assert.equal(queue.add({ changed: ['3'], deleted: [] }), false, 'takes nothing once stopped');
    assert.equal(queue.stats().dropped, 1, '"2" is dropped: the next poll finds it');
    timers.advance(10_000);
    assert.equal(calls.length, 1);
    assert.equal(queue.hasTimer(), false);
  });
});

describe('T2: webhook options', () => {
  it('webhooks are on with the client secret; the window defaults to 500 ms; problems are named, the secret never', () => {
    const none = loadApiConfig(rawOptions({}, {}));
    assert.ok(none.ok);
    assert.equal(none.config.webhooks, undefined, 'off without the secret');
    const on = loadApiConfig(rawOptions({ hubspotClientSecret: SECRET }, {}));
    assert.ok(on.ok);
    assert.deepEqual(on.config.webhooks, { clientSecret: SECRET, windowMs: 500, publicUrl: undefined });
    const given = loadApiConfig(
      rawOptions(
        { webhookWindow: '250' },
        { HUBSPOT_CLIENT_SECRET: SECRET, CROSSWALK_PUBLIC_URL: 'https://Crosswalk.example.com/sync/' },
      ),
    );
    assert.ok(given.ok);
    assert.deepEqual(given.config.webhooks, {
      clientSecret: SECRET,
      windowMs: 250,
      publicUrl: 'https://crosswalk.example.com/sync',
    });
    const bad = loadApiConfig(
      rawOptions(
        {},
        {
          HUBSPOT_CLIENT_SECRET: SECRET,
          CROSSWALK_WEBHOOK_WINDOW_MS: 'soon',
          CROSSWALK_PUBLIC_URL: 'ftp://x',
        },
      ),
    );
    assert.equal(bad.ok, false);
    if (bad.ok) return;
    assert.equal(bad.problems.length, 2);
    assert.match(
      bad.problems[0]!,
      /CROSSWALK_WEBHOOK_WINDOW_MS \(--webhook-window\) is not a window: "soon"/,
    );
    assert.match(bad.problems[1]!, /CROSSWALK_PUBLIC_URL \(--public-url\) is not a base URL/);
    assert.equal(bad.problems.join('\n').includes(SECRET), false);
    const off = loadApiConfig(rawOptions({}, { CROSSWALK_WEBHOOK_WINDOW_MS: '100' }));
    assert.equal(off.ok, false);
    if (!off.ok)
      assert.match(
        off.problems[0]!,
        /is set, but webhooks are off: set HUBSPOT_CLIENT_SECRET \(--hubspot-client-secret\) too/,
      );
  });
});

describe('T2: accepted deliveries and the signatures seen outlive the process', () => {
  const PUBLIC = 'https://crosswalk.example.com';
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;

  before(async () => {
    sf = await startSalesforce({ seedCount: 0 });
    hs = await startHubSpot({ seedCount: 0 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-webhooks-durable-'));
  });
  after(async () => {
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A service and its API with webhooks, on the one store of this suite; `windowMs` for its batches. */
  async function open(windowMs: number): Promise<{ service: Service; server: ApiServer }> {
    const service = await openService(
      {
        salesforce: { kind: 'token', instanceUrl: sf.emulator.url, accessToken: sf.emulator.accessToken },
        hubspot: { baseUrl: hs.emulator.url, accessToken: hs.emulator.accessToken },
        dataDir: dir,
        databaseUrl: undefined,
      },
      { lease: { command: 'start' } },
    );
    const server = await startApiServer(service, {
      host: '127.0.0.1',
      port: 0,
      token: undefined,
      webhooks: { clientSecret: SECRET, windowMs, publicUrl: PUBLIC },
    });
    return { service, server };
  }

  it('T2: an id answered 200 is synced after the process stopped before its batch ran; a replay is refused after a restart', async () => {
    const email = 'durable-webhook@example.com';
    const hsId = (
      await hs.client.crm.contacts.basicApi.create({
        properties: { email, lastname: 'Durable' },
        associations: [],
      })
    ).id;
    const d = delivery(`${PUBLIC}${WEBHOOK_PATH}`, [event('contact.creation', hsId)]);

    // First process: accepts the delivery, then stops long before its batch's window ends.
    const first = await open(60_000);
    try {
      assert.equal((await post(`${first.server.url}${WEBHOOK_PATH}`, d)).status, 200);
    } finally {
      await first.server.close();
      await first.service.stop();
    }
    const sfLeads = async () =>
      (await sf.conn.query(`SELECT Id FROM Lead WHERE Email = '${email}'`)).totalSize;
    assert.equal(await sfLeads(), 0, 'not synced by the first process');

    // The next process syncs it from the inbox, and knows the signature it already accepted.
    const second = await open(50);
    try {
      await until('the accepted contact reached Salesforce', sfLeads, (n) => n === 1);
      const replay = await post(`${second.server.url}${WEBHOOK_PATH}`, d);
      assert.equal(replay.status, 401);
      assert.equal(ApiError.parse(replay.body).error.code, 'webhook_replayed');
      await until(
        'the inbox is empty once synced',
        () => second.service.store.webhookInbox(),
        (inbox) => inbox.changed.length === 0,
      );
    } finally {
      await second.server.close();
      await second.service.stop();
    }
  });
});
