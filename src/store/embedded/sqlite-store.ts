/**
 * The embedded state store: SQLite in one file of the data directory (better-sqlite3), the default
 * when no `DATABASE_URL` is set. better-sqlite3 is synchronous; the port is async so that both adapters
 * share one interface, and each method runs to completion before its promise settles.
 *
 * The statements are in `../queries.ts` (SQLite dialect); rows are mapped in `../rows.ts` (STYLE §5).
 *
 * Pairs: one database handle serves every pair. The store `openSqliteStore` gives is bound to
 * `default` and owns the handle; `forPair` gives siblings over it (one per pair, kept), whose `close()`
 * does nothing.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Link } from '../../core/records.ts';
import { alertQueries, toAlert, toAlertNotice, toAlertState } from '../alert-queries.ts';
import { MIGRATIONS_TABLE, migrations } from '../migrations.ts';
import { bindPair, queries, type PagedStatements, type Statement } from '../queries.ts';
import {
  toAudit,
  toAuditRows,
  toCallBucket,
  toCreatedCompanies,
  toError,
  toErrorCounts,
  toExplanation,
  toLease,
  toLifetimeTotals,
  toLink,
  toMappings,
  toNumber,
  toOutcomeCounts,
  toPair,
  toRun,
  toRunBucket,
  toRunTotals,
  toSettings,
  toWebhookChanges,
} from '../rows.ts';
import {
  checkPairId,
  pairSiblings,
  DEFAULT_PAIR,
  LeaseLostError,
  type AuditEntry,
  type BatchWrite,
  type Fence,
  type PairRecord,
  type RunRecord,
  type StateStore,
  type WebhookChanges,
} from '../state-store.ts';

export interface SqliteStoreOptions {
  /** The clock (epoch ms) that stamps applied migrations. */
  readonly now: () => number;
}

/** The port's async methods (all but the pair it is bound to and `forPair`). */
type Methods = Omit<StateStore, 'pair' | 'forPair'>;

/** The port's methods, each synchronous (better-sqlite3 is). */
type Sync<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

/** The async methods over synchronous ones: a throw becomes a rejected promise, as callers expect. */
function settle<T extends object>(sync: Sync<T>): T {
  return Object.fromEntries(
    Object.entries(sync as Record<string, (...args: unknown[]) => unknown>).map(([name, method]) => [
      name,
      (...args: unknown[]) => new Promise((resolve) => resolve(method(...args))),
    ]),
  ) as T;
}

const q = queries.sqlite;
const a = alertQueries.sqlite;

