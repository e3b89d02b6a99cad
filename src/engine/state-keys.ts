/**
 * Every **state key** the engine and the app keep in the store (`StateStore.cursor`/`setCursor`),
 * named once. A state key holds one small value that outlives a run: a poll's **cursor** (where the
 * next poll starts), a pause, the org's last known use, a segment's last join, the last reconciliation.
 */
import type { SfPersonObject } from '../core/model.ts';

/** The poll cursor of a Salesforce object (a `PollCursor`, serialised). */
export const salesforcePollKey = (object: SfPersonObject): string => `salesforce:${object}`;

/** The poll cursor of HubSpot contacts (a `PollCursor`, serialised). */
export const HUBSPOT_POLL_KEY = 'hubspot:contacts';

/** B1: until when Salesforce calls pause after `REQUEST_LIMIT_EXCEEDED` (epoch ms). */
export const PAUSED_UNTIL_KEY = 'salesforce:paused-until';

/** B1: the org's own API use as its last answer gave it (JSON, with the time it was seen). */
export const ORG_USAGE_KEY = 'salesforce:org-usage';

/** G2: when the latest member that a run saw joined the segment (epoch ms). */
export const segmentJoinedKey = (segmentId: string): string => `segment:${segmentId}:joined`;

/** When the last scheduled reconciliation ran (epoch ms). */
export const RECONCILED_AT_KEY = 'reconcile:last';

/** The last run's report, as `crosswalk status` shows it (JSON: a `CycleReport` and the run's kind). */
export const LAST_RUN_KEY = 'run:last';

/** A worker's import of the pair, page by page (JSON: an `ImportJob`, `src/app/paged-jobs.ts`). */
export const IMPORT_JOB_KEY = 'import:job';

/** A worker's resync of a segment, page by page (JSON: a `SegmentResyncJob`, `src/app/paged-jobs.ts`). */
export const RESYNC_JOB_KEY = 'resync:job';

/** A worker's reconciliation of the pair, page by page (JSON: where its next page starts, or idle). */
export const RECONCILE_JOB_KEY = 'reconcile:job';

/**
 * Set while a person paused the pair's sync (the console's Pause, `crosswalk pause`): JSON
 * `{ at, reason }`. No cycle runs (webhooks still wait in the inbox) until Resume removes it.
 */
export const MANUAL_PAUSE_KEY = 'engine:paused';

/** Who Crosswalk runs as in Salesforce, as the last metadata read saw it (JSON `{ id, email }`): the console's overview. */
export const SALESFORCE_USER_KEY = 'salesforce:user';

/**
 * When a run last finished that reached both systems without an error (epoch ms): not one a pause
 * held back before it started. The console's connection health and engine state read it.
 */
export const REACHED_AT_KEY = 'run:reached';

/**
 * T2: where each Salesforce change event channel resumes (JSON `{ <channel>: <replayId> }`): the
 * replay id of the last event whose changes a run has read.
 */
export const SALESFORCE_REPLAY_KEY = 'salesforce:replay';

/** T2: what the Salesforce change event listener does (JSON `ChangeEventsState`, `app/salesforce-changes.ts`). */
export const CHANGE_EVENTS_KEY = 'salesforce:change-events';

/**
 * U3: the mappings whose HubSpot property or Salesforce field the last metadata read did not find
 * (JSON `{ at, gone: [{ hsProperty, sfField, detail }] }`): what the alert "a mapped field is gone"
 * reads, without a call of its own.
 */
export const MAPPINGS_GONE_KEY = 'mappings:gone';
