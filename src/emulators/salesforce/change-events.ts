/**
 * Change Data Capture in the Salesforce emulator: every committed change of a record of a selected
 * entity (Lead, Contact, Account, CampaignMember) becomes a change event, as Salesforce publishes
 * them on its event bus, kept for the retention window (72 hours) and numbered by replay id. The
 * Streaming API (`streaming-routes.ts`) delivers them on `/data/<Entity>ChangeEvent` and on
 * `/data/ChangeEvents` (every selected entity).
 *
 * The event: `{ schema, payload: { ChangeEventHeader, …fields }, event: { replayId } }`. The header
 * has `entityName`, `recordIds`, `changeType` (CREATE, UPDATE, DELETE, UNDELETE), `changeOrigin`,
 * `transactionKey` (one per transaction), `sequenceNumber` (its place in the transaction),
 * `commitTimestamp`, `commitNumber`, `commitUser` (who saved it), `changedFields`, `nulledFields` and
 * `diffFields`. A create or undelete carries every field with a value; an update the changed fields
 * (new values); a delete none. One event per record: Salesforce may also group records changed alike
 * in one transaction into one event, which a subscriber must accept, and never relies on.
 *
 * Records seeded as if they were always there (`insertTrusted`, the demo dataset) publish nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { OrgChange, SalesforceOrg, SfRecord, SfValue } from './org.ts';

/** The entities Crosswalk can listen to, all selected by default. */
export const CDC_ENTITIES = ['Lead', 'Contact', 'Account', 'CampaignMember'] as const;
export type CdcEntity = (typeof CDC_ENTITIES)[number];

/** The standard channel of every selected entity's change events. */
export const ALL_CHANGES_CHANNEL = '/data/ChangeEvents';
export const changeChannel = (entity: string): string => `/data/${entity}ChangeEvent`;

/** How long Salesforce keeps change events for replay: 72 hours. */
export const RETENTION_MS = 72 * 3_600_000;

/** Replay options of a subscription: only new events, or every retained one. */
export const REPLAY_NEW = -1;
export const REPLAY_ALL = -2;

export interface ChangeEvent {
  readonly replayId: number;
  readonly entity: string;
  /** When it was committed (the org's clock, epoch ms): what the retention window counts from. */
  readonly at: number;
  readonly data: {
    readonly schema: string;
    readonly payload: Readonly<Record<string, unknown>>;
    readonly event: { readonly replayId: number };
  };
}

/** System fields a change event leaves out of its payload and of `changedFields`. */
const NOT_IN_EVENTS = new Set(['Id', 'IsDeleted', 'SystemModstamp']);

/** Datetimes in events are ISO-8601 with `Z` (the REST API writes `+0000`). */
const eventValue = (value: SfValue): SfValue =>
  typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/.test(value)
    ? value.replace('+0000', 'Z')
    : value;

function changeType(previous: SfRecord | undefined, next: SfRecord | undefined): string {
  if (!previous) return 'CREATE';
  if (!next || (next.IsDeleted === true && previous.IsDeleted !== true)) return 'DELETE';
  if (previous.IsDeleted === true && next.IsDeleted !== true) return 'UNDELETE';
  return 'UPDATE';
}

export class ChangeEventBus {
  readonly #org: SalesforceOrg;
  readonly #retentionMs: number;
  /** Retained events, in replay id order. */
  #events: ChangeEvent[] = [];
  /** The replay id of the last event that left the retention window (0: none has). */
  #floor = 0;
  #lastReplayId = 0;
  #commitNumber = 0;
  readonly #listeners = new Set<() => void>();
  /** The entities selected for change data capture; none: the org has no change events. */
  selected: Set<string>;

  constructor(org: SalesforceOrg, options: { retentionMs?: number; entities?: readonly string[] } = {}) {
    this.#org = org;
    this.#retentionMs = options.retentionMs ?? RETENTION_MS;
    this.selected = new Set(options.entities ?? CDC_ENTITIES);
    org.onCommit = (changes) => this.#publish(changes);
  }

  /** The replay id of the newest event (0 before the first). */
  get lastReplayId(): number {
    return this.#lastReplayId;
  }

