/**
 * The HubSpot emulator's webhooks, received by a real HTTP server on loopback and verified with the
 * official client's own `Signature.isValid` (v3), the way a sync engine would check them.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Signature } from '@hubspot/api-client';
import { startHubSpot, type HubSpotFixture } from '../../helpers/hubspot.ts';
import type { HubSpotEmulatorOptions } from '../../../src/emulators/hubspot/server.ts';
import { Portal } from '../../../src/emulators/hubspot/portal.ts';
import {
  Webhooks,
  type DeliveryRecord,
  type WebhookConfigInput,
  type WebhookEvent,
} from '../../../src/emulators/hubspot/webhooks.ts';

const SECRET = 'shh-client-secret';
const TARGET_PATH = '/hubspot/webhooks?source=emulator';

interface Received {
  readonly url: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly events: WebhookEvent[];
  /** What `Signature.isValid` said (or the error it threw). */
  readonly verified: boolean | string;
  /** Epoch ms when it arrived. */
  readonly arrivedAt: number;
}

/** How the receiver answers its n-th request (0-based): a status after an optional delay, or never. */
type Answer = { status: number; delayMs?: number } | 'hang';

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Most requests open at once. */
  maxConcurrent: number;
  /** Requests whose connection closed before an answer was sent. */
  aborted: number;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];
const fixtures: HubSpotFixture[] = [];

