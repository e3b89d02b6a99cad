/**
 * `GET /metrics` (issue 14): Prometheus's text format, served by the HTTP API's app, behind its
 * checks (loopback names only without a token; with CROSSWALK_API_TOKEN, its bearer token).
 *
 * Every series of a pair is read from the store when Prometheus scrapes (`app/metrics.ts`): any
 * process over the same store (each `crosswalk api` replica, `crosswalk start`) answers the same,
 * and a restart resets no counter. The run counters and the latency histogram are the lifetime
 * totals the store keeps per pair (`StateStore.lifetimeTotals`), added to in the transaction that
 * records a run and untouched when the run history (30 days) forgets runs: they only grow. A run
 * recorded again under its run id counts once, as first recorded. The process's own metrics
 * (`process_*`, `nodejs_*`) are prom-client's defaults, in a registry per server.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { LATENCY_BUCKETS_MS } from '../core/latency.ts';
import type { ApiBackend } from '../app/api-backend.ts';
import { pairMetrics, type PairMetrics } from '../app/metrics.ts';
import { authorized, UNAUTHORIZED } from './http-api.ts';
import { errorBody } from './refusals.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsOptions {
  /** The API's bearer token: when set, a scrape must carry it (`Authorization: Bearer <token>`). */
  readonly token: string | undefined;
}

/** The labels of one series, and its value. */
type Series<L extends string> = readonly (readonly [Readonly<Record<L, string>>, number])[];

