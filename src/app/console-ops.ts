/**
 * What the console shows and does beyond the CLI's first operations (issue 14): the overview of a
 * pair (its connections, its engine's state, its counts, latency and API budget), the time series of
 * its charts, Pause and Resume, the run history, a contact's whole story, the mappings checked
 * against both systems, the segment's size, and error pages with a resync of the selected records.
 * Each returns data for the HTTP API (the contract's types); the CLI has the same through the API.
 */
import type { ContactView, EngineState, ErrorList, Overview, RunSummary, Series } from '../api/contract.ts';
import { errorCategoryLabels } from '../core/errors.ts';
import { latencyPercentile } from '../core/latency.ts';
import { fail, ok, type Result } from '../core/model.ts';
import { pauseNow, readManualPause } from '../engine/budget.ts';
import type { CycleReport } from '../engine/engine.ts';
import {
  MANUAL_PAUSE_KEY,
  ORG_USAGE_KEY,
  REACHED_AT_KEY,
  SALESFORCE_USER_KEY,
} from '../engine/state-keys.ts';
import { resolveSettings } from '../config/settings.ts';
import type { ErrorEntry, ErrorFilter, RunRecord, StateStore } from '../store/state-store.ts';
import { changeEventsOf, errorView, problemText, resync, type ContactKey } from './operations.ts';
import type { PairApi } from './api-backend.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** E3: the share of the allocation (or the calls without one) at which automatic retries stop. */
const RETRY_SHARE = 0.75;
const RETRY_CALLS_WITHOUT_ALLOCATION = 5_000;

/** Where each side of a pair is and how it authenticates (never a secret). */
export interface PairConnection {
  readonly salesforce: { readonly where: string; readonly auth: string };
  readonly hubspot: { readonly where: string; readonly auth: string };
  /** Set when this process cannot connect the pair (no credentials given here): why, and the fix. */
  readonly unconfigured?: { readonly why: string; readonly fix: string };
}

/** Skip codes in words, for the overview's "out of scope" counts. */
const skipLabels: Readonly<Record<string, string>> = {
  out_of_scope: 'Outside the inclusion segment',
  no_email: 'No email',
  email_in_use: 'Email used by another record',
  shares_email: 'Shares an email',
  linked_elsewhere: 'Linked to another record',
  converted_lead: 'Converted lead',
  deleted: 'Deleted',
  nothing_to_sync: 'Nothing to sync',
  record_not_found: 'Record not found',
};

export function runSummary(run: RunRecord): RunSummary {
  return {
    runId: run.runId,
    kind: run.kind,
    trigger: run.trigger,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    read: { ...run.read },
    planned: run.planned,
    synced: run.synced,
    skipped: run.skipped,
    failed: run.failed,
    created: { ...run.created },
    written: { ...run.written },
    failedBy: { ...run.failedBy },
    calls: { ...run.calls },
    throttled: run.throttled,
    faults: run.faults,
    paused: run.paused,
    error: run.error ? { ...run.error } : null,
    undoes: run.undoes ?? null,
  };
}

/**
 * When the latest run that reached the systems finished without an error (idle cycles included; not
 * a run a pause held back), or null.
 */
async function lastCompletedAt(store: StateStore): Promise<number | null> {
  const raw = await store.cursor(REACHED_AT_KEY);
  const at = raw === null ? NaN : Number(raw);
  return Number.isFinite(at) ? at : null;
}

/** A system's answer that says the credentials are refused. */
export function authRefused(error: NonNullable<RunRecord['error']>): boolean {
  return /INVALID_SESSION_ID|INVALID_AUTH|invalid_grant|INVALID_AUTHENTICATION|EXPIRED_AUTHENTICATION|HTTP_401|HTTP_403|UNAUTHORIZED/i.test(
    `${error.code} ${error.message}`,
  );
}

/** The run error that still stands: the newest kept run's, when no run completed after it. */
export async function standingError(store: StateStore): Promise<RunRecord | null> {
  const [latest] = await store.runs({ limit: 1 });
  if (!latest?.error) return null;
  const completed = await lastCompletedAt(store);
  return completed !== null && completed > latest.finishedAt ? null : latest;
}

