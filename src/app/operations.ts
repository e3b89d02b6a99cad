/**
 * What a person can ask of Crosswalk, defined once: explain a contact (V1), list errors (E1, V2),
 * read and change settings, list and change mappings (F1–F6), API usage (B1), resync (T1, G3). Each
 * operation takes the store (and the connectors or the engine when it needs them) and returns data,
 * or a problem with its fix. The CLI prints that data; the HTTP API answers it as JSON.
 */
import * as core from '../core/mappings.ts';
import { errorCategories, errorCategoryLabels, type ErrorCategory } from '../core/errors.ts';
import {
  fail,
  ok,
  type Mapping,
  type Problem,
  type Result,
  type SyncRule,
  syncRules,
} from '../core/model.ts';
import { ConnectorError, type HubSpotPort, type SalesforcePort } from '../connectors/ports.ts';
import type { CycleReport } from '../engine/engine.ts';
import { CHANGE_EVENTS_KEY, ORG_USAGE_KEY } from '../engine/state-keys.ts';
import { recordCalls } from '../engine/budget.ts';
import { readMappedMetadata } from '../engine/plan-context.ts';
import { hsKey, recordObject } from '../core/records.ts';
import type { Service } from './service.ts';
import {
  checkSetting,
  isSettingKey,
  parseSetting,
  pollingCost,
  resolveSettings,
  settingDefinitions,
  settingKeys,
  type SettingKey,
  type SettingProblem,
} from '../config/settings.ts';
import type { ErrorEntry, StateStore } from '../store/state-store.ts';
import { ChangeEvents, type ErrorList, type Explanation, type Setting, type Usage } from '../api/contract.ts';

export type ContactKey = { readonly email: string } | { readonly hsContactId: string };
export type ResyncTarget = ContactKey | { readonly segmentId: string };

const DAY_MS = 86_400_000;

/** A contact named on the command line: an email when it has an `@`, else a HubSpot contact id. */
export function contactKey(value: string): ContactKey {
  return value.includes('@') ? { email: value } : { hsContactId: value };
}

/** V1: the contact's link, its last sync, its errors and each mapped field's decision and why. */
export async function explain(store: StateStore, key: ContactKey): Promise<Result<Explanation>> {
  const explanation = await store.explanation(key);
  if (!explanation)
    return fail(
      'no_explanation',
      `no sync of "${'email' in key ? key.email : key.hsContactId}" is recorded yet`,
      'it syncs on its next change, or run `crosswalk sync --once`.',
    );
  const { hsContactId, sfId, email, at, outcome, why, fields } = explanation;
  const link = hsContactId ? await store.linkByHubSpotId(hsContactId) : null;
  return ok({
    contact: { email, hsContactId, sfId },
    link: link ? { sfObject: link.sfObject, sfId: link.sfId, lastSyncedAt: link.lastSyncedAt } : null,
    lastSync: { at, outcome, why },
    errors: (await store.errors({ records: [hsKey(hsContactId ?? '')] })).map(errorView),
    fields,
  });
}

export function parseCategory(value: string): Result<ErrorCategory> {
  const category = errorCategories.find((c) => c === value);
  if (category) return ok(category);
  return fail('unknown_category', `unknown category "${value}"`, `use one of ${errorCategories.join(', ')}.`);
}

/** E1, V2: failed record syncs, optionally of one category, with counts per category (every category's). */
export async function listErrors(store: StateStore, category?: ErrorCategory): Promise<ErrorList> {
  const errors = await store.errors(category ? { category } : {});
  const byCategory = (await store.errorCounts()).map((c) => ({
    category: c.category,
    label: errorCategoryLabels[c.category],
    count: c.errors,
    records: c.records,
  }));
  return { total: errors.length, byCategory, errors: errors.map(errorView), retriesPaused: null };
}

/** An error of the log as the API answers it: with what its record is, in words. */
export function errorView(e: ErrorEntry): ErrorList['errors'][number] {
  return { ...e, object: recordObject(e.record) };
}

