/**
 * The state store port: everything Crosswalk remembers between runs. Two adapters with the same
 * behaviour — `embedded/` (SQLite in a file of the data directory, the default) and `postgres/`
 * (when `DATABASE_URL` is set) — checked by one contract suite (`test/store/state-store.contract.ts`).
 *
 * Terms (docs/glossary.md): a **link** pairs one HubSpot contact with one Salesforce record and carries
 * the **snapshot** (core `Link`). A **cursor** is a named poll position. The **error log** holds failed
 * record syncs (SPEC E1) until a success clears them; the **audit log** holds every field written.
 * Rows are not domain objects: adapters map rows ⇄ these types; migrations are numbered, append-only.
 *
 * Everything stored belongs to one **connection pair** (core `pairs.ts`: one Salesforce org and one
 * HubSpot portal). A store reads and writes the one pair it is bound to (`pair`): the store an opener
 * gives is bound to `default`, and `forPair` gives a sibling bound to another, over the same connection.
 * Only the **pair registry** (`pairs`, `savePair`, `removePair`) and the migrations are store-wide.
 */
import type { AlertCondition, ConditionState } from '../core/alerts.ts';
import type { Notice, NoticeKind } from '../core/alert-notices.ts';
import type { ErrorCategory } from '../core/errors.ts';
import type { Mapping } from '../core/model.ts';
import type { FieldReport } from '../core/sync-plan.ts';
import type { Link } from '../core/records.ts';
import type { Direction, System } from '../core/records.ts';

import { checkPairId } from '../core/pairs.ts';

export { checkPairId, DEFAULT_PAIR, pairIdProblem } from '../core/pairs.ts';

/** E1: one failed record sync, as `crosswalk errors` lists it. Keyed by (record, direction, code). */
export interface ErrorEntry {
  /** The record the error is about: its record key (core `hsKey`, `sfKey` or `emailRecordKey`). */
  readonly record: string;
  /** The contact's email, for people reading the log. */
  readonly email: string | null;
  readonly direction: Direction;
  readonly category: ErrorCategory;
  /** The remote code (or the core's problem code). */
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  /** Epoch ms. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly attempts: number;
  /** E2: when the engine retries it next (epoch ms). */
  readonly nextAttempt: number;
}

/** One field written by Crosswalk (or one link change), for the audit log. */
export interface AuditEntry {
  /** Epoch ms. */
  readonly at: number;
  /** The run that wrote it. */
  readonly runId: string;
  readonly record: string;
  readonly system: System;
  /** The field or property written, or `link` for a link change. */
  readonly field: string;
  readonly oldValue: string | null;
  readonly newValue: string | null;
  /** The rule (or reason) that decided it, in plain words. */
  readonly why: string;
  /**
   * U2, the ledger: who changed the field last before this write, as the record read said (a
   * Salesforce user id from `LastModifiedById`, which is per record; HubSpot's history source, where
   * the contact was read with it). Absent when the read did not say.
   */
  readonly changedBy?: string;
  /** When the field last changed before this write (epoch ms; Salesforce: the record's `LastModifiedDate`). */
  readonly changedAt?: number;
}

/** What `crosswalk explain` shows for a contact (V1): the last plan's outcome and per-field reasons. */
export interface Explanation {
  readonly hsContactId: string | null;
  readonly sfId: string | null;
  readonly email: string | null;
  /** Epoch ms. */
  readonly at: number;
  readonly outcome: string;
  /** For a skipped contact, why in a code (the plan's first skip: `out_of_scope`, `no_email`…); else null. */
  readonly reason?: string | null;
  readonly why: string;
  readonly fields: readonly FieldReport[];
}

/**
 * The run kinds (engine `RunKind`): a poll cycle, a webhook batch, a reconciliation, a resync, an
 * import, an undo of a run (U2).
 */
export type RunKind = 'run' | 'webhook' | 'reconcile' | 'resync' | 'import' | 'undo';

/** What started a run: the poll loop, a webhook, the reconcile schedule, or a person (CLI, API, console). */
export type RunTrigger = 'poll' | 'webhook' | 'change_event' | 'schedule' | 'request';

/** The latency histogram's bucket bounds (ms): core `latency.ts`. */
export { LATENCY_BUCKETS_MS } from '../core/latency.ts';