/** The engine's state: a person's pause, B1's, failing credentials, a failing or faulty last run, or running. */
export async function engineState(store: StateStore, now: number): Promise<EngineState> {
  const manual = await readManualPause(store);
  if (manual)
    return {
      state: 'paused',
      why: `Paused by a person${manual.reason ? ` (${manual.reason})` : ''}: no cycle runs, and changes wait in both systems (webhooks wait in the inbox) until Resume.`,
      since: manual.at,
      until: null,
      pausedBy: { at: manual.at, reason: manual.reason },
    };
  const limit = await pauseNow({ store, now: () => now } as Parameters<typeof pauseNow>[0], 0);
  if (limit)
    return {
      state: 'limited',
      why: `Salesforce calls are paused (B1): ${limit.why}.`,
      since: null,
      until: limit.until,
      pausedBy: null,
    };
  const failing = await standingError(store);
  if (failing?.error) {
    const system = failing.error.system === 'hubspot' ? 'HubSpot' : 'Salesforce';
    if (authRefused(failing.error))
      return {
        state: 'failing_auth',
        why: `${system} refuses the credentials (${failing.error.code}): ${failing.error.message}. Renew the ${failing.error.system === 'hubspot' ? 'private app token' : 'access token or connected app credentials'}, then restart.`,
        since: failing.finishedAt,
        until: null,
        pausedBy: null,
      };
    return {
      state: 'degraded',
      why: `The last run stopped with an error (${failing.error.code}): ${failing.error.message}. It is tried again every cycle; nothing is lost.`,
      since: failing.finishedAt,
      until: null,
      pausedBy: null,
    };
  }
  if ((await lastCompletedAt(store)) === null && failing === null)
    return {
      state: 'not_started',
      why: 'No run of this pair has happened yet: it syncs once `crosswalk start`, or `crosswalk worker` with its credentials, runs.',
      since: null,
      until: null,
      pausedBy: null,
    };
  return {
    state: 'running',
    why: 'Syncing: changes are picked up as they happen (change events, webhooks) or at the next cycle.',
    since: null,
    until: null,
    pausedBy: null,
  };
}

/** Pauses the pair's automatic sync (cycles, webhook batches, the schedule) until `resume`. */
export async function pause(
  store: StateStore,
  now: number,
  reason: string | undefined,
): Promise<EngineState> {
  const current = await readManualPause(store);
  if (!current)
    await store.setCursor(
      MANUAL_PAUSE_KEY,
      JSON.stringify({ at: now, reason: reason?.trim() ? reason.trim() : null }),
    );
  return engineState(store, now);
}

/** Ends a person's pause: the next cycle runs as usual and catches up from where the cursors stand. */
export async function resume(store: StateStore, now: number): Promise<EngineState> {
  await store.setCursor(MANUAL_PAUSE_KEY, '');
  return engineState(store, now);
}

/** Each side's connection, healthy unless the standing run error is that side's. */
async function connections(store: StateStore, connection: PairConnection): Promise<Overview['connections']> {
  const failing = await standingError(store);
  const lastOkAt = await lastCompletedAt(store);
  const who = { salesforce: salesforceUser(await store.cursor(SALESFORCE_USER_KEY)), hubspot: null };
  const changes = { salesforce: await changeEventsOf(store), hubspot: null };
  return (['salesforce', 'hubspot'] as const).map((system) => {
    if (connection.unconfigured)
      return {
        system,
        where: connection[system].where,
        auth: connection[system].auth,
        who: who[system],
        healthy: false,
        status: connection.unconfigured.why,
        action: connection.unconfigured.fix,
        lastOkAt,
        changeEvents: changes[system],
      };
    const error = failing?.error?.system === system ? failing.error : null;
    const name = system === 'salesforce' ? 'Salesforce' : 'HubSpot';
    const action = error
      ? authRefused(error)
        ? system === 'salesforce'
          ? 'Renew the Salesforce access token (or check the connected app and the integration user), then restart Crosswalk.'
          : "Renew the HubSpot private app's token (or its scopes), then restart Crosswalk."
        : `Check that ${name} is reachable from this server; the next cycle tries again by itself.`
      : null;
    return {
      system,
      where: connection[system].where,
      auth: connection[system].auth,
      who: who[system],
      healthy: error === null,
      status: error
        ? `${name} failed the last run: ${error.code}: ${error.message}`
        : lastOkAt === null
          ? 'No run has reached it yet.'
          : `Reached by the last run.`,
      action,
      lastOkAt,
      changeEvents: changes[system],
    };
  });
}

