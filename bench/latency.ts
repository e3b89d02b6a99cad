/**
 * Issue 6: how long a change takes to be visible on the other side, with 50 ms added to every API
 * request of both emulators. The service runs as `crosswalk start` does: the sync loop at the default
 * interval (pollIntervalSeconds, 5 s) and the HTTP API receiving the HubSpot emulator's signed
 * webhooks (window 500 ms). A person changes a linked record's title (Two-way), through HubSpot's API or a
 * sales rep through Salesforce's), at random moments; the clock starts when the write is answered and
 * stops when the other emulator's store holds the value, read in-process every 10 ms (no API call).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@hubspot/api-client';
import { Connection } from 'jsforce';
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { openService } from '../src/app/service.ts';
import { startApiServer } from '../src/server/http-api.ts';
import { resolveSettings } from '../src/config/settings.ts';
import { DEFAULT_MAPPINGS, setMappingRule } from '../src/core/mappings.ts';
import type { BenchResult } from './stats.ts';

const LATENCY_MS = 50;
const CHANGES = 40;
/** Changes start at random moments over this long, so they meet the loop in every phase. */
const SPREAD_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error('the change never arrived');
    await sleep(10);
  }
  return performance.now();
}

export async function latencyBenchmarks(): Promise<BenchResult[]> {
  const sf = await startSalesforceEmulator({ seedCount: 300, seed: 7, latencyMs: LATENCY_MS });
  const hs = await startHubSpotEmulator({ seedCount: 300, seed: 7, latencyMs: LATENCY_MS });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-bench-latency-'));
  const service = await openService({
    salesforce: { kind: 'token', instanceUrl: sf.url, accessToken: sf.accessToken },
    hubspot: { baseUrl: hs.url, accessToken: hs.accessToken },
    dataDir: dir,
    databaseUrl: undefined,
  });
  const clientSecret = randomBytes(16).toString('hex');
  const api = await startApiServer(service, {
    host: '127.0.0.1',
    port: 0,
    token: undefined,
    webhooks: { clientSecret, windowMs: 500, publicUrl: undefined },
  });
  try {
    // Title is Two-way, so a change on either side flows (Prefer Salesforce would keep Salesforce's).
    const rule = setMappingRule(DEFAULT_MAPPINGS, 'jobtitle', 'two_way');
    if (!rule.ok) throw new Error(rule.problem.message);
    await service.store.saveMappings(rule.value);
    // The first sync links the overlapping dataset; then the service runs as `crosswalk start` does.
    await service.engine.runOnce();
    await service.engine.runOnce();
    const response = await fetch(`${hs.url}/__emulator/webhooks`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        targetUrl: `${api.url}/webhooks/hubspot`,
        clientSecret,
        subscriptions: [
          'contact.creation',
          'contact.propertyChange',
          'contact.deletion',
          'contact.merge',
        ].map((subscriptionType) => ({ subscriptionType })),
      }),
    });
    if (!response.ok) throw new Error(`webhooks: HTTP ${response.status}`);
    const interval = resolveSettings(await service.store.settings()).pollIntervalSeconds;
    service.start(interval * 1000, (error) => process.stderr.write(`cycle failed: ${String(error)}\n`));

    // Linked pairs: a lead and its contact, found in the emulators' stores.
    const pairs: { sfId: string; hsId: string }[] = [];
    for (const [hsId, contact] of hs.portal.objects.contacts) {
      const sfId = contact.values.get('salesforceleadid');
      if (sfId && sf.org.get(sfId)?.IsConverted === false) pairs.push({ sfId, hsId });
    }
    if (pairs.length < 2 * CHANGES) throw new Error(`only ${pairs.length} linked leads`);

    const client = new Client({ accessToken: hs.accessToken, basePath: hs.url });
    const { accessToken } = (await (
      await fetch(`${sf.url}/__emulator/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'sam.rivera@crosswalk.example' }),
      })
    ).json()) as { accessToken: string };
    const person = new Connection({ instanceUrl: sf.url, accessToken, version: '60.0' });

    const measure = async (
      change: (pair: { sfId: string; hsId: string }, value: string) => Promise<void>,
      arrived: (pair: { sfId: string; hsId: string }, value: string) => boolean,
      from: number,
    ): Promise<number[]> =>
      Promise.all(
        pairs.slice(from, from + CHANGES).map(async (pair, i) => {
          await sleep(Math.random() * SPREAD_MS);
          const value = `Bench ${from + i} ${randomBytes(4).toString('hex')}`;
          await change(pair, value);
          const written = performance.now();
          return (await until(() => arrived(pair, value), 60_000)) - written;
        }),
      );

    const hsToSf = await measure(
      async (pair, value) => {
        await client.crm.contacts.basicApi.update(pair.hsId, { properties: { jobtitle: value } });
      },
      (pair, value) => sf.org.get(pair.sfId)?.Title === value,
      0,
    );
    const sfToHs = await measure(
      async (pair, value) => {
        await person.sobject('Lead').update({ Id: pair.sfId, Title: value });
      },
      (pair, value) => hs.portal.objects.contacts.get(pair.hsId)?.values.get('jobtitle') === value,
      CHANGES,
    );
    const line = (samples: number[]) =>
      `p50 ${(quantile(samples, 0.5) / 1000).toFixed(2)} s / p99 ${(quantile(samples, 0.99) / 1000).toFixed(2)} s`;
    const spread = (samples: number[]) =>
      `min ${(Math.min(...samples) / 1000).toFixed(2)} s, max ${(Math.max(...samples) / 1000).toFixed(2)} s over ${samples.length} changes`;
    return [
      {
        name: 'HubSpot change → visible in Salesforce (webhook, 500 ms window)',
        value: line(hsToSf),
        detail: `${spread(hsToSf)}; ${LATENCY_MS} ms added to every API request; aim p50 ≤ 2 s, p99 ≤ 5 s`,
      },
      {
        name: 'Salesforce change → visible in HubSpot (change events, 100 ms window)',
        value: line(sfToHs),
        detail: `${spread(sfToHs)}; ${LATENCY_MS} ms added to every API request; cycles every ${interval} s (Salesforce polled only as the 30-min safety net); aim p50 ≤ 1 s, p99 ≤ 2 s`,
      },
    ];
  } finally {
    await api.close();
    await service.stop();
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}
