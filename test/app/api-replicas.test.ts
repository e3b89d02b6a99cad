/**
 * `crosswalk api` replicas (issue 13, T2): two stateless API processes behind one public URL, a
 * `crosswalk worker` syncing, one pair whose HubSpot app signs its webhooks. Deliveries go to both
 * replicas; one is killed with SIGKILL mid-delivery. Every contact id a replica answered 200 for is
 * synced to Salesforce (the inbox and the signature are stored in one transaction before the 200),
 * and a delivery one replica accepted is refused as a replay by the other.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pairDeclaration } from '../../src/config/pairs.ts';
import { addPair } from '../../src/app/pairs.ts';
import { signatureV3 } from '../../src/server/hubspot-webhooks.ts';
import { createApiClient } from '../../src/api/client.ts';
import { BIN, BLANK_ENV, killChildren, run, waitForOutput, within, type Run } from '../helpers/cli.ts';
import {
  eventually,
  skipWithoutPostgres,
  startWorkerWorld,
  type Side,
  type WorkerWorld,
} from '../helpers/workers.ts';
import { startSalesforce } from '../helpers/salesforce.ts';
import { startHubSpot } from '../helpers/hubspot.ts';

after(killChildren);

/** The address HubSpot calls (a load balancer in front of the replicas): what it signs. */
const PUBLIC_URL = 'https://sync.example.com';
const SECRET = 'example-client-secret-of-the-acme-app';
const PORTAL_ID = 62515;

interface Replica {
  readonly cli: Run;
  readonly url: string;
}

interface Delivery {
  readonly path: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

function signed(path: string, events: readonly object[], timestamp = Date.now()): Delivery {
  const body = JSON.stringify(events);
  return {
    path,
    body,
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signatureV3(SECRET, 'POST', PUBLIC_URL + path, body, String(timestamp)),
      'x-hubspot-request-timestamp': String(timestamp),
    },
  };
}

const creation = (objectId: string) => ({
  eventId: Number(objectId),
  subscriptionId: 1,
  portalId: PORTAL_ID,
  appId: 7,
  occurredAt: Date.now(),
  subscriptionType: 'contact.creation',
  attemptNumber: 0,
  objectId: Number(objectId),
  changeFlag: 'CREATED',
  changeSource: 'CRM_UI',
});

async function send(replica: Replica, d: Delivery): Promise<number> {
  const response = await fetch(replica.url + d.path, { method: 'POST', headers: d.headers, body: d.body });
  await response.arrayBuffer();
  return response.status;
}