/** The integration user as the last metadata read saw it: its email (and id), or null. */
function salesforceUser(raw: string | null): string | null {
  if (!raw) return null;
  try {
    const user = JSON.parse(raw) as { id?: unknown; email?: unknown };
    if (typeof user.id !== 'string') return null;
    return typeof user.email === 'string' ? `${user.email} (user ${user.id})` : `user ${user.id}`;
  } catch {
    return null;
  }
}

/** E3: why automatic retries are paused now (75% of the allocation spent), or null. */
export async function retriesPausedWhy(store: StateStore, now: number): Promise<string | null> {
  const allocation = resolveSettings(await store.settings()).sfDailyAllocation;
  const used = await store.apiCalls('salesforce', now - DAY_MS);
  const gate = allocation === null ? RETRY_CALLS_WITHOUT_ALLOCATION : RETRY_SHARE * allocation;
  if (used < gate) return null;
  return allocation === null
    ? `Automatic retries are paused: ${used} Salesforce calls in 24 h reached ${RETRY_CALLS_WITHOUT_ALLOCATION}, the limit without an allocation (E3). New changes still sync; resync by hand, or set sfDailyAllocation.`
    : `Automatic retries are paused: ${used} of the ${allocation} Salesforce calls allocated for 24 h are spent (75%, E3). New changes still sync; resync by hand, or raise sfDailyAllocation.`;
}

/** The console's overview of the pair. */
export async function overview(
  store: StateStore,
  connection: PairConnection,
  now: number,
): Promise<Overview> {
  const [engine, outcomes, errorCounts, waiting, links, latest, totals] = await Promise.all([
    engineState(store, now),
    store.outcomeCounts(),
    store.errorCounts(),
    store.webhookInboxSize(),
    store.countLinks(),
    store.runs({ limit: 1 }),
    store.runTotals(now - DAY_MS),
  ]);
  const outOfScope = new Map<string, number>();
  let inSync = 0;
  for (const o of outcomes) {
    if (o.outcome === 'synced') inSync += o.count;
    if (o.outcome === 'skipped') {
      const reason = o.reason ?? 'other';
      outOfScope.set(reason, (outOfScope.get(reason) ?? 0) + o.count);
    }
  }
  const settings = resolveSettings(await store.settings());
  const allocation = settings.sfDailyAllocation;
  const sfUsed = await store.apiCalls('salesforce', now - DAY_MS);
  const lastHour = await store.apiCalls('salesforce', now - HOUR_MS);
  const org = await store.cursor(ORG_USAGE_KEY);
  const limit = await pauseNow({ store, now: () => now } as Parameters<typeof pauseNow>[0], 0);
  return {
    pair: store.pair,
    engine,
    connections: await connections(store, connection),
    counts: {
      inSync,
      outOfScope: [...outOfScope]
        .map(([reason, count]) => ({ reason, label: skipLabels[reason] ?? reason, count }))
        .sort((a, b) => b.count - a.count),
      failing: errorCounts.reduce((sum, c) => sum + c.records, 0),
      waiting,
      links,
    },
    latency: {
      windowMs: DAY_MS,
      samples: totals.latency.reduce((sum, n) => sum + n, 0),
      p50: latencyPercentile(totals.latency, 0.5),
      p95: latencyPercentile(totals.latency, 0.95),
    },
    lastRun: latest[0] ? runSummary(latest[0]) : null,
    budget: {
      salesforce: {
        used24h: sfUsed,
        allocation,
        org: org ? (JSON.parse(org) as { used: number; max: number; at: number }) : null,
        runsOutAt:
          allocation !== null && lastHour > 0
            ? now + Math.max(0, ((allocation - sfUsed) / lastHour) * HOUR_MS)
            : null,
        retriesPaused: (await retriesPausedWhy(store, now)) !== null,
        pausedUntil: limit?.until ?? null,
      },
      hubspot: {
        used24h: await store.apiCalls('hubspot', now - DAY_MS),
        throttled24h: totals.throttled,
      },
    },
  };
}

