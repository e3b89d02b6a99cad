/**
 * U1: previews of every change that can move data, for the CLI's `--preview`, the API's
 * `POST /api/preview` and the console. A change of configuration (a setting, a mapping, a value map)
 * is made in the preview's memory through the same operation as the change itself (so it is checked
 * the same way), then the run it feeds is previewed: the next sync cycle, whose pending changes it
 * would decide (F7: existing values move only on their next change). An import, a segment resync
 * and a reconciliation are previewed as themselves, sampled when their scope is large.
 */
import { fail, type Result, type SfPersonObject, type SyncRule } from '../core/model.ts';
import { emptyTally, sampleRate } from '../core/preview.ts';
import { dryHubSpot, drySalesforce } from './dry-connectors.ts';
import type { ValueMap } from '../core/value-maps.ts';
import type { PreviewBody } from '../api/preview-contract.ts';
import { ConnectorError } from '../connectors/ports.ts';
import type { Engine } from '../engine/engine.ts';
import { preview, type PreviewReport } from '../engine/preview/preview.ts';
import { previewStore, type PreviewStore } from '../engine/preview/preview-store.ts';
import type { CycleReport } from '../engine/run.ts';
import * as ops from './operations.ts';
import type { Service } from './service.ts';
import { clearValueMap, removeValueMapEntry, replaceValueMap, setValueMapEntry } from './value-map-ops.ts';

/** What a preview needs of the pair's service: its ports, store and clock, and its engine's basis. */
export type PreviewService = Pick<Service, 'salesforce' | 'hubspot' | 'store' | 'now' | 'engine'>;

/** What to preview. */
export type PreviewTarget =
  | { readonly kind: 'setting'; readonly key: string; readonly value: ops.SettingInput }
  | { readonly kind: 'mapping_rule'; readonly hsProperty: string; readonly rule: SyncRule }
  | { readonly kind: 'mapping_add'; readonly request: ops.MappingRequest }
  | { readonly kind: 'mapping_remove'; readonly hsProperty: string }
  | { readonly kind: 'value_map'; readonly hsProperty: string; readonly change: ValueMapChange }
  | { readonly kind: 'import'; readonly objects: readonly SfPersonObject[]; readonly since?: number }
  | { readonly kind: 'resync_segment'; readonly segmentId: string }
  | { readonly kind: 'reconcile' };

export type ValueMapChange =
  | { readonly set: { readonly hs: string; readonly sf: string; readonly wayBack?: boolean } }
  | { readonly remove: string }
  | { readonly replace: ValueMap | null }
  | { readonly clear: true };

/** The target a `POST /api/preview` body names. */
export function previewTargetOf(body: PreviewBody): PreviewTarget {
  switch (body.kind) {
    case 'setting':
      return { kind: 'setting', key: body.key, value: { value: body.value } };
    case 'mapping_add':
      return {
        kind: 'mapping_add',
        request: { hsProperty: body.hsProperty, sfField: body.sfField, rule: body.rule },
      };
    case 'value_map':
      return { kind: 'value_map', hsProperty: body.hsProperty, change: { replace: body.map } };
    case 'import':
      return { kind: 'import', objects: body.objects, ...(body.since ? { since: body.since } : {}) };
    default:
      return body;
  }
}

export interface PreviewOptions {
  /** Plan every record of a large scope instead of a sample. */
  readonly exact?: boolean;
  /** About how many records a sample holds (default `SAMPLE_TARGET`). */
  readonly sampleTarget?: number;
}

/** Up to this many records are planned exactly; a larger scope is sampled at about this many. */
export const SAMPLE_TARGET = 5_000;

/** What a preview answers: what it previewed, in words, and the report. */
export interface PreviewResult {
  /** The previewed change and the run it feeds, for people. */
  readonly what: string;
  readonly report: PreviewReport;
}

/** The preview's engine is like the service's: the same ports, clock and store underneath. */
function previewOf(
  service: PreviewService,
  previewed: PreviewStore,
  act: (engine: Engine) => Promise<CycleReport>,
  sample?: { readonly rate: number; readonly scope: number },
): Promise<PreviewReport> {
  const { store, now } = service;
  const tally = emptyTally();
  const salesforce = drySalesforce(service.salesforce, tally, now);
  const hubspot = dryHubSpot(service.hubspot, tally, now);
  return preview(
    { salesforce, hubspot, store, now },
    previewed,
    tally,
    act,
    sample,
    service.engine.previewBasis(),
  );
}