/** One run as the run history keeps it (issue 14: the console's Runs screen, `/metrics`). */
export interface RunRecord {
  readonly runId: string;
  readonly kind: RunKind;
  readonly trigger: RunTrigger;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Changes (records) read from each system. */
  readonly read: { readonly salesforce: number; readonly hubspot: number };
  readonly planned: number;
  readonly synced: number;
  readonly skipped: number;
  readonly failed: number;
  /** Records created in each system (part of `written`). */
  readonly created: { readonly salesforce: number; readonly hubspot: number };
  /** Records written in each system: creates and updates. */
  readonly written: { readonly salesforce: number; readonly hubspot: number };
  /**
   * Record syncs that met an error, by its direction (one can meet both): a failed write, or a field
   * that could not move beside others that did (so these can exceed `failed`). Two Salesforce
   * records sharing one HubSpot contact are two syncs.
   */
  readonly failedBy: { readonly to_hubspot: number; readonly to_salesforce: number };
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  /** HubSpot answers 429 the run met (each waited out and retried). */
  readonly throttled: number;
  /** E2: transient faults gone past. */
  readonly faults: number;
  /** B1: why Salesforce calls were paused, when they were. */
  readonly paused: string | null;
  /** Why the run stopped with an error (it threw), if it did: the system and its answer. */
  readonly error: { readonly system: System | null; readonly code: string; readonly message: string } | null;
  /** Change latencies, counted per `LATENCY_BUCKETS_MS` bucket (length: buckets + 1). */
  readonly latency: readonly number[];
  /** U2: for an undo, the run it undid (absent for other runs). */
  readonly undoes?: string;
}

/**
 * Sums of runs: of the runs kept (`runTotals`), or of every run recorded, forgotten ones too
 * (`lifetimeTotals`: what `/metrics` counts).
 */
export interface RunTotals {
  readonly runs: number;
  readonly failedRuns: number;
  readonly written: { readonly salesforce: number; readonly hubspot: number };
  readonly failedBy: { readonly to_hubspot: number; readonly to_salesforce: number };
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  readonly throttled: number;
  /** Bucket counts summed (length: buckets + 1). */
  readonly latency: readonly number[];
}

/** One bucket of a time series: runs finished in `[at, at + step)`, summed. */
export interface RunBucket {
  readonly at: number;
  readonly written: { readonly salesforce: number; readonly hubspot: number };
  readonly failedBy: { readonly to_hubspot: number; readonly to_salesforce: number };
  readonly throttled: number;
}

/** Filters of the error log's pages. */
export interface ErrorFilter {
  readonly category?: ErrorCategory;
  readonly direction?: Direction;
  /** The remote code, exactly. */
  readonly code?: string;
  /** Part of the record key or the email (case-insensitive). */
  readonly search?: string;
}

/** Who holds (or asks for) a lease: one process. */
export interface LeaseHolder {
  /** Unique per process and lease taken (a random id): what fences the holder's writes. */
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  /** What the holder runs (`start`, `sync --once`, `import`…), for the message a second process prints. */
  readonly command: string;
}

/**
 * A lease: one writer per connection, across processes. The `epoch` grows each time another holder
 * takes it, and is the fencing token: a write that carries a `Fence` happens only while the lease
 * still has that owner and epoch.
 */