/** Each window's span and step: 60 points of a minute, 48 of half an hour, 28 of six hours. */
const windows: Readonly<Record<Series['window'], { readonly span: number; readonly step: number }>> = {
  '1h': { span: HOUR_MS, step: 60_000 },
  '24h': { span: DAY_MS, step: 30 * 60_000 },
  '7d': { span: 7 * DAY_MS, step: 6 * HOUR_MS },
};

/** Records moved and failed per direction, and API calls per side, over a window (every bucket, zeros included). */
export async function series(store: StateStore, window: Series['window'], now: number): Promise<Series> {
  const { span, step } = windows[window];
  // Buckets end at the next whole step, so a bucket's boundaries stay put from one poll to the next.
  const to = Math.ceil(now / step) * step;
  const from = to - span;
  const [runs, sfCalls, hsCalls] = await Promise.all([
    store.runSeries(from, to, step),
    store.apiCallSeries('salesforce', from, to, step),
    store.apiCallSeries('hubspot', from, to, step),
  ]);
  const byAt = <T extends { at: number }>(rows: readonly T[]) => new Map(rows.map((r) => [r.at, r]));
  const r = byAt(runs);
  const sf = byAt(sfCalls);
  const hs = byAt(hsCalls);
  const points: Series['points'] = [];
  for (let at = from; at < to; at += step) {
    const run = r.get(at);
    points.push({
      at,
      toHubspot: run?.written.hubspot ?? 0,
      toSalesforce: run?.written.salesforce ?? 0,
      failedToHubspot: run?.failedBy.to_hubspot ?? 0,
      failedToSalesforce: run?.failedBy.to_salesforce ?? 0,
      callsSalesforce: sf.get(at)?.calls ?? 0,
      callsHubspot: hs.get(at)?.calls ?? 0,
      throttled: run?.throttled ?? 0,
    });
  }
  return { window, from, to, stepMs: step, points };
}

/** One page of the run history, newest first; `next` is the `before` of the page after (null: none). */
export async function listRuns(
  store: StateStore,
  query: {
    readonly limit: number;
    readonly before?: number | undefined;
    readonly kind?: RunRecord['kind'] | undefined;
  },
): Promise<{ runs: RunSummary[]; next: number | null }> {
  // One more than asked tells whether a next page exists.
  const runs = await store.runs({
    limit: query.limit + 1,
    ...(query.before !== undefined ? { before: query.before } : {}),
    ...(query.kind !== undefined ? { kind: query.kind } : {}),
  });
  const page = runs.slice(0, query.limit);
  const more = runs.length > query.limit;
  return { runs: page.map(runSummary), next: more ? page[page.length - 1]!.startedAt : null };
}

/** A run and one page of what it wrote (the audit log). */
export async function getRun(
  store: StateStore,
  runId: string,
  page: { readonly limit: number; readonly offset: number },
): Promise<Result<{ run: RunSummary; writes: ContactView['timeline']; total: number; undoneBy: string[] }>> {
  const run = await store.run(runId);
  if (!run)
    return fail(
      'unknown_run',
      `no run "${runId}" is kept for the pair "${store.pair}"`,
      'list the runs (GET /api/runs); runs are kept 30 days, idle poll cycles not at all.',
    );
  const { total, entries } = await store.auditOfRun(runId, page);
  const undos = await store.runs({ limit: 20, undoes: runId });
  return ok({ run: runSummary(run), writes: entries, total, undoneBy: undos.map((u) => u.runId) });
}

/** V2: one page of the error log, the counts per category, and whether retries are paused (E3). */
export async function errorPage(
  store: StateStore,
  filter: ErrorFilter,
  page: { readonly limit: number; readonly offset: number },
  now: number,
): Promise<ErrorList> {
  const [{ total, errors }, counts, retriesPaused] = await Promise.all([
    store.errorPage(filter, page),
    store.errorCounts(),
    retriesPausedWhy(store, now),
  ]);
  return {
    total,
    byCategory: counts.map((c) => ({
      category: c.category,
      label: errorCategoryLabels[c.category],
      count: c.errors,
      records: c.records,
    })),
    errors: errors.map(errorView),
    retriesPaused,
  };
}