/** One value of a metric as prom-client's registry writes it. */
interface MetricValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * A histogram whose buckets come counted already (the store's `LATENCY_BUCKETS_MS` counts): what
 * prom-client's registry reads of a metric (`get()`), written as its own histograms are. `_sum`
 * is an estimate: each bucket's count at its midpoint, the one above the last bound at that bound.
 */
class CountedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    /** The upper bounds of the buckets (the last bucket, above them all, is `+Inf`). */
    private readonly bounds: readonly number[],
    /** Each series' labels and its counts per bucket (one more count than bounds). */
    private readonly series: () => readonly (readonly [
      Readonly<Record<string, string>>,
      readonly number[],
    ])[],
  ) {}

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const [labels, counts] of this.series()) {
      let cumulative = 0;
      let sum = 0;
      for (const [i, bound] of this.bounds.entries()) {
        const n = counts[i] ?? 0;
        cumulative += n;
        sum += (n * ((this.bounds[i - 1] ?? 0) + bound)) / 2;
        values.push({
          labels: { ...labels, le: bound },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      const above = counts[this.bounds.length] ?? 0;
      cumulative += above;
      sum += above * (this.bounds[this.bounds.length - 1] ?? 0);
      values.push({
        labels: { ...labels, le: '+Inf' },
        value: cumulative,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: cumulative, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  /** Nothing to reset: every value is read when asked for. */
  reset(): void {}
}

/**
 * The metrics' registry for `backend`: prom-client's default process metrics, and each pair's series,
 * read from `snapshot()` when the registry is asked for them.
 */
export function metricsRegistry(snapshot: () => readonly PairMetrics[]): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    series: (pair: PairMetrics) => Series<L>,
  ) =>
    new Counter<L | 'pair'>({
      name,
      help,
      labelNames: ['pair', ...labelNames],
      registers: [registry],
      collect() {
        this.reset();
        for (const pair of snapshot())
          for (const [labels, value] of series(pair)) this.inc({ pair: pair.pair, ...labels }, value);
      },
    });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    series: (pair: PairMetrics) => Series<L>,
  ) =>
    new Gauge<L | 'pair'>({
      name,
      help,
      labelNames: ['pair', ...labelNames],
      registers: [registry],
      collect() {
        this.reset();
        for (const pair of snapshot())
          for (const [labels, value] of series(pair)) this.set({ pair: pair.pair, ...labels }, value);
      },
    });
  const none = {} as Readonly<Record<never, string>>;

  counter(
    'crosswalk_runs_total',
    'Runs of engine work (cycles, webhook batches, reconciliations, resyncs, imports); idle poll cycles are not recorded. A lifetime total kept in the store: it only grows (runs the run history forgets still count; a run recorded again counts once).',
    [],
    (p) => [[none, p.totals.runs]],
  );
  counter(
    'crosswalk_runs_failed_total',
    'Runs that stopped with an error (a lifetime total: it only grows).',
    [],
    (p) => [[none, p.totals.failedRuns]],
  );
  counter(
    'crosswalk_records_written_total',
    'Records Crosswalk wrote (created or updated) in each system (a lifetime total: it only grows).',
    ['system'],
    (p) => [
      [{ system: 'salesforce' }, p.totals.written.salesforce],
      [{ system: 'hubspot' }, p.totals.written.hubspot],
    ],
  );
  counter(
    'crosswalk_records_failed_total',
    'Record syncs that failed, by the direction they failed in (a lifetime total: it only grows).',
    ['direction'],
    (p) => [
      [{ direction: 'to_hubspot' }, p.totals.failedBy.to_hubspot],
      [{ direction: 'to_salesforce' }, p.totals.failedBy.to_salesforce],
    ],
  );
  counter(
    'crosswalk_api_calls_total',
    'API calls made to each system, every run and idle cycle counted (the usage table B1 counts, never pruned).',
    ['system'],
    (p) => [
      [{ system: 'salesforce' }, p.calls.salesforce],
      [{ system: 'hubspot' }, p.calls.hubspot],
    ],
  );
  counter(
    'crosswalk_hubspot_throttled_total',
    'HubSpot answers 429 (rate limited) the runs met and waited out (a lifetime total: it only grows).',
    [],
    (p) => [[none, p.totals.throttled]],
  );
  gauge(
    'crosswalk_errors',
    'Errors in the error log now, by category (crosswalk errors).',
    ['category'],
    (p) => Object.entries(p.errors).map(([category, n]) => [{ category }, n] as const),
  );
  gauge(
    'crosswalk_paused',
    '1 while the pair is paused: reason="manual", by a person until Resume; reason="limit", Salesforce calls until the time after the org refused one for its daily limit.',
    ['reason'],
    (p) => [
      [{ reason: 'manual' }, p.pausedByPerson ? 1 : 0],
      [{ reason: 'limit' }, p.pausedForLimit ? 1 : 0],
    ],
  );
  gauge(
    'crosswalk_queue_depth',
    "The pair's jobs waiting or running in the workers' queue (none without workers).",
    [],
    (p) => (p.queueDepth === null ? [] : [[none, p.queueDepth]]),
  );
  gauge(
    'crosswalk_webhook_inbox',
    "Contact ids HubSpot's webhooks announced that wait in the pair's inbox.",
    [],
    (p) => [[none, p.webhookInbox]],
  );
  const latency = new CountedHistogram(
    'crosswalk_change_latency_seconds',
    "Seconds from a change's save in its system to Crosswalk's write of it (lifetime counts: they only grow); _sum is estimated from the buckets' midpoints.",
    LATENCY_BUCKETS_MS.map((ms) => ms / 1000),
    () => snapshot().map((p) => [{ pair: p.pair }, p.totals.latency] as const),
  );
  // The registry reads a metric through `get()`: prom-client's own types have no way to be given counts.
  registry.registerMetric(latency as unknown as Metric);
  return registry;
}

/**
 * Serves `GET /metrics` on `app` for `backend`'s pairs, with `token` required when set (the API's
 * other checks, the loopback Host names without a token, are `app`'s hooks).
 */
export function registerMetrics(app: FastifyInstance, backend: ApiBackend, options: MetricsOptions): void {
  let snapshot: readonly PairMetrics[] = [];
  const registry = metricsRegistry(() => snapshot);
  app.get(METRICS_PATH, async (request, reply) => {
    if (options.token !== undefined && !authorized(request, options.token))
      return reply.code(401).header('www-authenticate', 'Bearer').send(errorBody(UNAUTHORIZED));
    const read = await pairMetrics(backend);
    // The registry calls every metric's collect() at once, before it awaits anything: a scrape
    // answered at the same time cannot mix its snapshot into this one.
    snapshot = read;
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
