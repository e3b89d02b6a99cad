/**
 * U1: a preview runs a run exactly as it would run (the same engine, its gather and plan steps, the
 * same reads of both systems) on connectors whose writes go nowhere and a store that keeps what the
 * run writes in memory (`app/dry-connectors.ts`, `preview-store.ts`). Its report is what the run would
 * do, in the counts the applied run reports, and per system and field.
 *
 * A large scope is sampled: a record is planned when its key's digest falls under the rate
 * (`core/preview.ts`), and the counts are estimated with a 95% interval. Ask for an exact preview to
 * plan every record.
 */
import {
  estimate,
  tallyErrors,
  type ErrorTally,
  type Estimate,
  type WriteTally,
} from '../../core/preview.ts';
import type { System } from '../../core/records.ts';
import { Engine, type EngineOptions, type PreviewBasis } from '../engine.ts';
import { engineMemory, type CycleReport } from '../run.ts';
import type { PreviewStore } from './preview-store.ts';

/** What a preview found: the run's own report, what it would write, the errors it would meet. */
export interface PreviewReport {
  /** The previewed run's report, as the applied run would give it (writes counted as succeeding). */
  readonly run: CycleReport;
  readonly writes: WriteTally;
  readonly errors: readonly ErrorTally[];
  /** Records a plan found a possible duplicate for (the `duplicates` category). */
  readonly duplicates: number;
  readonly calls: {
    /** What the preview spent: the run's reads. */
    readonly spent: Readonly<Record<System, number>>;
    /** What applying would spend: the same reads and the writes (estimated when sampled). */
    readonly apply: Readonly<Record<System, number>>;
  };
  /** Set when the preview planned a sample of the scope. */
  readonly sample: {
    readonly rate: number;
    /** The scope the rate was chosen for (records, members or links). */
    readonly scope: number;
    readonly confidence: 0.95;
    /** The run's counts estimated for the whole scope. */
    readonly estimates: Readonly<Record<'planned' | 'synced' | 'failed' | 'created' | 'written', Estimate>>;
  } | null;
}

/**
 * Previews `act` on an engine like the one `options` make — whose connectors must be dry ones that
 * write nothing and tally what they would write in `tally` (`app/dry-connectors.ts`) — over
 * `previewed` (a `previewStore` of the pair's store, holding the previewed change if any): see the
 * file header. `sample`: the rate
 * at which records are planned, and the scope it was chosen for (omit: every record). `basis`: the
 * engine whose next run is previewed (`Engine.previewBasis`), so that the preview polls as it would.
 */
export async function preview(
  options: EngineOptions,
  previewed: PreviewStore,
  tally: WriteTally,
  act: (engine: Engine) => Promise<CycleReport>,
  sample?: { readonly rate: number; readonly scope: number },
  basis?: PreviewBasis,
): Promise<PreviewReport> {
  const { store, writes } = previewed;
  const counter =
    sample && sample.rate < 1 ? { rate: sample.rate, batchCalls: { salesforce: 0, hubspot: 0 } } : null;
  const engine = new Engine({
    ...options,
    ...basis?.options,
    store,
    memory: { ...engineMemory(), ...basis?.polled },
    ...(counter ? { sample: counter } : {}),
  });
  const run = await act(engine);
  const errors = tallyErrors(writes.errors);
  const rate = counter?.rate ?? 1;
  /**
   * What applying would spend on one system: the run's reads outside its batches (counts, lookups
   * read once) as they were, and its batches' reads and writes scaled up from the sample.
   */
  const applying = (system: 'salesforce' | 'hubspot') => {
    const inBatches = counter?.batchCalls[system] ?? 0;
    return run.calls[system] - inBatches + Math.round((inBatches + tally.calls[system]) / rate);
  };
  const created = run.created.salesforce + run.created.hubspot;
  const written = run.written.salesforce + run.written.hubspot;
  return {
    run,
    writes: tally,
    errors,
    duplicates: errors.filter((e) => e.category === 'duplicates').reduce((n, e) => n + e.records, 0),
    calls: {
      spent: run.calls,
      apply: { salesforce: applying('salesforce'), hubspot: applying('hubspot') },
    },
    sample:
      sample && rate < 1
        ? {
            rate,
            scope: sample.scope,
            confidence: 0.95,
            estimates: {
              planned: estimate(run.planned, rate),
              synced: estimate(run.synced, rate),
              failed: estimate(run.failed, rate),
              created: estimate(created, rate),
              written: estimate(written, rate),
            },
          }
        : null,
  };
}