  /** Whether a subscription to `channel` is possible: a selected entity's channel, or all of them. */
  channelExists(channel: string): boolean {
    if (channel === ALL_CHANGES_CHANNEL) return this.selected.size > 0;
    const entity = /^\/data\/(\w+)ChangeEvent$/.exec(channel)?.[1];
    return entity !== undefined && this.selected.has(entity);
  }

  /**
   * Where a subscription starts: after `replay` (an event id still in the window, or the window's
   * start), or at the newest event for -1, or before every retained event for -2. Null: a replay id
   * that is not in the window (too old, or never given by this org).
   */
  startFor(replay: number): number | null {
    this.#prune();
    if (replay === REPLAY_NEW) return this.#lastReplayId;
    if (replay === REPLAY_ALL) return this.#floor;
    if (!Number.isInteger(replay) || replay < this.#floor || replay > this.#lastReplayId) return null;
    return replay;
  }

  /** The events on `channel` after replay id `after`, oldest first, at most `max`. */
  after(channel: string, after: number, max: number): ChangeEvent[] {
    this.#prune();
    const all = channel === ALL_CHANGES_CHANNEL;
    const out: ChangeEvent[] = [];
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#events[mid]!.replayId <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#events.length && out.length < max; i++) {
      const event = this.#events[i]!;
      if (all || changeChannel(event.entity) === channel) out.push(event);
    }
    return out;
  }

  /** Calls `listener` after each commit that published an event, until the returned function is called. */
  listen(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Forgets every event (the org was reset); replay ids go on from where they were. */
  reset(): void {
    this.#floor = this.#lastReplayId;
    this.#events = [];
  }

  #publish(changes: readonly OrgChange[]): void {
    const transactionKey = randomUUID();
    const commitTimestamp = this.#org.now();
    const commitNumber = ++this.#commitNumber;
    let sequenceNumber = 0;
    for (const change of changes) {
      if (!this.selected.has(change.object)) continue;
      const { previous, next } = change;
      const type = changeType(previous, next);
      const fields: Record<string, SfValue> = {};
      const changed: string[] = [];
      const nulled: string[] = [];
      if (type === 'CREATE' || type === 'UNDELETE') {
        for (const [name, value] of Object.entries(next ?? {}))
          if (!NOT_IN_EVENTS.has(name) && value !== null) fields[name] = eventValue(value);
      } else if (type === 'UPDATE') {
        // Every update changes LastModifiedDate, even within the second its stamp keeps.
        changed.push('LastModifiedDate');
        fields.LastModifiedDate = eventValue(next?.LastModifiedDate ?? null);
        for (const [name, value] of Object.entries(next ?? {})) {
          if (name === 'LastModifiedDate') continue;
          if (NOT_IN_EVENTS.has(name) || previous?.[name] === value) continue;
          changed.push(name);
          fields[name] = eventValue(value);
          if (value === null) nulled.push(name);
        }
      }
      const replayId = ++this.#lastReplayId;
      this.#events.push({
        replayId,
        entity: change.object,
        at: commitTimestamp,
        data: {
          schema: schemaOf(change.object),
          payload: {
            ChangeEventHeader: {
              entityName: change.object,
              recordIds: [change.id],
              changeType: type,
              changeOrigin: '',
              transactionKey,
              sequenceNumber: ++sequenceNumber,
              commitTimestamp,
              commitNumber,
              commitUser: (next?.LastModifiedById ?? previous?.LastModifiedById ?? '') as string,
              nulledFields: nulled,
              diffFields: [],
              changedFields: changed,
            },
            ...fields,
          },
          event: { replayId },
        },
      });
    }
    if (sequenceNumber === 0) return;
    this.#prune();
    for (const listener of [...this.#listeners]) listener();
  }

  /** Drops the events older than the retention window. */
  #prune(): void {
    const oldest = this.#org.now() - this.#retentionMs;
    let drop = 0;
    while (drop < this.#events.length && this.#events[drop]!.at < oldest) drop++;
    if (drop === 0) return;
    this.#floor = this.#events[drop - 1]!.replayId;
    this.#events = this.#events.slice(drop);
  }
}

/** A stable schema id per entity, shaped as Salesforce's (22 URL-safe characters). */
function schemaOf(entity: string): string {
  return createHash('sha256').update(`change-event:${entity}`).digest('base64url').slice(0, 22);
}