describe('crosswalk api replicas', { skip: skipWithoutPostgres }, () => {
  let world: WorkerWorld;
  let side: Side;
  const replicas: Replica[] = [];

  const startReplica = async (): Promise<Replica> => {
    const cli = run(process.execPath, [BIN, 'api'], {
      ...BLANK_ENV,
      DATABASE_URL: world.storeUrl,
      GRAPHILE_WORKER_SCHEMA: world.jobSchema,
      CROSSWALK_API_PORT: '0',
      CROSSWALK_PUBLIC_URL: PUBLIC_URL,
      CROSSWALK_WEBHOOK_WINDOW_MS: '200',
      ...world.env,
    });
    const [, url] = await waitForOutput(cli, /HTTP API listening on (http:\/\/\S+)/, 'a replica listens');
    return { cli, url: url! };
  };

  before(async () => {
    world = await startWorkerWorld();
    side = { sf: await startSalesforce({ seedCount: 0 }), hs: await startHubSpot({ seedCount: 0 }) };
    world.sides.acme = side;
    Object.assign(world.env, {
      ACME_SF_TOKEN: side.sf.emulator.accessToken,
      ACME_HS_TOKEN: side.hs.emulator.accessToken,
      ACME_HS_SECRET: SECRET,
    });
    const declared = pairDeclaration.parse({
      id: 'acme',
      salesforce: { instanceUrl: side.sf.emulator.url, accessToken: { env: 'ACME_SF_TOKEN' } },
      hubspot: {
        baseUrl: side.hs.emulator.url,
        accessToken: { env: 'ACME_HS_TOKEN' },
        portalId: PORTAL_ID,
        clientSecret: { env: 'ACME_HS_SECRET' },
      },
    });
    const added = await addPair(world.store, declared, undefined, Date.now());
    assert.ok(added.ok);
    // Cycles an hour apart: after the first, only the webhook jobs bring HubSpot's new contacts over.
    await world.store.forPair('acme').setSetting('pollIntervalSeconds', 3600);
    replicas.push(await startReplica(), await startReplica());
  });

  after(async () => {
    await world?.close();
  });

  it('T2: every id answered 200 is synced though a replica dies mid-delivery; a replay is refused by the other', async () => {
    const worker = world.startWorker(['--concurrency', '1']);
    await waitForOutput(worker, /pair acme: cycle \S+: /, "the worker's first cycle of acme");

    // 60 HubSpot-only people, announced in 30 deliveries spread over both replicas.
    const ids: string[] = [];
    for (let i = 0; i < 60; i++)
      ids.push(
        (
          await side.hs.client.crm.contacts.basicApi.create({
            properties: { email: `replica-${i}@example.com`, firstname: 'Rep', lastname: `Lica ${i}` },
            associations: [],
          })
        ).id,
      );
    const answered = new Set<string>();
    const killAt = 5 + Math.floor(Math.random() * 20);
    let killed = false;
    let accepted: Delivery | undefined;
    const inFlight: Promise<void>[] = [];
    for (let d = 0; d < 30; d++) {
      const batch = ids.slice(d * 2, d * 2 + 2);
      // Half by the pair's own URL, half by the portal id in the events.
      const delivery = signed(d % 2 ? '/webhooks/hubspot/acme' : '/webhooks/hubspot', batch.map(creation));
      const replica = replicas[d % 2]!;
      inFlight.push(
        send(replica, delivery).then(
          (status) => {
            if (status !== 200) return;
            for (const id of batch) answered.add(id);
            if (replica === replicas[0]) accepted ??= delivery;
          },
          () => {
            // The replica died before answering: HubSpot retries; nothing is promised for these ids.
          },
        ),
      );
      if (d === killAt) {
        replicas[1]!.cli.child.kill('SIGKILL');
        killed = true;
      }
      await sleep(5);
    }
    await Promise.all(inFlight);
    assert.ok(killed);
    assert.ok(answered.size >= 30, `replica 0 answered its half: ${answered.size}`);

    // Every id answered 200 reaches Salesforce as a lead (M1: one per email), through webhook jobs.
    const sfEmails = async () =>
      new Set(
        ((await side.sf.conn.query('SELECT Email FROM Lead')).records as { Email: string }[]).map((r) =>
          r.Email.toLowerCase(),
        ),
      );
    const wanted = [...answered].map((id) => `replica-${ids.indexOf(id)}@example.com`);
    await eventually(
      'every answered id is synced',
      async () => {
        const emails = await sfEmails();
        return wanted.every((e) => emails.has(e));
      },
      30_000,
    );
    const leads = (await side.sf.conn.query('SELECT Email FROM Lead')).records as { Email: string }[];
    assert.equal(new Set(leads.map((l) => l.Email.toLowerCase())).size, leads.length, 'no duplicate lead');

    // The same signed request, sent to the other replica (one behind the same public URL): a replay.
    const other = await startReplica();
    replicas.push(other);
    assert.ok(accepted, 'replica 0 accepted a delivery');
    const replay = await fetch(other.url + accepted.path, {
      method: 'POST',
      headers: accepted.headers,
      body: accepted.body,
    });
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'webhook_replayed');

    // Each replica serves every pair's routes: the status shows acme's queue from the workers.
    const status = await createApiClient({ baseUrl: other.url }).status();
    assert.ok(status.ok);
    const acme = status.value.pairs.find((p) => p.id === 'acme');
    assert.ok(acme?.queue, 'the queue of acme is shown');
    assert.ok(acme.queue.nextCycleAt !== null, 'its next cycle is scheduled');
    const settings = await createApiClient({ baseUrl: other.url, pair: 'acme' }).setting(
      'pollIntervalSeconds',
    );
    assert.ok(settings.ok);
    assert.equal(settings.value.value, 3600);

    // Engine work through a replica: it opens the pair's service for the request, its lease taken
    // between the worker's jobs, and answers the run's report (T1).
    const resynced = await createApiClient({ baseUrl: other.url, pair: 'acme' }).resync({
      email: 'replica-0@example.com',
    });
    assert.ok(resynced.ok, JSON.stringify(resynced));
    assert.equal(resynced.value.report.planned, 1);
    assert.match(resynced.value.report.runId, /^resync-/);
    const unknown = await createApiClient({ baseUrl: other.url, pair: 'nobody' }).usage();
    assert.equal(!unknown.ok && unknown.error.code, 'unknown_pair');

    // The console's routes through a replica, for a pair the workers sync (issue 14): the overview
    // names the pair's own systems, the run history has the resync, an import runs on the workers.
    const acmeApi = createApiClient({ baseUrl: other.url, pair: 'acme' });
    const overview = await acmeApi.overview();
    assert.ok(overview.ok, JSON.stringify(overview));
    assert.equal(overview.value.pair, 'acme');
    assert.deepEqual(
      overview.value.connections.map((c) => [c.where, c.healthy]),
      [
        [side.sf.emulator.url, true],
        [side.hs.emulator.url, true],
      ],
    );
    // `default` is registered in every store, but this process has no connection for it: said so.
    const unconnected = await createApiClient({ baseUrl: other.url }).overview();
    assert.ok(unconnected.ok, JSON.stringify(unconnected));
    assert.equal(unconnected.value.engine.state, 'not_started');
    for (const c of unconnected.value.connections) {
      assert.equal(c.healthy, false);
      assert.match(c.action ?? '', /SALESFORCE_\* and HUBSPOT_\*/);
    }
    const runs = await acmeApi.runs();
    assert.ok(runs.ok && runs.value.runs.some((r) => r.runId === resynced.value.report.runId));
    const started = await acmeApi.startImport(['Contact', 'Lead']);
    assert.ok(started.ok, JSON.stringify(started));
    assert.equal(started.status, 202);
    await eventually('the workers run the import queued through the replica', async () => {
      const current = await acmeApi.currentImport();
      return (
        current.ok && current.value.import?.id === started.value.id && current.value.import.state === 'done'
      );
    });

    worker.child.kill('SIGTERM');
    for (const r of replicas) if (r.cli.child.exitCode === null) r.cli.child.kill('SIGTERM');
    assert.equal(
      (await within(worker.exited, 10_000, 'the worker stops')).code,
      0,
      worker.stdout() + worker.stderr(),
    );
    for (const r of [replicas[0]!, other])
      assert.equal((await within(r.cli.exited, 10_000, 'a replica stops')).code, 0, r.cli.stderr());
  });
});