/** A configuration change made in the preview's memory: its problem, if the change is refused. */
async function changeIn(
  service: Pick<Service, 'salesforce' | 'hubspot' | 'now'>,
  store: PreviewStore['store'],
  target: PreviewTarget,
): Promise<Result<string> | null> {
  const deps = { ...service, store };
  const said = <T>(result: Result<T>, what: string): Result<string> =>
    result.ok ? { ok: true, value: what } : result;
  switch (target.kind) {
    case 'setting':
      return said(await ops.setSetting(store, target.key, target.value), `setting ${target.key}`);
    case 'mapping_rule':
      return said(
        await ops.setMappingRule(store, target.hsProperty, target.rule),
        `the rule of ${target.hsProperty} (${target.rule})`,
      );
    case 'mapping_add':
      return said(
        await ops.addMapping(deps, target.request),
        `a mapping ${target.request.hsProperty} ⇄ ${target.request.sfField}`,
      );
    case 'mapping_remove':
      return said(await ops.removeMapping(store, target.hsProperty), `removing ${target.hsProperty}`);
    case 'value_map': {
      const c = target.change;
      const p = target.hsProperty;
      const result =
        'set' in c
          ? await setValueMapEntry(deps, p, c.set)
          : 'remove' in c
            ? await removeValueMapEntry(store, p, c.remove)
            : 'replace' in c
              ? await replaceValueMap(deps, p, c.replace)
              : await clearValueMap(store, p);
      return said(result, `the value map of ${p}`);
    }
    default:
      return null;
  }
}

/**
 * Previews `target` on `service` (opened without the writer lease: a preview writes nothing). A
 * refused change is its problem; else the report of the run it feeds, or of itself.
 */
export async function previewTarget(
  service: PreviewService,
  target: PreviewTarget,
  options: PreviewOptions = {},
): Promise<Result<PreviewResult>> {
  const previewed = previewStore(service.store);
  const changed = await changeIn(service, previewed.store, target);
  if (changed && !changed.ok) return changed;
  // The calls of the preview's run count as every run's do; those before it (the counts a scope
  // is sized by, the segment's members) are recorded here, and both are what the preview spent.
  const { salesforce: sf, hubspot: hs } = service;
  const before = { salesforce: sf.calls, hubspot: hs.calls };
  let result: PreviewResult;
  try {
    result = await previewRun(service, previewed, target, changed?.value ?? null, options);
  } catch (error) {
    // HubSpot answers 404 for a list that does not exist: a wrong id, as `resync` says it.
    if (!(error instanceof ConnectorError && error.status === 404 && target.kind === 'resync_segment'))
      throw error;
    return fail(
      'contact_not_found',
      `HubSpot has no list ${target.segmentId}`,
      'check the list id in HubSpot (Contacts › Lists: the number in the list’s URL).',
    );
  }
  const spent = { salesforce: sf.calls - before.salesforce, hubspot: hs.calls - before.hubspot };
  const { run, calls } = result.report;
  await service.store.recordApiCalls('salesforce', spent.salesforce - run.calls.salesforce, service.now());
  await service.store.recordApiCalls('hubspot', spent.hubspot - run.calls.hubspot, service.now());
  const outside = {
    salesforce: spent.salesforce - run.calls.salesforce,
    hubspot: spent.hubspot - run.calls.hubspot,
  };
  const apply = {
    salesforce: calls.apply.salesforce + outside.salesforce,
    hubspot: calls.apply.hubspot + outside.hubspot,
  };
  return { ok: true, value: { ...result, report: { ...result.report, calls: { spent, apply } } } };
}

async function previewRun(
  service: PreviewService,
  previewed: PreviewStore,
  target: PreviewTarget,
  changed: string | null,
  options: PreviewOptions,
): Promise<PreviewResult> {
  const sampled = (scope: number) => ({
    scope,
    rate: options.exact ? 1 : sampleRate(scope, options.sampleTarget ?? SAMPLE_TARGET),
  });
  if (changed !== null) {
    const report = await previewOf(service, previewed, (engine) => engine.runOnce());
    return { what: `the next sync cycle with ${changed} changed`, report };
  }
  switch (target.kind) {
    case 'import': {
      let scope = 0;
      for (const object of target.objects)
        scope += await service.salesforce.countSince(object, target.since ?? 0);
      const request = { objects: target.objects, ...(target.since ? { since: target.since } : {}) };
      const report = await previewOf(
        service,
        previewed,
        (engine) => engine.importFromSalesforce(request),
        sampled(scope),
      );
      return { what: `an import of ${scope} Salesforce records`, report };
    }
    case 'resync_segment': {
      const members = await service.hubspot.listMembers(target.segmentId);
      const report = await previewOf(
        service,
        previewed,
        (engine) => engine.resync({ segmentId: target.segmentId }),
        sampled(members.size),
      );
      return { what: `a resync of segment ${target.segmentId} (${members.size} members)`, report };
    }
    case 'reconcile': {
      const links = await service.store.countLinks();
      const report = await previewOf(service, previewed, (engine) => engine.reconcile(), sampled(links));
      return { what: `a reconciliation of ${links} links`, report };
    }
    default:
      throw new Error(`no preview for ${(target as { kind: string }).kind}`);
  }
}