async function startReceiver(answer: (index: number) => Answer = () => ({ status: 200 })): Promise<Receiver> {
  let open = 0;
  const state: Receiver = {
    url: '',
    received: [],
    maxConcurrent: 0,
    aborted: 0,
    close: () => closeServer(server),
  };
  const server: Server = createServer((request, response) => {
    open++;
    state.maxConcurrent = Math.max(state.maxConcurrent, open);
    let answered = false;
    request.on('close', () => {
      if (!answered && !response.writableEnded) state.aborted++;
    });
    response.on('close', () => open--);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      // The URL as the receiver rebuilds it from what it was called with.
      const url = `http://${request.headers.host}${request.url}`;
      let verified: boolean | string;
      try {
        verified = Signature.isValid({
          signatureVersion: 'v3',
          signature: String(request.headers['x-hubspot-signature-v3']),
          clientSecret: SECRET,
          requestBody: body,
          url,
          method: request.method ?? '',
          timestamp: Number(request.headers['x-hubspot-request-timestamp']),
        });
      } catch (error) {
        verified = (error as Error).message;
      }
      const index = state.received.length;
      state.received.push({
        url,
        method: request.method ?? '',
        headers: request.headers,
        body,
        events: JSON.parse(body) as WebhookEvent[],
        verified,
        arrivedAt: Date.now(),
      });
      const reply = answer(index);
      if (reply === 'hang') return;
      const send = () => {
        answered = true;
        response.writeHead(reply.status, { 'content-type': 'text/plain' }).end('ok');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(state, { url: `http://127.0.0.1:${port}${TARGET_PATH}` });
  receivers.push(state);
  return state;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function start(options: HubSpotEmulatorOptions = {}): Promise<HubSpotFixture> {
  const hs = await startHubSpot({ webhookBatchMs: 20, webhookRetryMs: 20, ...options });
  fixtures.push(hs);
  return hs;
}

function configure(hs: HubSpotFixture, config: WebhookConfigInput): Promise<WebhookView> {
  return hs.admin<WebhookView>('PUT', '/webhooks', config);
}

interface WebhookView {
  configured: boolean;
  targetUrl?: string;
  appId?: number;
  subscriptions: { id: number; subscriptionType: string; propertyName?: string; active: boolean }[];
  stats: { eventsQueued: number; eventsDelivered: number; eventsDropped: number; requests: number };
  deliveries: DeliveryRecord[];
}

/** Polls until `check` holds; fails after `ms`. */
async function waitFor(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function createContact(hs: HubSpotFixture, properties: Record<string, string>) {
  const portal = hs.emulator.portal;
  return portal.create('contacts', portal.checkInput('contacts', properties));
}

function createCompany(hs: HubSpotFixture, properties: Record<string, string>) {
  const portal = hs.emulator.portal;
  return portal.create('companies', portal.checkInput('companies', properties));
}

const allEvents = (receiver: Receiver) => receiver.received.flatMap((r) => r.events);

/** Timers that keep this process alive (node lists each as a 'Timeout' resource). */
const liveTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

after(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe('HubSpot webhooks: events and signatures', () => {
  it('delivers contact and company events with HubSpot’s fields, signed so the SDK verifies them', async () => {
    const hs = await start();
    const receiver = await startReceiver();
    const view = await configure(hs, {
      targetUrl: receiver.url,
      clientSecret: SECRET,
      appId: 777_001,
      subscriptions: [
        { subscriptionType: 'contact.creation' },
        { subscriptionType: 'contact.propertyChange', propertyName: 'lifecyclestage' },
        { subscriptionType: 'contact.deletion' },
        { subscriptionType: 'contact.merge' },
        { subscriptionType: 'company.creation' },
        { subscriptionType: 'company.propertyChange' },
        { subscriptionType: 'company.deletion' },
      ],
    });
    assert.equal(view.configured, true);
    assert.equal(view.subscriptions.length, 7);
    const subId = (type: string) => view.subscriptions.find((s) => s.subscriptionType === type)!.id;
    assert.equal(new Set(view.subscriptions.map((s) => s.id)).size, 7, 'subscription ids are distinct');

    const portal = hs.emulator.portal;
    const ada = createContact(hs, { email: 'ada@example.com', firstname: 'Ada', lifecyclestage: 'lead' });
    portal.update('contacts', ada, portal.checkInput('contacts', { firstname: 'Ada L.' }));
    portal.update('contacts', ada, portal.checkInput('contacts', { lifecyclestage: 'customer' }));
    const dup = createContact(hs, { email: 'ada.dup@example.com', firstname: 'Dup' });
    portal.merge('contacts', ada, dup);
    const acme = createCompany(hs, { name: 'Acme', domain: 'acme.example' });
    portal.update('companies', acme, portal.checkInput('companies', { name: 'Acme Corp' }));
    portal.archive('companies', acme);
    portal.archive('contacts', ada);

    await hs.emulator.webhooks.settled();
    assert.ok(receiver.received.length >= 1);
    for (const r of receiver.received) {
      assert.equal(r.method, 'POST');
      assert.equal(r.url, receiver.url, 'the target URL, query string included');
      assert.equal(r.verified, true, 'Signature.isValid accepts the v3 signature');
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.equal(r.headers['x-hubspot-signature-version'], 'v3');
      assert.match(String(r.headers['x-hubspot-request-timestamp']), /^\d{13}$/);
      assert.ok(Array.isArray(JSON.parse(r.body)), 'the body is a JSON array');
    }

    const events = allEvents(receiver);
    const of = (type: string) => events.filter((e) => e.subscriptionType === type);
    for (const e of events) {
      assert.equal(e.portalId, portal.portalId);
      assert.equal(e.appId, 777_001);
      assert.equal(e.attemptNumber, 0);
      assert.equal(typeof e.objectId, 'number');
      assert.equal(typeof e.eventId, 'number');
      assert.equal(typeof e.occurredAt, 'number');
      assert.ok(Math.abs(e.occurredAt - Date.now()) < 60_000, 'occurredAt is epoch ms');
      assert.equal(e.subscriptionId, subId(e.subscriptionType));
      assert.equal(typeof e.changeSource, 'string');
    }
    assert.equal(new Set(events.map((e) => e.eventId)).size, events.length, 'eventIds are unique');

    const created = of('contact.creation');
    assert.deepEqual(
      created.map((e) => e.objectId),
      [Number(ada.id), Number(dup.id)],
    );
    assert.ok(created.every((e) => e.changeFlag === 'CREATED'));
    assert.equal(created[0]!.changeSource, 'INTEGRATION');

    // Only the subscribed property, never firstname; the value set at creation counts too.
    const changes = of('contact.propertyChange');
    assert.deepEqual(
      changes.map((e) => [e.objectId, e.propertyName, e.propertyValue]),
      [
        [Number(ada.id), 'lifecyclestage', 'lead'],
        [Number(ada.id), 'lifecyclestage', 'customer'],
      ],
    );

    const merges = of('contact.merge');
    assert.equal(merges.length, 1);
    assert.equal(merges[0]!.objectId, Number(ada.id));
    assert.equal(merges[0]!.primaryObjectId, Number(ada.id));
    assert.deepEqual(merges[0]!.mergedObjectIds, [Number(dup.id)]);

    // The merged-away contact is archived, then Ada is deleted.
    assert.deepEqual(
      of('contact.deletion').map((e) => e.objectId),
      [Number(dup.id), Number(ada.id)],
    );
    assert.ok(of('contact.deletion').every((e) => e.changeFlag === undefined));

    assert.deepEqual(
      of('company.creation').map((e) => [e.objectId, e.changeFlag]),
      [[Number(acme.id), 'CREATED']],
    );
    // No propertyName on the subscription: every company property change.
    assert.deepEqual(
      of('company.propertyChange').map((e) => [e.propertyName, e.propertyValue]),
      [
        ['name', 'Acme'],
        ['domain', 'acme.example'],
        ['name', 'Acme Corp'],
      ],
    );
    assert.deepEqual(
      of('company.deletion').map((e) => e.objectId),
      [Number(acme.id)],
    );

    const log = await hs.admin<WebhookView>('GET', '/webhooks');
    assert.equal(log.stats.eventsDelivered, events.length);
    assert.ok(log.deliveries.every((d) => d.state === 'delivered' && d.attempts.length === 1));
    assert.equal(
      log.deliveries.reduce((n, d) => n + d.eventCount, 0),
      events.length,
    );
  });

  it('signs with the injected clock’s timestamp, which the SDK rejects once older than 5 minutes', async () => {
    const fixed = Date.now() - 60_000;
    const hs = await start({ now: () => fixed });
    const receiver = await startReceiver();
    await configure(hs, {
      targetUrl: receiver.url,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    createContact(hs, { email: 'clock@example.com' });
    await hs.emulator.webhooks.settled();
    assert.equal(receiver.received.length, 1);
    const r = receiver.received[0]!;
    assert.equal(r.headers['x-hubspot-request-timestamp'], String(fixed));
    assert.equal(r.events[0]!.occurredAt, fixed);
    assert.equal(r.verified, true);

    const stale = Date.now() - 400_000;
    const old = await start({ now: () => stale });
    await configure(old, {
      targetUrl: receiver.url,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    createContact(old, { email: 'stale@example.com' });
    await old.emulator.webhooks.settled();
    assert.equal(receiver.received.length, 2);
    assert.equal(receiver.received[1]!.verified, 'Timestamp is invalid, reject request');
  });

  it('a signature made with another secret, or over another body, does not verify', async () => {
    const hs = await start();
    const receiver = await startReceiver();
    await configure(hs, {
      targetUrl: receiver.url,
      clientSecret: 'the-wrong-secret',
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    createContact(hs, { email: 'forged@example.com' });
    await hs.emulator.webhooks.settled();
    assert.equal(receiver.received.length, 1);
    const r = receiver.received[0]!;
    assert.equal(r.verified, false, 'signed with another secret');

    const check = (overrides: { clientSecret?: string; requestBody?: string; url?: string }) =>
      Signature.isValid({
        signatureVersion: 'v3',
        signature: String(r.headers['x-hubspot-signature-v3']),
        clientSecret: 'the-wrong-secret',
        requestBody: r.body,
        url: r.url,
        method: 'POST',
        timestamp: Number(r.headers['x-hubspot-request-timestamp']),
        ...overrides,
      });
    assert.equal(check({}), true, 'with the secret it was signed with');
    const tampered = r.body.replace('"attemptNumber":0', '"attemptNumber":1');
    assert.notEqual(tampered, r.body);
    assert.equal(check({ requestBody: tampered }), false, 'tampered body');
    assert.equal(check({ url: r.url.replace('?source=emulator', '') }), false, 'another URL');
  });

  it('sends only what it is subscribed to, and nothing without a configuration', async () => {
    const hs = await start();
    const receiver = await startReceiver();
    createContact(hs, { email: 'before@example.com' });
    await configure(hs, {
      targetUrl: receiver.url,
      clientSecret: SECRET,
      subscriptions: [
        { subscriptionType: 'company.creation' },
        { subscriptionType: 'contact.propertyChange', propertyName: 'email', active: false },
      ],
    });
    const c = createContact(hs, { email: 'after@example.com' });
    hs.emulator.portal.archive('contacts', c);
    const co = createCompany(hs, { name: 'Only this' });
    await hs.emulator.webhooks.settled();
    assert.deepEqual(
      allEvents(receiver).map((e) => [e.subscriptionType, e.objectId]),
      [['company.creation', Number(co.id)]],
    );
  });
});

describe('HubSpot webhooks: batching, retries and failures', () => {
  it('splits more than 100 events into requests of at most 100, at most 10 at a time', async () => {
    const hs = await start();
    // Each answer takes a while, so deliveries overlap.
    const receiver = await startReceiver(() => ({ status: 204, delayMs: 40 }));
    await configure(hs, {
      targetUrl: receiver.url,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    const ids: number[] = [];
    for (let i = 0; i < 2450; i++) ids.push(Number(createContact(hs, { email: `bulk${i}@example.com` }).id));
    await hs.emulator.webhooks.settled();

    const sizes = receiver.received.map((r) => r.events.length);
    assert.ok(
      sizes.every((n) => n >= 1 && n <= 100),
      `sizes ${sizes.join(',')}`,
    );
    assert.equal(receiver.received.length, 25);
    assert.deepEqual(
      allEvents(receiver)
        .map((e) => e.objectId)
        .sort((a, b) => a - b),
      ids,
      'every event once',
    );
    assert.ok(receiver.received.every((r) => r.verified === true));
    assert.ok(receiver.maxConcurrent <= 10, `at most 10 at once, saw ${receiver.maxConcurrent}`);
    assert.ok(receiver.maxConcurrent >= 2, `deliveries run in parallel, saw ${receiver.maxConcurrent}`);
  });

  it('retries a failed delivery with the same events and attemptNumber 0, 1, 2, signed afresh', async () => {
    const hs = await start({ webhookRetryMs: 20, webhookMaxAttempts: 5 });
    const receiver = await startReceiver((n) => ({ status: n < 2 ? 500 : 200 }));
    await configure(hs, {
      targetUrl: receiver.url,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    const c = createContact(hs, { email: 'retry@example.com' });
    await hs.emulator.webhooks.settled();

    assert.equal(receiver.received.length, 3);
    assert.deepEqual(
      receiver.received.map((r) => r.events.map((e) => [e.objectId, e.attemptNumber])),
      [[[Number(c.id), 0]], [[Number(c.id), 1]], [[Number(c.id), 2]]],
    );
    assert.equal(new Set(receiver.received.map((r) => r.events[0]!.eventId)).size, 1, 'the same event');
    assert.ok(
      receiver.received.every((r) => r.verified === true),
      'each attempt verifies',
    );
    assert.equal(
      new Set(receiver.received.map((r) => r.headers['x-hubspot-signature-v3'])).size,
      3,
      'each attempt has its own signature',
    );
    // Backoff: at least retryMs, then twice that.
    const gaps = [1, 2].map((i) => receiver.received[i]!.arrivedAt - receiver.received[i - 1]!.arrivedAt);
    assert.ok(gaps[0]! >= 15 && gaps[1]! >= 35, `gaps ${gaps.join(',')}`);

    const view = await hs.admin<WebhookView>('GET', '/webhooks');
    assert.equal(view.deliveries.length, 1);
    const d = view.deliveries[0]!;
    assert.equal(d.state, 'delivered');
    assert.equal(d.eventCount, 1);
    assert.deepEqual(
      d.attempts.map((a) => [a.attemptNumber, a.status]),
      [
        [0, 500],
        [1, 500],
        [2, 200],
      ],
    );
  });

  it('gives up on a dead target after maxAttempts and logs it', async () => {
    const hs = await start({ webhookRetryMs: 10, webhookMaxAttempts: 3 });
    const dead = await startReceiver();
    const deadUrl = dead.url;
    await dead.close();
    receivers.splice(receivers.indexOf(dead), 1);
    await configure(hs, {
      targetUrl: deadUrl,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    createContact(hs, { email: 'dead1@example.com' });
    createContact(hs, { email: 'dead2@example.com' });
    await hs.emulator.webhooks.settled();

    const view = await hs.admin<WebhookView>('GET', '/webhooks');
    assert.equal(view.deliveries.length, 1);
    const d = view.deliveries[0]!;
    assert.equal(d.state, 'failed');
    assert.equal(d.eventCount, 2);
    assert.deepEqual(
      d.attempts.map((a) => [a.attemptNumber, a.status]),
      [
        [0, null],
        [1, null],
        [2, null],
      ],
    );
    assert.ok(
      d.attempts.every((a) => a.error === 'ECONNREFUSED'),
      JSON.stringify(d.attempts),
    );
    assert.equal(view.stats.eventsDropped, 2);
    assert.equal(view.stats.eventsDelivered, 0);
    assert.equal(hs.emulator.webhooks.activeTimers(), 0, 'no retry left scheduled');
  });

  it('counts a non-2xx answer and a timeout as failures', async () => {
    // Straight on the class, to use a short timeout instead of HubSpot's 5 s.
    const portal = new Portal();
    const webhooks = new Webhooks(portal, {
      now: Date.now,
      retryMs: 10,
      maxAttempts: 2,
      batchMs: 5,
      timeoutMs: 150,
    });
    try {
      const receiver = await startReceiver((n) => (n === 0 ? { status: 302 } : 'hang'));
      webhooks.configure({
        targetUrl: receiver.url,
        clientSecret: SECRET,
        subscriptions: [{ subscriptionType: 'contact.creation' }],
      });
      portal.create('contacts', portal.checkInput('contacts', { email: 'slow@example.com' }));
      await webhooks.settled();
      assert.equal(receiver.received.length, 2);
      const d = webhooks.deliveries()[0]!;
      assert.equal(d.state, 'failed');
      assert.deepEqual(
        d.attempts.map((a) => [a.status, a.error]),
        [
          [302, 'HTTP 302'],
          [null, 'timed out after 150 ms'],
        ],
      );
      assert.ok(d.attempts[1]!.durationMs >= 140);
      await waitFor('the timed-out request to be dropped', () => receiver.aborted === 1);
    } finally {
      await webhooks.stop();
    }
  });
});

describe('HubSpot webhooks: admin and shutdown', () => {
  it('validates the configuration, shows it, and turns webhooks off on DELETE and reset', async () => {
    const hs = await start();
    const receiver = await startReceiver();
    const bad = async (body: unknown) => {
      const response = await fetch(`${hs.emulator.url}/__emulator/webhooks`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      await response.text();
      return response.status;
    };
    const good = { targetUrl: receiver.url, clientSecret: SECRET, subscriptions: [] };
    assert.equal(await bad('{not json'), 400);
    assert.equal(await bad({ ...good, targetUrl: 'not a url' }), 400);
    assert.equal(await bad({ ...good, targetUrl: 'ftp://127.0.0.1/x' }), 400);
    assert.equal(await bad({ ...good, clientSecret: '' }), 400);
    assert.equal(await bad({ ...good, subscriptions: [{ subscriptionType: 'deal.creation' }] }), 400);
    assert.equal(
      await bad({
        ...good,
        subscriptions: [{ subscriptionType: 'contact.creation', propertyName: 'email' }],
      }),
      400,
    );
    assert.equal(
      await bad({
        ...good,
        subscriptions: [{ subscriptionType: 'contact.propertyChange', propertyName: 'no_such_property' }],
      }),
      400,
    );
    assert.equal((await hs.admin<WebhookView>('GET', '/webhooks')).configured, false);

    // A target without a path: signed as the receiver sees it called, with the slash.
    const origin = new URL(receiver.url).origin;
    const put = await configure(hs, {
      ...good,
      targetUrl: origin,
      subscriptions: [{ subscriptionType: 'contact.propertyChange', propertyName: 'email' }],
    });
    const got = await hs.admin<WebhookView>('GET', '/webhooks');
    assert.equal(got.configured, true);
    assert.equal(got.targetUrl, `${origin}/`);
    assert.deepEqual(got.subscriptions, put.subscriptions);
    assert.equal(got.subscriptions[0]!.propertyName, 'email');

    createContact(hs, { email: 'on@example.com' });
    await hs.emulator.webhooks.settled();
    assert.equal(allEvents(receiver).length, 1);
    assert.equal(receiver.received[0]!.url, `${origin}/`);
    assert.equal(receiver.received[0]!.verified, true);

    const off = await hs.admin<WebhookView>('DELETE', '/webhooks');
    assert.equal(off.configured, false);
    createContact(hs, { email: 'off@example.com' });
    await sleep(80);
    assert.equal(allEvents(receiver).length, 1, 'nothing after DELETE');

    await configure(hs, { ...good, subscriptions: [{ subscriptionType: 'contact.creation' }] });
    await hs.admin('POST', '/reset');
    const afterReset = await hs.admin<WebhookView>('GET', '/webhooks');
    assert.equal(afterReset.configured, false);
    assert.equal(afterReset.deliveries.length, 0);
    createContact(hs, { email: 'reset@example.com' });
    await sleep(80);
    assert.equal(allEvents(receiver).length, 1, 'nothing after reset');
  });

  it('close() drops a batch not yet sent: it never reaches the receiver', async () => {
    const hs = await start({ webhookBatchMs: 150 });
    const receiver = await startReceiver();
    await configure(hs, {
      targetUrl: receiver.url,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    const baseline = liveTimeouts();
    createContact(hs, { email: 'late@example.com' });
    assert.equal(hs.emulator.webhooks.activeTimers(), 1, 'the batch is scheduled');
    assert.equal(liveTimeouts(), baseline + 1);
    await hs.close();
    assert.equal(hs.emulator.webhooks.activeTimers(), 0);
    assert.equal(liveTimeouts(), baseline, 'the batch timer is cleared, not just forgotten');
    await sleep(300);
    assert.equal(receiver.received.length, 0);
  });

  it('close() cancels a scheduled retry and aborts a delivery in flight', { timeout: 5000 }, async () => {
    const hs = await start({ webhookRetryMs: 150, webhookMaxAttempts: 5 });
    const receiver = await startReceiver(() => ({ status: 503 }));
    await configure(hs, {
      targetUrl: receiver.url,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    const baseline = liveTimeouts();
    createContact(hs, { email: 'retry-later@example.com' });
    await waitFor('the first attempt', () => hs.emulator.webhooks.deliveries()[0]?.state === 'retrying');
    assert.equal(hs.emulator.webhooks.activeTimers(), 1, 'the retry is scheduled');
    assert.equal(liveTimeouts(), baseline + 1);
    await hs.close();
    assert.equal(hs.emulator.webhooks.activeTimers(), 0);
    assert.equal(liveTimeouts(), baseline, 'the retry timer is cleared, not just forgotten');
    await sleep(400);
    assert.equal(receiver.received.length, 1, 'the retry never ran');

    const hs2 = await start();
    const hanging = await startReceiver(() => 'hang');
    await configure(hs2, {
      targetUrl: hanging.url,
      clientSecret: SECRET,
      subscriptions: [{ subscriptionType: 'contact.creation' }],
    });
    createContact(hs2, { email: 'in-flight@example.com' });
    await waitFor('the delivery to arrive', () => hanging.received.length === 1);
    await hs2.close();
    assert.equal(hs2.emulator.webhooks.stats().inFlight, 0);
    assert.equal(hs2.emulator.webhooks.activeTimers(), 0, 'the 5 s timeout is cleared too');
    await waitFor('the receiver to see the connection dropped', () => hanging.aborted === 1);
  });
});
