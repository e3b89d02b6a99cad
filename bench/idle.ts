/**
 * Idle cost with Salesforce change events on (issue 15): what a day with no change costs Salesforce.
 *
 * - REST calls: both emulators and the service in this process, on a clock the benchmark moves. After
 *   the first cycles and the listener's start, 17,280 cycles run 5 s apart on that clock (a day at the
 *   default interval), as `crosswalk start` runs them; the Salesforce emulator's own count of API
 *   requests over the day is the figure. For comparison, an hour of the same cycles with the listener
 *   off (polling every cycle), times 24.
 * - Streaming API requests: a held `/meta/connect` is answered after the server's timeout (110 s on
 *   Salesforce) and the client connects again, so an idle day costs 86,400 / 110 connects. Measured,
 *   not assumed: the emulator holds connects for 1 s here, the listener runs 15 s of real time, and the
 *   requests per hold period are scaled to Salesforce's 110 s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openService } from '../src/app/service.ts';
import { SalesforceChangeListener } from '../src/app/salesforce-changes.ts';
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import type { BenchResult } from './stats.ts';

const DAY_CYCLES = 17_280;
const HOLD_MS = 1_000;
const WATCH_MS = 15_000;
const SALESFORCE_HOLD_MS = 110_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function idleBenchmarks(): Promise<BenchResult[]> {
  let offset = 0;
  const now = () => Date.now() + offset;
  const sf = await startSalesforceEmulator({ seedCount: 300, seed: 7, now, streamingTimeoutMs: HOLD_MS });
  const hs = await startHubSpotEmulator({ seedCount: 300, seed: 7, now });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-bench-idle-'));
  const service = await openService(
    {
      salesforce: { kind: 'token', instanceUrl: sf.url, accessToken: sf.accessToken },
      hubspot: { baseUrl: hs.url, accessToken: hs.accessToken },
      dataDir: dir,
      databaseUrl: undefined,
    },
    { now },
  );
  const listener = new SalesforceChangeListener(service, {
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const usage = async () =>
    (await (await fetch(`${sf.url}/__emulator/usage`)).json()) as {
      apiRequests: number;
      streamingRequests: number;
    };
  try {
    // The first sync links the dataset; a second cycle reads its own writes back.
    await service.engine.runOnce();
    await service.engine.runOnce();
    // Polling, one hour of cycles.
    let before = await usage();
    for (let i = 0; i < 720; i++) {
      offset += 5_000;
      await service.engine.runOnce();
    }
    const pollingHour = (await usage()).apiRequests - before.apiRequests;

    // Listening: the streaming requests over real time, then a day of cycles.
    await listener.start();
    before = await usage();
    await sleep(WATCH_MS);
    const watched = (await usage()).streamingRequests - before.streamingRequests;
    const perHold = watched / (WATCH_MS / HOLD_MS);
    const streamingPerDay = Math.round(perHold * (86_400_000 / SALESFORCE_HOLD_MS));
    before = await usage();
    const started = performance.now();
    for (let i = 0; i < DAY_CYCLES; i++) {
      offset += 5_000;
      await service.engine.runOnce();
    }
    const seconds = (performance.now() - started) / 1000;
    const day = (await usage()).apiRequests - before.apiRequests;
    return [
      {
        name: 'Idle Salesforce REST calls per day, change events on (5 s cycles)',
        value: String(day),
        detail: `${DAY_CYCLES} cycles on a moved clock (${seconds.toFixed(0)} s of real time): the 30-min safety-net poll (2 queries) and the hourly metadata read; against ${pollingHour * 24} polling every cycle (${pollingHour} in an hour × 24); aim ≤ 1,000 with the streaming requests`,
      },
      {
        name: 'Idle Streaming API requests per day',
        value: String(streamingPerDay),
        detail: `${watched} requests in ${WATCH_MS / 1000} s with connects held ${HOLD_MS / 1000} s (${perHold.toFixed(2)} per hold), scaled to Salesforce's 110 s hold; not counted by Salesforce against the allocation`,
      },
      {
        name: 'Idle Salesforce requests per day, all told',
        value: String(day + streamingPerDay),
        detail: `REST ${day} + Streaming ${streamingPerDay}; polling every 5 s: ${pollingHour * 24} (${Math.round((pollingHour * 24) / (day + streamingPerDay))}× more)`,
      },
    ];
  } finally {
    await listener.stop();
    await service.stop();
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}