export interface Lease extends LeaseHolder {
  readonly name: string;
  readonly epoch: number;
  /** Epoch ms: when this holder took it, and until when it holds it unless renewed. */
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

/** What fences a write: the lease it needs, held by this owner at this epoch. */
export interface Fence {
  readonly lease: string;
  readonly owner: string;
  readonly epoch: number;
}

/** HubSpot contact ids a webhook announced: to sync (`changed`), and deleted in HubSpot (`deleted`). */
export interface WebhookChanges {
  readonly changed: readonly string[];
  readonly deleted: readonly string[];
}

/** A fenced write refused: the lease has another holder (or epoch) now. Nothing was written. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(readonly fence: Fence) {
    super(
      `the lease "${fence.lease}" (epoch ${fence.epoch}) is no longer this process's: another process took it over, so this one writes nothing more. Nothing is lost (the other process syncs from where this one stopped); run this command again once that process is done, or with --wait`,
    );
  }
}

/** One link change of a batch: a link saved (as `saveLink`) or ended (as `endLink`). */
export type LinkChange =
  { readonly save: Link } | { readonly end: string; readonly why: string; readonly at: number };

/**
 * What a batch of record syncs came to (`StateStore.writeBatch`), written in one transaction. Each
 * part is applied after the one before, in this order, and inside a part in the order given:
 * exactly as these calls one after another would leave the store.
 */
export interface BatchWrite {
  /** First, each as `clearErrors(record, keep)`. */
  readonly clearErrors: readonly {
    readonly record: string;
    readonly keep?: readonly { readonly direction: ErrorEntry['direction']; readonly code: string }[];
  }[];
  /** Then each as `recordError` (the same record, direction and code twice: two more attempts). */
  readonly errors: readonly Omit<ErrorEntry, 'firstSeen' | 'attempts'>[];
  /** Then each as `saveLink` or `endLink`. */
  readonly links: readonly LinkChange[];
  /** Then each as `saveExplanation` (two of one contact: the last stays). */
  readonly explanations: readonly Explanation[];
  /** Last, as `appendAudit`. */
  readonly audit: readonly AuditEntry[];
}

/** A connection pair in the registry (store-wide: the same whichever pair a store is bound to). */
export interface PairRecord {
  /** The pair id (core `checkPairId`): what every row the pair owns is keyed by. */
  readonly id: string;
  /** The pair's name, for people. */
  readonly name: string;
  /** Whether the pair syncs. */
  readonly enabled: boolean;
  /**
   * How the pair connects, as JSON: which environment variables hold its credentials, or encrypted
   * secrets. Never clear-text secrets: the store keeps what it is given, as it is given.
   */
  readonly definition: Record<string, unknown>;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * U3: an alert of a pair: a channel (`kind`, `target`), the conditions it is told about, and whether
 * it gets a daily digest.
 */
export interface AlertRecord {
  /** Unique in its pair (lower-case letters, digits, dashes). */
  readonly id: string;
  readonly name: string;
  /** `webhook`, `slack` or `email`. */
  readonly kind: string;
  /**
   * Where it sends, as JSON (config `alert-channels.ts`). Never a secret in clear: the store keeps what
   * it is given, as it is given.
   */
  readonly target: Record<string, unknown>;
  readonly conditions: readonly AlertCondition[];
  readonly digest: boolean;
  /** When its last daily digest was queued (epoch ms); when it was added, before the first. */
  readonly digestAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Where a notice is: waiting to be sent (or sent again), sent, or given up. */
export type NoticeStatus = 'pending' | 'sent' | 'failed';

/** U3: a notice to one alert, in the outbox until sent (or given up), then in its history. */
export interface AlertNotice {
  /** Grows store-wide with each notice: the order they were queued in. */
  readonly id: number;
  readonly alert: string;
  readonly kind: NoticeKind;
  readonly condition: AlertCondition | null;
  readonly notice: Notice;
  readonly createdAt: number;
  readonly status: NoticeStatus;
  /** Deliveries tried (the one under way not counted). */
  readonly attempts: number;
  /** When a pending notice is tried again (epoch ms); null once sent or given up. */
  readonly nextAttempt: number | null;
  /** Why the last delivery failed, in words (never a secret), or null. */
  readonly lastError: string | null;
  readonly sentAt: number | null;
}

/** How a delivery ended: sent, or failed (tried again at `nextAttempt`, or given up when null). */
export type DeliveryOutcome =
  | { readonly sentAt: number }
  | { readonly error: string; readonly at: number; readonly nextAttempt: number | null };

export interface StateStore {
  /** The connection pair this store reads and writes: `default` for the store an opener gives. */
  readonly pair: string;
  /**
   * A sibling of this store bound to `pair` (a valid pair id, else it throws): the same connection
   * (SQLite handle, Postgres pool), another pair's rows. The pair need not be in the registry.
   * Only the store that was opened closes the connection: a sibling's `close()` does nothing, and a
   * sibling must not be used once the opened store is closed.
   */
  forPair(pair: string): StateStore;

  /** Applies pending migrations (store-wide: the schema every pair shares). Idempotent. */
  migrate(): Promise<void>;
  /** Closes the connection when this is the store that was opened (again: nothing); a sibling's does nothing. */
  close(): Promise<void>;

  // The pair registry: store-wide. `default` is there once migrated (enabled).
  /** Every registered pair, by id. */
  pairs(): Promise<PairRecord[]>;
  /** Registers `record`, or replaces the pair of its id (every field, as given). */
  savePair(record: PairRecord): Promise<void>;
  /**
   * Removes the pair `id` from the registry and deletes every row it owns, in every table, in one
   * transaction (an id with no rows: nothing happens). `default` cannot be removed (it throws).
   */
  removePair(id: string): Promise<void>;