const CSV_HEADER = 'record,email,direction,category,code,message,fix,first_seen,last_seen,attempts';

/** A quoted CSV cell; a text that a spreadsheet would run as a formula (= + - @) is led by a quote mark. */
function csvCell(value: string | number | null): string {
  const text = String(value ?? '');
  const safe = typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** V2: the errors as CSV lines, the header first. */
export function errorsCsv(errors: readonly ErrorEntry[]): string[] {
  const row = (e: ErrorEntry) =>
    [
      e.record,
      e.email,
      e.direction,
      e.category,
      e.code,
      e.message,
      e.fix,
      new Date(e.firstSeen).toISOString(),
      new Date(e.lastSeen).toISOString(),
      e.attempts,
    ]
      .map(csvCell)
      .join(',');
  return [CSV_HEADER, ...errors.map(row)];
}

function settingView(key: SettingKey, current: Record<SettingKey, unknown>): Setting {
  const definition = settingDefinitions[key];
  return {
    key,
    value: current[key] as Setting['value'],
    default: definition.default,
    description: definition.description,
  };
}

async function currentSettings(store: StateStore): Promise<Record<SettingKey, unknown>> {
  return { ...resolveSettings(await store.settings()) };
}

/** Every setting in force, with its default and description. */
export async function listSettings(store: StateStore): Promise<Setting[]> {
  const current = await currentSettings(store);
  return settingKeys.map((key) => settingView(key, current));
}

export async function getSetting(store: StateStore, key: string): Promise<Result<Setting>> {
  if (!isSettingKey(key))
    return fail('unknown_setting', `no setting "${key}"`, `use one of ${settingKeys.join(', ')}.`);
  return ok(settingView(key, await currentSettings(store)));
}

/** A new value for a setting: a JSON value, or text typed on the command line (`true`, `42`, `null`, …). */
export type SettingInput = { readonly value: unknown } | { readonly text: string };

function settingProblem(problem: SettingProblem): Result<never> {
  return fail(
    isSettingKey(problem.key) ? 'invalid_setting' : 'unknown_setting',
    problem.message,
    problem.fix,
  );
}

export async function setSetting(
  store: StateStore,
  key: string,
  input: SettingInput,
): Promise<Result<Setting>> {
  const checked = 'text' in input ? parseSetting(key, input.text) : checkSetting(key, input.value);
  if (!checked.ok) return settingProblem(checked.problem);
  await store.setSetting(key, checked.value);
  return getSetting(store, key);
}

export function parseRule(value: string): Result<SyncRule> {
  const rule = syncRules.find((r) => r === value);
  if (rule) return ok(rule);
  return fail('unknown_rule', `unknown rule "${value}"`, `use one of ${syncRules.join(', ')}.`);
}

/** The mappings in force: the stored ones, or the defaults (F1) before any change. */
export async function listMappings(store: StateStore): Promise<readonly Mapping[]> {
  return (await store.mappings()) ?? core.DEFAULT_MAPPINGS;
}

/** Saves `changed` and returns `mapping`, or passes the problem on. */
async function saved(
  store: StateStore,
  changed: Result<readonly Mapping[]>,
  mapping: (all: readonly Mapping[]) => Mapping,
): Promise<Result<Mapping>> {
  if (!changed.ok) return changed;
  await store.saveMappings(changed.value);
  return ok(mapping(changed.value));
}

/** F4–F6: changes a mapping's rule, within what that mapping allows. */
export async function setMappingRule(
  store: StateStore,
  hsProperty: string,
  rule: SyncRule,
): Promise<Result<Mapping>> {
  const changed = core.setMappingRule(await listMappings(store), hsProperty, rule);
  return saved(store, changed, (all) => all.find((m) => m.hsProperty === hsProperty)!);
}

/** F1: removes a custom mapping; a default one stays (its rule can be set to "Don't sync"). */
export async function removeMapping(store: StateStore, hsProperty: string): Promise<Result<Mapping>> {
  const before = await listMappings(store);
  const removed = before.find((m) => m.hsProperty === hsProperty);
  return saved(store, core.removeMapping(before, hsProperty), () => removed!);
}

export interface MappingRequest {
  readonly hsProperty: string;
  readonly sfField: string;
  /** Default: Prefer Salesforce unless blank (F4). */
  readonly rule?: SyncRule | undefined;
}

/**
 * F2: adds a custom mapping, checked against both systems' metadata (HubSpot contact properties,
 * Salesforce describe of Lead and Contact). The calls it makes count in the API usage (B1).
 */
export async function addMapping(
  deps: {
    readonly store: StateStore;
    readonly salesforce: SalesforcePort;
    readonly hubspot: HubSpotPort;
    readonly now: () => number;
  },
  request: MappingRequest,
): Promise<Result<Mapping>> {
  const { store, salesforce: sf, hubspot: hs } = deps;
  const callsAtStart = { salesforce: sf.calls, hubspot: hs.calls };
  const metadata = await readMappedMetadata(sf, hs);
  await recordCalls(deps, callsAtStart);
  const mappings = await listMappings(store);
  const added = core.addCustomMapping(
    { ...request, rule: request.rule ?? 'prefer_salesforce_unless_blank' },
    { mappings, ...metadata },
  );
  if (!added.ok) return added;
  return saved(store, ok([...mappings, added.value]), () => added.value);
}

/** B1: API calls in the last 24 h, the allocation, and the org's use as the last cycle saw it. */
export async function usage(store: StateStore, now: number): Promise<Usage> {
  const settings = resolveSettings(await store.settings());
  const allocation = settings.sfDailyAllocation;
  const org = await store.cursor(ORG_USAGE_KEY);
  return {
    polling: pollingCost(settings.pollIntervalSeconds, allocation),
    windowMs: DAY_MS,
    salesforce: {
      calls: await store.apiCalls('salesforce', now - DAY_MS),
      allocation,
      org: org ? (JSON.parse(org) as { used: number; max: number; at: number }) : null,
    },
    hubspot: { calls: await store.apiCalls('hubspot', now - DAY_MS) },
    changeEvents: await changeEventsOf(store),
  };
}

/**
 * T1, G3: a full sync of one contact or of every member of a segment, after the engine work under
 * way (never at the same time as a cycle). A target that matches no HubSpot contact is a problem;
 * a resync that Salesforce's paused calls held back (B1) is not: its report says so.
 */
export async function resync(
  service: Pick<Service, 'engine' | 'exclusive'>,
  target: ResyncTarget,
): Promise<Result<CycleReport>> {
  const what =
    'segmentId' in target
      ? `segment ${target.segmentId}`
      : 'email' in target
        ? target.email
        : target.hsContactId;
  let report: CycleReport;
  try {
    report = await service.exclusive(() => service.engine.resync(target));
  } catch (error) {
    // HubSpot answers 404 for a list that does not exist: a wrong id, not HubSpot failing.
    if (!(error instanceof ConnectorError && error.status === 404 && 'segmentId' in target)) throw error;
    return fail(
      'contact_not_found',
      `HubSpot has no list ${target.segmentId}`,
      'check the list id in HubSpot (Contacts › Lists: the number in the list’s URL).',
    );
  }
  if (report.planned > 0 || report.paused) return ok(report);
  return fail(
    'contact_not_found',
    `no HubSpot contact found for ${what}`,
    'check the email, id or list id in HubSpot (a Salesforce-only record gets its contact on the next `crosswalk sync --once`).',
  );
}

/** A problem as one line for a person: the message, then the fix. */
export function problemText(problem: Problem): string {
  return /[.!?]$/.test(problem.message)
    ? `${problem.message} ${problem.fix}`
    : `${problem.message}: ${problem.fix}`;
}

/** T2: what the Salesforce change event listener last said (`CHANGE_EVENTS_KEY`), or null. */
export async function changeEventsOf(store: StateStore): Promise<ChangeEvents | null> {
  const stored = await store.cursor(CHANGE_EVENTS_KEY);
  return stored === null ? null : ChangeEvents.parse(JSON.parse(stored));
}
