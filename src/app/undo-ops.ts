/**
 * U2, the undo of a run as a person asks for it (`crosswalk undo`, `POST /api/runs/:runId/undo`, the
 * console's Runs screen): the run checked first — kept for this pair, finished, with values written —
 * then undone (a run of its own, after the engine work under way) or previewed (reads only).
 */
import { fail, ok, type Result } from '../core/model.ts';
import type { UndoAnswer } from '../api/undo-contract.ts';
import type { Service } from './service.ts';

export interface UndoOptions {
  /** Report what the undo would do, and write nothing. */
  readonly preview: boolean;
  /** Delete the records the run created, when untouched since. */
  readonly includeCreates: boolean;
}

/** What `undo` needs of a service. */
export type UndoService = Pick<Service, 'engine' | 'exclusive' | 'store' | 'registry'>;

/**
 * Why `runId` cannot be undone in `service`'s pair, or null when it can: not kept here (and maybe
 * another pair's), not finished (its writes are in the ledger, the run is not in the history), or
 * it wrote nothing.
 */
export async function undoProblem(service: UndoService, runId: string): Promise<Result<true>> {
  const { store } = service;
  const run = await store.run(runId);
  const written = (await store.auditOfRun(runId, { limit: 1, offset: 0 })).total;
  if (run === null && written > 0)
    return fail(
      'run_not_finished',
      `run "${runId}" has written values but is not in the run history: it has not finished`,
      'wait until it ends (`crosswalk runs`, GET /api/runs), then undo it. A run whose process was killed part way is never finished, and cannot be undone.',
    );
  if (run === null) {
    for (const pair of await service.registry.pairs()) {
      if (pair.id === store.pair) continue;
      if ((await service.registry.forPair(pair.id).run(runId)) !== null)
        return fail(
          'unknown_run',
          `run "${runId}" is of the connection pair "${pair.id}", not "${store.pair}"`,
          `undo it with --pair ${pair.id} (HTTP: POST /api/pairs/${pair.id}/runs/${runId}/undo).`,
        );
    }
    return fail(
      'unknown_run',
      `no run "${runId}" is kept for the pair "${store.pair}"`,
      'give a run id as `crosswalk runs` (or GET /api/runs) lists it; runs are kept 30 days.',
    );
  }
  if (written === 0)
    return fail(
      'nothing_to_undo',
      `run "${runId}" wrote no value to either system: there is nothing to undo`,
      'pick a run that wrote values: the Runs screen (or GET /api/runs/:runId) shows what each wrote.',
    );
  return ok(true);
}

/**
 * U2: undoes the run `runId` of the service's pair, or previews its undo. The undo runs after the
 * engine work under way (never during a cycle); B1 may hold it back (`paused`: run it again later).
 */
export async function undo(
  service: UndoService,
  runId: string,
  options: UndoOptions,
): Promise<Result<UndoAnswer>> {
  const checked = await undoProblem(service, runId);
  if (!checked.ok) return checked;
  const request = { runId, includeCreates: options.includeCreates };
  if (options.preview) {
    const preview = await service.exclusive(() => service.engine.previewUndo(request));
    return ok({
      undo: preview.undo,
      undoRunId: null,
      calls: preview.calls,
      paused: preview.paused?.why ?? null,
    });
  }
  const report = await service.exclusive(() => service.engine.undo(request));
  const kept = await service.store.run(report.runId);
  return ok({
    undo: report.undo,
    undoRunId: kept === null ? null : report.runId,
    calls: report.calls,
    paused: report.paused?.why ?? null,
  });
}