  // Links (M3): one per HubSpot contact and one per Salesforce record.
  linkByHubSpotId(hsContactId: string): Promise<Link | null>;
  linkBySalesforceId(sfId: string): Promise<Link | null>;
  linksByHubSpotIds(ids: readonly string[]): Promise<Link[]>;
  linksBySalesforceIds(ids: readonly string[]): Promise<Link[]>;
  /**
   * Creates or replaces the link of `link.hsContactId` (a Salesforce id is in at most one link). With
   * a `fence`, only while that lease is still held (checked in the same transaction).
   */
  saveLink(link: Link, fence?: Fence): Promise<void>;
  /** Ends a link, remembering why (D2: the audit log says why a contact comes back). Fenced as `saveLink`. */
  endLink(hsContactId: string, why: string, at: number, fence?: Fence): Promise<void>;
  /** Why the last link of a Salesforce record ended, if it did. */
  endedLinkWhy(sfId: string): Promise<string | null>;
  countLinks(): Promise<number>;
  /** The HubSpot ids of the links, in a stable order, `limit` after `after` ('' for the first page): reconciliation. */
  linkedContactIds(after: string, limit: number): Promise<string[]>;

  // Cursors: named state keys (opaque strings): poll positions and the like.
  cursor(name: string): Promise<string | null>;
  /** With a `fence`, only while that lease is still held (else `LeaseLostError`, nothing written). */
  setCursor(name: string, value: string, fence?: Fence): Promise<void>;

  // Leases: one writer per connection, across processes.
  /**
   * Takes the lease `name` for `holder` until `until` (epoch ms), when it is free, expired at `now`,
   * already this holder's, or held by `takeOver` (a holder known to be dead). The epoch grows when the
   * owner changes. Returns the lease as it is after the call: `acquired` says whose it is.
   */
  acquireLease(
    name: string,
    holder: LeaseHolder,
    now: number,
    until: number,
    takeOver?: Pick<Lease, 'owner' | 'epoch'>,
  ): Promise<{ readonly acquired: boolean; readonly lease: Lease }>;
  /** Extends a held lease to `until`; false when it is no longer held (another owner or epoch). */
  renewLease(fence: Fence, until: number): Promise<boolean>;
  /** Lets a held lease go (it expires now; the epoch stays, so fences stay unique). */
  releaseLease(fence: Fence): Promise<void>;
  lease(name: string): Promise<Lease | null>;

  // The create guard (M1, M7, K1): intents to create, so two writers never create one record twice.
  /**
   * Records `owner`'s intent to create each of `targets` (e.g. `salesforce:<email key>`,
   * `company:<account id>`) at `now`. A target another owner claimed at or after `freshSince` is
   * `held` (left as it is); one another owner claimed before that is `stale`: taken over, and the
   * caller must search again before it creates. The rest are this owner's now.
   */
  claimCreates(
    targets: readonly string[],
    owner: string,
    now: number,
    freshSince: number,
  ): Promise<{ readonly held: readonly string[]; readonly stale: readonly string[] }>;
  /** Drops `owner`'s intents for `targets`: the creates are done (or given up). */
  releaseCreates(targets: readonly string[], owner: string): Promise<void>;

  // Created companies (K1): HubSpot's search lags behind creates, so what Crosswalk created is kept here.
  /**
   * Remembers that Crosswalk created company `companyId` for each account at `at` (an account
   * remembered again keeps its newest company). Entries remembered before `forgetBefore` are forgotten.
   */
  rememberCreatedCompanies(
    pairs: readonly { readonly accountId: string; readonly companyId: string }[],
    at: number,
    forgetBefore: number,
  ): Promise<void>;
  /** The companies remembered for `accountIds` at or after `since`: account id → company id. */
  createdCompanies(accountIds: readonly string[], since: number): Promise<Map<string, string>>;