/** Every error matching `filter`, page after page (the CSV export of 100k errors never holds a page twice). */
export async function* allErrors(store: StateStore, filter: ErrorFilter): AsyncGenerator<ErrorEntry[]> {
  const limit = 1_000;
  for (let offset = 0; ; offset += limit) {
    const { errors } = await store.errorPage(filter, { limit, offset });
    if (errors.length > 0) yield errors;
    if (errors.length < limit) return;
  }
}

/**
 * The contact behind each selected error log record, to resync: a HubSpot record key is its contact;
 * a Salesforce key, its link's contact, else the email its error carries. Records with none are listed.
 */
export async function resyncTargets(
  store: StateStore,
  records: readonly string[],
): Promise<{
  targets: { record: string; target: ContactKey }[];
  unknown: { record: string; why: string }[];
}> {
  const errors = await store.errors({ records });
  const targets: { record: string; target: ContactKey }[] = [];
  const unknown: { record: string; why: string }[] = [];
  for (const record of new Set(records)) {
    const hs = /^hs:(\d+)$/.exec(record);
    if (hs) {
      targets.push({ record, target: { hsContactId: hs[1]! } });
      continue;
    }
    const sf = /^sf:(\w+)$/.exec(record);
    const link = sf ? await store.linkBySalesforceId(sf[1]!) : null;
    if (link) {
      targets.push({ record, target: { hsContactId: link.hsContactId } });
      continue;
    }
    const email = errors.find((e) => e.record === record && e.email)?.email;
    if (email) targets.push({ record, target: { email } });
    else
      unknown.push({
        record,
        why: errors.some((e) => e.record === record)
          ? 'the error names no HubSpot contact and no email: the engine retries it on its own'
          : 'no error of this record is in the log (fixed meanwhile?)',
      });
  }
  return { targets, unknown };
}

/**
 * E1, T1: resyncs the contacts behind selected errors (the console's "Resync selected"), all under
 * one service (one writer lease), one after another; then says, per record, what still fails.
 */
export async function resyncErrors(
  pair: Pick<PairApi, 'store' | 'withService'>,
  records: readonly string[],
): Promise<
  Result<{ resynced: number; failed: { record: string; why: string }[]; report: CycleReport | null }>
> {
  const { targets, unknown } = await resyncTargets(pair.store, records);
  const failed = [...unknown];
  const reports: CycleReport[] = [];
  const ran = await pair.withService('writer', async (service) => {
    for (const { record, target } of targets) {
      const result = await resync(service, target);
      if (result.ok) reports.push(result.value);
      else failed.push({ record, why: problemText(result.problem) });
    }
    return ok(null);
  });
  if (!ran.ok) return ran;
  // What still fails after its resync is in the log again: said per record.
  const still = await pair.store.errors({ records });
  for (const record of new Set(still.map((e) => e.record)))
    if (!failed.some((f) => f.record === record))
      failed.push({
        record,
        why: still
          .filter((e) => e.record === record)
          .map((e) => `${e.code}: ${e.message}`)
          .join('; '),
      });
  return ok({ resynced: new Set(records).size - failed.length, failed, report: sumReports(reports) });
}

/** Sums the reports of several resyncs, as one. */
export function sumReports(reports: readonly CycleReport[]): CycleReport | null {
  if (reports.length === 0) return null;
  const add = (a: { salesforce: number; hubspot: number }, b: { salesforce: number; hubspot: number }) => ({
    salesforce: a.salesforce + b.salesforce,
    hubspot: a.hubspot + b.hubspot,
  });
  return reports.slice(1).reduce<CycleReport>(
    (sum, r) => ({
      ...sum,
      finishedAt: r.finishedAt,
      changes: add(sum.changes, r.changes),
      planned: sum.planned + r.planned,
      synced: sum.synced + r.synced,
      skipped: sum.skipped + r.skipped,
      failed: sum.failed + r.failed,
      written: add(sum.written, r.written),
      created: add(sum.created, r.created),
      linked: sum.linked + r.linked,
      calls: add(sum.calls, r.calls),
      paused: r.paused ?? sum.paused,
      faults: sum.faults + r.faults,
    }),
    reports[0]!,
  );
}