/**
 * Opens (creating it if missing, with its directory) the SQLite database at `path`; `':memory:'` gives a
 * private in-memory database. Files use WAL mode. Call `migrate()` before use (`openStore` does).
 * The store is bound to the pair `default`; `close()` closes the database.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions): StateStore {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  if (!inMemory) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }

  const prepared = new Map<string, Database.Statement>();
  /** A prepared statement, prepared once (the schema must exist, so not before `migrate()`). */
  const prepare = (text: string): Database.Statement => {
    let statement = prepared.get(text);
    if (!statement) {
      statement = db.prepare(text);
      prepared.set(text, statement);
    }
    return statement;
  };

  /**
   * Runs statements for `pair` (null: store-wide ones). The one place a statement's `PAIR` marker
   * becomes the pair.
   */
  const runner = (pair: string | null) => ({
    one: <R>(s: Statement<R>): R | undefined =>
      prepare(s.text).get(...bindPair(s.values, pair)) as R | undefined,
    all: <R>(s: Statement<R>): R[] => prepare(s.text).all(...bindPair(s.values, pair)) as R[],
    run: (s: Statement): void => {
      prepare(s.text).run(...bindPair(s.values, pair));
    },
  });

  // Store-wide: the schema and the pair registry, the same in every pair's store.
  const storeWide = runner(null);

  const migrate = (): void => {
    db.exec(MIGRATIONS_TABLE);
    const applied = new Set(storeWide.all(q.appliedMigrations()).map((row) => row.id));
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      db.transaction(() => {
        // Another process may have applied it meanwhile: the immediate transaction holds the write lock.
        if (storeWide.one(q.migrationApplied(migration.id)) !== undefined) return;
        db.exec(migration.sqlite);
        storeWide.run(q.recordMigration(migration, options.now()));
      }).immediate();
    }
  };

  const removePair = db.transaction((id: string) => {
    for (const statement of q.removePair(id)) storeWide.run(statement);
  });

  const registry: Sync<Pick<Methods, 'migrate' | 'pairs' | 'savePair' | 'removePair'>> = {
    migrate,
    pairs: () => storeWide.all(q.pairs()).map(toPair),
    savePair: (record: PairRecord) => {
      checkPairId(record.id);
      storeWide.run(q.savePair(record));
    },
    removePair: (id) => {
      checkPairId(id);
      if (id === DEFAULT_PAIR)
        throw new Error(
          `the connection pair "${DEFAULT_PAIR}" cannot be removed: every command uses it unless told another pair. To stop it syncing, save it with enabled: false`,
        );
      removePair.immediate(id);
    },
  };

  /** The store bound to `pair`; `opened`: the one `openSqliteStore` gives, whose `close()` closes the database. */
  const storeFor = (pair: string, opened: boolean): StateStore => {
    const { one, all, run } = runner(pair);

    /** Inside a write transaction: refuses the write when `fence` no longer holds its lease. */
    const holds = (fence: Fence | undefined): void => {
      if (fence !== undefined && one(q.fenceHolds(fence)) === undefined) throw new LeaseLostError(fence);
    };

    const saveLink = db.transaction((link: Link, fence: Fence | undefined) => {
      holds(fence);
      run(q.freeSalesforceId(link));
      run(q.saveLink(link));
    });

    const endLink = db.transaction(
      (hsContactId: string, why: string, at: number, fence: Fence | undefined) => {
        holds(fence);
        const row = one(q.deleteLink(hsContactId));
        if (row) run(q.saveEndedLink(row.sf_id, hsContactId, why, at));
      },
    );

    const setCursor = db.transaction((name: string, value: string, fence: Fence | undefined) => {
      holds(fence);
      run(q.setCursor(name, value));
    });

    const claimCreates = db.transaction(
      (targets: readonly string[], owner: string, now: number, freshSince: number) => {
        const held: string[] = [];
        const stale: string[] = [];
        for (const target of new Set(targets)) {
          const intent = one(q.createIntent(target));
          if (one(q.claimCreate(target, owner, now, freshSince)) === undefined) held.push(target);
          else if (intent && intent.owner !== owner) stale.push(target);
        }
        return { held, stale };
      },
    );

    const rememberCreatedCompanies = db.transaction(
      (pairs: Parameters<StateStore['rememberCreatedCompanies']>[0], at: number, forgetBefore: number) => {
        run(q.forgetCreatedCompanies(forgetBefore));
        for (const created of pairs) run(q.rememberCreatedCompany(created.accountId, created.companyId, at));
      },
    );

    const addToInbox = db.transaction((changes: WebhookChanges, at: number) => {
      for (const id of changes.changed) run(q.addToInbox(id, 'changed', at));
      for (const id of changes.deleted) run(q.addToInbox(id, 'deleted', at));
    });

    const rememberSignature = db.transaction((signature: string, staleAfter: number, now: number) => {
      run(q.forgetStaleSignatures(now));
      return one(q.rememberSignature(signature, staleAfter)) !== undefined;
    });

    const acceptWebhook = db.transaction(
      (signature: string, staleAfter: number, changes: WebhookChanges, now: number) => {
        if (!rememberSignature(signature, staleAfter, now)) return false;
        addToInbox(changes, now);
        return true;
      },
    );

    const appendAudit = db.transaction((entries: readonly AuditEntry[]) => {
      for (const row of toAuditRows(entries)) run(q.auditRow(row));
    });

    /** A batch in one transaction, each part after the other (`BatchWrite`): prepared statements, no I/O between. */
    const writeBatch = db.transaction((batch: BatchWrite, fence: Fence | undefined) => {
      holds(fence);
      // Deletes commute: the records that keep nothing in one statement, the others one by one.
      const clearAll = batch.clearErrors.filter((c) => !c.keep?.length).map((c) => c.record);
      if (clearAll.length) run(q.clearErrorsOf(clearAll));
      for (const c of batch.clearErrors) if (c.keep?.length) run(q.clearErrors(c.record, c.keep));
      for (const e of batch.errors) run(q.recordError(e));
      for (const change of batch.links) {
        if ('save' in change) {
          run(q.freeSalesforceId(change.save));
          run(q.saveLink(change.save));
        } else {
          const row = one(q.deleteLink(change.end));
          if (row) run(q.saveEndedLink(row.sf_id, change.end, change.why, change.at));
        }
      }
      for (const x of batch.explanations) run(q.saveExplanation(x));
      for (const row of toAuditRows(batch.audit)) run(q.auditRow(row));
    });

    /** A new run id adds the run to the pair's lifetime totals; one kept already is replaced, not added. */
    const recordRun = db.transaction((record: RunRecord, forgetBefore: number) => {
      if (one(q.addRun(record)) === undefined) run(q.replaceRun(record));
      else {
        run(q.startRunTotals());
        const totals = one(q.runTotalsLatency());
        if (!totals) throw new Error('the run totals row just made was not found');
        run(q.addToRunTotals(record, totals.latency));
      }
      run(q.forgetRuns(forgetBefore));
    });

    // U3: a state or digest moved only over what was read, its notices queued with it.
    const advanceAlertState = db.transaction(
      (
        next: Parameters<StateStore['advanceAlertState']>[0],
        notices: Parameters<StateStore['advanceAlertState']>[1],
      ) => {
        if (one(a.advanceState(next)) === undefined) return false;
        for (const n of notices) one(a.addNotice(n.alert, n.notice, null));
        return true;
      },
    );
    const queueDigest = db.transaction(
      (alert: string, expected: number, notice: Parameters<StateStore['queueDigest']>[2]) => {
        if (one(a.moveDigest(alert, expected, notice.at)) === undefined) return false;
        one(a.addNotice(alert, notice, null));
        return true;
      },
    );
    const removeAlert = db.transaction((id: string) => {
      if (one(a.removeAlert(id)) === undefined) return false;
      run(a.removeNoticesOf(id));
      return true;
    });

    /** Reads in one (deferred) transaction: one snapshot of the database, whatever writes meanwhile. */
    const inOneRead = db.transaction((read: () => unknown) => read());
    const oneRead = <T>(read: () => T): T => inOneRead(read) as T;

    /** A paged list's total and page, in one read. */
    const paged = <R>(statements: PagedStatements<R>): { total: number; rows: R[] } =>
      oneRead(() => ({ total: toNumber(one(statements.total)?.n ?? 0), rows: all(statements.page) }));

    const methods = settle<Methods>({
      ...registry,
      close: () => {
        if (!opened) return;
        prepared.clear();
        if (db.open) db.close();
      },

      linkByHubSpotId: (hsContactId) => {
        const row = one(q.linkByHubSpotId(hsContactId));
        return row ? toLink(row) : null;
      },
      linkBySalesforceId: (sfId) => {
        const row = one(q.linkBySalesforceId(sfId));
        return row ? toLink(row) : null;
      },
      linksByHubSpotIds: (ids) => (ids.length === 0 ? [] : all(q.linksByHubSpotIds(ids)).map(toLink)),
      linksBySalesforceIds: (ids) => (ids.length === 0 ? [] : all(q.linksBySalesforceIds(ids)).map(toLink)),
      saveLink: (link, fence) => saveLink.immediate(link, fence),
      endLink: (hsContactId, why, at, fence) => endLink.immediate(hsContactId, why, at, fence),
      endedLinkWhy: (sfId) => one(q.endedLinkWhy(sfId))?.why ?? null,
      countLinks: () => toNumber(one(q.countLinks())?.n ?? 0),
      linkedContactIds: (after, limit) => all(q.linkedContactIds(after, limit)).map((r) => r.hs_contact_id),

      cursor: (name) => one(q.cursor(name))?.value ?? null,
      setCursor: (name, value, fence) => setCursor.immediate(name, value, fence),

      acquireLease: (name, holder, now, until, takeOver) => {
        const taken = one(q.acquireLease(name, holder, now, until, takeOver));
        if (taken) return { acquired: true, lease: toLease(taken) };
        const held = one(q.lease(name));
        if (!held) throw new Error(`the lease "${name}" was neither taken nor found`);
        return { acquired: false, lease: toLease(held) };
      },
      claimCreates: (targets, owner, now, freshSince) =>
        claimCreates.immediate(targets, owner, now, freshSince),
      releaseCreates: (targets, owner) => {
        if (targets.length > 0) run(q.releaseCreates(targets, owner));
      },
      rememberCreatedCompanies: (pairs, at, forgetBefore) =>
        rememberCreatedCompanies.immediate(pairs, at, forgetBefore),
      createdCompanies: (accountIds, since) =>
        accountIds.length === 0 ? new Map() : toCreatedCompanies(all(q.createdCompanies(accountIds, since))),
      addToWebhookInbox: (changes, at) => addToInbox.immediate(changes, at),
      webhookInbox: () => toWebhookChanges(all(q.inbox())),
      removeFromWebhookInbox: (changes) => {
        if (changes.changed.length) run(q.removeFromInbox(changes.changed, 'changed'));
        if (changes.deleted.length) run(q.removeFromInbox(changes.deleted, 'deleted'));
      },
      rememberSignature: (signature, staleAfter, now) =>
        rememberSignature.immediate(signature, staleAfter, now),
      acceptWebhook: (signature, staleAfter, changes, now) =>
        acceptWebhook.immediate(signature, staleAfter, changes, now),
      renewLease: (fence, until) => one(q.renewLease(fence, until)) !== undefined,
      releaseLease: (fence) => run(q.releaseLease(fence)),
      lease: (name) => {
        const row = one(q.lease(name));
        return row ? toLease(row) : null;
      },

      settings: () => toSettings(all(q.settings())),
      setSetting: (key, value) => run(q.setSetting(key, value)),
      mappings: () => toMappings(one(q.mappings())),
      saveMappings: (mappings) => run(q.saveMappings(mappings)),

      recordError: (entry) => {
        const row = one(q.recordError(entry));
        if (!row) throw new Error('INSERT … RETURNING returned no row.');
        return toError(row);
      },
      clearErrors: (record, keep = []) => run(q.clearErrors(record, keep)),
      errors: (filter = {}) => all(q.errors(filter)).map(toError),

      writeBatch: (batch, fence) => writeBatch.immediate(batch, fence),
      appendAudit: (entries) => appendAudit.immediate(entries),
      audit: (record, limit) => all(q.audit(record, limit)).map(toAudit),

      errorPage: (filter, page) => {
        const { total, rows } = paged(q.errorPage(filter, page));
        return { total, errors: rows.map(toError) };
      },
      errorCounts: () => toErrorCounts(all(q.errorCounts())),
      auditOfRun: (runId, page) => {
        const { total, rows } = paged(q.auditOfRun(runId, page));
        return { total, entries: rows.map(toAudit) };
      },

      recordRun: (record, forgetBefore) => recordRun.immediate(record, forgetBefore),
      runs: (query) => all(q.runs(query)).map(toRun),
      run: (runId) => {
        const row = one(q.run(runId));
        return row ? toRun(row) : null;
      },
      runSeries: (since, until, stepMs) =>
        all(q.runSeries(since, until, stepMs)).map(toRunBucket(since, stepMs)),
      runTotals: (since) =>
        oneRead(() => {
          const sums = one(q.runTotals(since));
          if (!sums) throw new Error('an aggregate without GROUP BY returned no row');
          return toRunTotals(sums, all(q.runLatency(since)));
        }),
      lifetimeTotals: () => toLifetimeTotals(one(q.lifetimeTotals())),
      apiCallSeries: (system, since, until, stepMs) =>
        all(q.apiCallSeries(system, since, until, stepMs)).map(toCallBucket(since, stepMs)),
      webhookInboxSize: () => toNumber(one(q.inboxSize())?.n ?? 0),
      outcomeCounts: () => toOutcomeCounts(all(q.outcomeCounts())),

      recordApiCalls: (system, calls, at) => run(q.recordApiCalls(system, calls, at)),
      apiCalls: (system, since) => toNumber(one(q.apiCalls(system, since))?.n ?? 0),

      alerts: () => all(a.alerts()).map(toAlert),
      addAlert: (alert) => one(a.addAlert(alert)) !== undefined,
      removeAlert: (id) => removeAlert.immediate(id),
      alertStates: () => all(a.states()).map(toAlertState),
      advanceAlertState: (next, notices) => advanceAlertState.immediate(next, notices),
      queueDigest: (alert, expected, notice) => queueDigest.immediate(alert, expected, notice),
      recordNotice: (alert, notice, outcome) => {
        const row = one(a.addNotice(alert, notice, outcome));
        if (!row) throw new Error('INSERT … RETURNING returned no row.');
        return toAlertNotice(row);
      },
      claimNotices: (now, until) =>
        all(a.claimNotices(now, until))
          .map(toAlertNotice)
          .sort((x, y) => x.id - y.id),
      settleNotice: (notice, outcome) => run(a.settleNotice(notice.id, notice.alert, outcome)),
      alertNotices: (query) =>
        all(query.alert === undefined ? a.notices(query.limit) : a.noticesOf(query.alert, query.limit)).map(
          toAlertNotice,
        ),
      countNewErrors: (since) => toNumber(one(a.countNewErrors(since))?.n ?? 0),

      saveExplanation: (explanation) => run(q.saveExplanation(explanation)),
      explanation: (key) => {
        const row = one(q.explanation(key));
        return row ? toExplanation(row) : null;
      },
    });
    return { ...methods, pair, forPair: sibling };
  };

  /** The store bound to `pair` over this database, made once per pair; its `close()` does nothing. */
  const sibling = pairSiblings((pair) => storeFor(pair, false));

  return storeFor(DEFAULT_PAIR, true);
}