  // Webhook intake (T2): what HubSpot was answered 200 for waits here until a run synced it.
  /** Adds contact ids to the inbox (ids already there stay as they were). */
  addToWebhookInbox(changes: WebhookChanges, at: number): Promise<void>;
  /** Every id waiting, oldest first. */
  webhookInbox(): Promise<WebhookChanges>;
  /** Removes ids a run has synced. */
  removeFromWebhookInbox(changes: WebhookChanges): Promise<void>;
  /**
   * Remembers a webhook signature until `staleAfter` (epoch ms): false when it is remembered already
   * (a replay, even after a restart). Signatures stale at `now` are forgotten.
   */
  rememberSignature(signature: string, staleAfter: number, now: number): Promise<boolean>;
  /**
   * A delivery accepted in one transaction: its signature remembered (as `rememberSignature`) and,
   * unless that signature was remembered already (a replay: false, nothing added), its ids added to
   * the inbox (as `addToWebhookInbox`). Either both are stored or neither.
   */
  acceptWebhook(
    signature: string,
    staleAfter: number,
    changes: WebhookChanges,
    now: number,
  ): Promise<boolean>;

  // Settings (JSON values by key) and mappings.
  settings(): Promise<Record<string, unknown>>;
  setSetting(key: string, value: unknown): Promise<void>;
  /** The stored mappings, or null before any change (then the defaults apply). */
  mappings(): Promise<Mapping[] | null>;
  saveMappings(mappings: readonly Mapping[]): Promise<void>;

  // Error log (E1, E2).
  /** Records a failure: a new entry, or the same (record, direction, code) seen again (attempts + 1). */
  recordError(entry: Omit<ErrorEntry, 'firstSeen' | 'attempts'>): Promise<ErrorEntry>;
  /** A successful sync clears the record's errors. */
  /** `keep`: errors the same sync just saw again (direction and code), which stay with their attempts. */
  clearErrors(
    record: string,
    keep?: readonly { readonly direction: ErrorEntry['direction']; readonly code: string }[],
  ): Promise<void>;
  errors(filter?: {
    readonly category?: ErrorCategory;
    readonly dueBy?: number;
    /** Only these records' errors (the engine asks per batch, never for the whole log). */
    readonly records?: readonly string[];
  }): Promise<ErrorEntry[]>;

  /**
   * A batch's errors cleared and recorded, links saved and ended, explanations and audit entries, in
   * one transaction (see `BatchWrite` for the order). With a `fence`, only while that lease is still
   * held: else `LeaseLostError`, and nothing of the batch is written.
   */
  writeBatch(batch: BatchWrite, fence?: Fence): Promise<void>;

  // Audit log.
  /**
   * Appends entries in order. They are kept compactly: consecutive entries of one write (the same
   * time, run, record and system) share one row; the reads give them back one by one.
   */
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  audit(record: string, limit?: number): Promise<AuditEntry[]>;

  /**
   * One page of the error log (`filter`), most recently seen first (then by record, direction, code),
   * and how many match in all.
   */
  errorPage(
    filter: ErrorFilter,
    page: { readonly limit: number; readonly offset: number },
  ): Promise<{ readonly total: number; readonly errors: ErrorEntry[] }>;
  /** Per category: its errors and the distinct records they concern (categories with none left out). */
  errorCounts(): Promise<{ category: ErrorCategory; errors: number; records: number }[]>;

  /** The audit entries a run wrote, in the order written, one page, and how many in all. */
  auditOfRun(
    runId: string,
    page: { readonly limit: number; readonly offset: number },
  ): Promise<{ readonly total: number; readonly entries: AuditEntry[] }>;

  // Run history (issue 14).
  /**
   * Keeps a finished run (a run id again replaces it) and, when its run id is new, adds it to the
   * pair's lifetime totals, in one transaction. Runs that finished before `forgetBefore` are forgotten
   * (the totals keep them).
   */
  recordRun(run: RunRecord, forgetBefore: number): Promise<void>;
  /**
   * Runs, newest first (by `startedAt`, then run id), `limit` of them, started before `before` when
   * given (epoch ms), of `kind` when given, undoing the run `undoes` when given (U2).
   */
  runs(query: {
    readonly limit: number;
    readonly before?: number;
    readonly kind?: RunKind;
    readonly undoes?: string;
  }): Promise<RunRecord[]>;
  run(runId: string): Promise<RunRecord | null>;
  /** Runs that finished in `[since, until)`, summed in buckets of `stepMs` from `since` (empty buckets left out). */
  runSeries(since: number, until: number, stepMs: number): Promise<RunBucket[]>;
  /** Sums of the runs kept that finished at or after `since` (0: every run kept). */
  runTotals(since: number): Promise<RunTotals>;
  /**
   * Sums of every run recorded since the store began (migration 10 started them from the runs kept
   * then), forgotten runs included: they only grow, so `/metrics` counts them. A run counts once, as
   * first recorded: a run id recorded again while its run is kept replaces the run but adds nothing
   * (adding the difference could lower a count); one recorded again after its run was forgotten
   * counts again. Zeros before any run.
   */
  lifetimeTotals(): Promise<RunTotals>;
  /** API calls of `system` in `[since, until)`, summed in buckets of `stepMs` from `since` (empty left out). */
  apiCallSeries(
    system: System,
    since: number,
    until: number,
    stepMs: number,
  ): Promise<{ at: number; calls: number }[]>;
  /** How many contact ids the webhook inbox holds (changed and deleted). */
  webhookInboxSize(): Promise<number>;
  /**
   * Contacts by their last plan's outcome and, for skipped ones, the skip's code (`reason`; null for
   * other outcomes): what the console's overview counts.
   */
  outcomeCounts(): Promise<{ outcome: string; reason: string | null; count: number }[]>;

  // API usage (B1): calls per system per minute bucket.
  recordApiCalls(system: System, calls: number, at: number): Promise<void>;
  /** Calls made since `since` (epoch ms). */
  apiCalls(system: System, since: number): Promise<number>;

  // Alerts (U3): channels, each condition's state, the notices (outbox and history).
  alerts(): Promise<AlertRecord[]>;
  /** Adds an alert; false when the pair has one of that id already (nothing changes). */
  addAlert(alert: AlertRecord): Promise<boolean>;
  /** Removes an alert and its notices, in one transaction; false when there is none of that id. */
  removeAlert(id: string): Promise<boolean>;
  /** Each condition's state as last written (conditions never written left out). */
  alertStates(): Promise<ConditionState[]>;
  /**
   * Writes a condition's state when the stored one is the version before `next.version` (none
   * stored counts as version 0), and queues a notice to each of `notices` with it, in one
   * transaction. False when another writer moved it first: nothing is written.
   */
  advanceAlertState(
    next: ConditionState,
    notices: readonly { readonly alert: string; readonly notice: Notice }[],
  ): Promise<boolean>;
  /**
   * Moves an alert's digest time from `expected` to `notice.at` and queues `notice` to it, in one
   * transaction, when the time is still `expected`; false otherwise (another writer queued it).
   */
  queueDigest(alert: string, expected: number, notice: Notice): Promise<boolean>;
  /** Records a notice sent at once (a test), with how it went; it is never tried again. */
  recordNotice(alert: string, notice: Notice, outcome: DeliveryOutcome): Promise<AlertNotice>;
  /**
   * Claims, for each alert, its oldest pending notice when that one is due at `now` and no other
   * writer holds it: held until `until` (so notices go out in order, each by one writer).
   */
  claimNotices(now: number, until: number): Promise<AlertNotice[]>;
  /**
   * A pending notice delivered, or failed once more (`attempts` + 1): the one of that id queued to
   * that alert (ids are never reused, and a notice of an alert removed meanwhile is not touched).
   */
  settleNotice(
    notice: { readonly id: number; readonly alert: string },
    outcome: DeliveryOutcome,
  ): Promise<void>;
  /** The latest notices, newest first, `limit` of them, of `alert` when given. */
  alertNotices(query: { readonly limit: number; readonly alert?: string }): Promise<AlertNotice[]>;
  /** E1, U3: errors in the log first seen at or after `since` (epoch ms). */
  countNewErrors(since: number): Promise<number>;

  // Explanations (V1), keyed by HubSpot contact id and by email.
  saveExplanation(explanation: Explanation): Promise<void>;
  explanation(
    key: { readonly email: string } | { readonly hsContactId: string } | { readonly sfId: string },
  ): Promise<Explanation | null>;
}

/**
 * A store's `forPair`: the store bound to a pair, made by `make` once per pair and kept (the pair id
 * checked first). For the adapters, which build their siblings over their one connection.
 */
export function pairSiblings(make: (pair: string) => StateStore): (pair: string) => StateStore {
  const siblings = new Map<string, StateStore>();
  return (pair) => {
    checkPairId(pair);
    let store = siblings.get(pair);
    if (!store) {
      store = make(pair);
      siblings.set(pair, store);
    }
    return store;
  };
}
