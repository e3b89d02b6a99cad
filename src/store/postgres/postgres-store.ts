/**
 * The Postgres state store (`pg`), used when `DATABASE_URL` is set. Same behaviour as the embedded
 * store, checked by the same contract suite. Tables live in the connection's current schema (the first
 * of its `search_path`), so a URL with `options=-c search_path=…` selects another schema.
 *
 * The statements are in `../queries.ts` (Postgres dialect). Epoch-ms columns are `BIGINT`, which `pg`
 * returns as strings: rows (typed with `DbInt`) are mapped back to numbers and to the port's types in
 * `../rows.ts` (STYLE §5).
 *
 * Pairs: one pool serves every pair. The store `openPostgresStore` gives is bound to `default` and owns
 * the pool; `forPair` gives siblings over it (one per pair, kept), whose `close()` does nothing.
 */
import pg from 'pg';
import { alertQueries, toAlert, toAlertNotice, toAlertState } from '../alert-queries.ts';
import { MIGRATIONS_TABLE, migrations } from '../migrations.ts';
import { bindPair, postgresOnly, queries, type PagedStatements, type Statement } from '../queries.ts';
import {
  toAudit,
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
  DEFAULT_PAIR,
  LeaseLostError,
  pairSiblings,
  type Fence,
  type LinkChange,
  type StateStore,
} from '../state-store.ts';

export interface PostgresStoreOptions {
  /** The clock (epoch ms) that stamps applied migrations. */
  readonly now: () => number;
  /**
   * A pool to use instead of opening one: the process's one pool, shared with graphile-worker
   * (`crosswalk worker`). The store's `close()` leaves it open: whoever made it ends it.
   */
  readonly pool?: pg.Pool;
}

/** The pool's size: the engine's concurrency is small, and a hosted Postgres limits connections. */
const MAX_CONNECTIONS = 4;

const q = queries.postgres;
const a = alertQueries.postgres;

/** The pool, or one of its connections inside a transaction. */
type Client = pg.Pool | pg.PoolClient;

/**
 * Runs statements for `pair` (null: store-wide ones). The one place a statement's `PAIR` marker
 * becomes the pair.
 */
const runner = (pair: string | null) => {
  const all = async <R>(client: Client, s: Statement<R>): Promise<R[]> =>
    (await client.query(s.text, bindPair(s.values, pair))).rows as R[];
  return {
    all,
    one: async <R>(client: Client, s: Statement<R>): Promise<R | undefined> => (await all(client, s))[0],
    run: async (client: Client, s: Statement): Promise<void> => {
      await all(client, s);
    },
  };
};

/**
 * Whether a batch's link changes can be written in two statements (`postgresOnly.saveLinks`): only
 * links saved, of distinct contacts and distinct Salesforce ids, so their order does not matter.
 */
function bulkLinks(changes: readonly LinkChange[]): boolean {
  const contacts = new Set<string>();
  const sfIds = new Set<string>();
  for (const change of changes) {
    if (!('save' in change)) return false;
    contacts.add(change.save.hsContactId);
    sfIds.add(change.save.sfId);
  }
  return contacts.size === changes.length && sfIds.size === changes.length;
}

/** Store-wide statements: the schema and the pair registry, the same in every pair's store. */
const storeWide = runner(null);

/**
 * Connects a pool (at most 4 connections) to the database at `url` (`postgres://…`), or uses the one
 * given. Nothing is queried until the first call; call `migrate()` before use (`openStore` does). The
 * store is bound to the pair `default`; its `close()` ends the pool it opened.
 */
export function openPostgresStore(url: string, options: PostgresStoreOptions): StateStore {
  const owned = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: url, max: MAX_CONNECTIONS });
  // An idle connection that breaks (a server restart) is dropped by the pool and the next query opens
  // a new one; without a listener the 'error' event would crash the process.
  if (owned) pool.on('error', () => {});

  /** Runs `work` in a transaction: `begin` starts it (a plain `BEGIN` unless given). */
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };

  /** Reads in one snapshot (a read-only, repeatable-read transaction): they agree, whatever writes meanwhile. */
  const oneRead = <T>(read: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
    transaction(read, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');

  const registry: Pick<StateStore, 'migrate' | 'pairs' | 'savePair' | 'removePair'> = {
    migrate: async () => {
      const applied = await transaction(async (client) => {
        await storeWide.run(client, postgresOnly.migrationLock);
        await client.query(MIGRATIONS_TABLE);
        return new Set((await storeWide.all(client, q.appliedMigrations())).map((row) => row.id));
      });
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        await transaction(async (client) => {
          await storeWide.run(client, postgresOnly.migrationLock);
          if ((await storeWide.one(client, q.migrationApplied(migration.id))) !== undefined) return;
          await client.query(migration.postgres);
          await storeWide.run(client, q.recordMigration(migration, options.now()));
        });
      }
    },
    pairs: async () => (await storeWide.all(pool, q.pairs())).map(toPair),
    savePair: async (record) => {
      checkPairId(record.id);
      await storeWide.run(pool, q.savePair(record));
    },
    removePair: async (id) => {
      checkPairId(id);
      if (id === DEFAULT_PAIR)
        throw new Error(
          `the connection pair "${DEFAULT_PAIR}" cannot be removed: every command uses it unless told another pair. To stop it syncing, save it with enabled: false`,
        );
      await transaction(async (client) => {
        for (const statement of q.removePair(id)) await storeWide.run(client, statement);
      });
    },
  };

  /** The store bound to `pair`; `opened`: the one `openPostgresStore` gives, whose `close()` ends the pool. */
  const storeFor = (pair: string, opened: boolean): StateStore => {
    const { all, one, run } = runner(pair);

    /** Inside a transaction: locks the lease row, and refuses the write when `fence` no longer holds it. */
    const holds = async (client: pg.PoolClient, fence: Fence | undefined): Promise<void> => {
      if (fence !== undefined && (await one(client, q.fenceHolds(fence))) === undefined)
        throw new LeaseLostError(fence);
    };

    /** A paged list's total and page, in one read. */
    const paged = <R>(statements: PagedStatements<R>): Promise<{ total: number; rows: R[] }> =>
      oneRead(async (client) => ({
        total: toNumber((await one(client, statements.total))?.n ?? 0),
        rows: await all(client, statements.page),
      }));

    return {
      pair,
      forPair: sibling,
      ...registry,
      close: async () => {
        if (opened && owned) await (ending ??= pool.end());
      },

      linkByHubSpotId: async (hsContactId) => {
        const row = await one(pool, q.linkByHubSpotId(hsContactId));
        return row ? toLink(row) : null;
      },
      linkBySalesforceId: async (sfId) => {
        const row = await one(pool, q.linkBySalesforceId(sfId));
        return row ? toLink(row) : null;
      },
      linksByHubSpotIds: async (ids) =>
        ids.length === 0 ? [] : (await all(pool, q.linksByHubSpotIds(ids))).map(toLink),
      linksBySalesforceIds: async (ids) =>
        ids.length === 0 ? [] : (await all(pool, q.linksBySalesforceIds(ids))).map(toLink),
      saveLink: (link, fence) =>
        transaction(async (client) => {
          await holds(client, fence);
          await run(client, q.freeSalesforceId(link));
          await run(client, q.saveLink(link));
        }),
      endLink: (hsContactId, why, at, fence) =>
        transaction(async (client) => {
          await holds(client, fence);
          const row = await one(client, q.deleteLink(hsContactId));
          if (row) await run(client, q.saveEndedLink(row.sf_id, hsContactId, why, at));
        }),
      endedLinkWhy: async (sfId) => (await one(pool, q.endedLinkWhy(sfId)))?.why ?? null,
      countLinks: async () => toNumber((await one(pool, q.countLinks()))?.n ?? 0),
      linkedContactIds: async (after, limit) =>
        (await all(pool, q.linkedContactIds(after, limit))).map((r) => r.hs_contact_id),

      cursor: async (name) => (await one(pool, q.cursor(name)))?.value ?? null,
      setCursor: async (name, value, fence) => {
        if (fence === undefined) return run(pool, q.setCursor(name, value));
        await transaction(async (client) => {
          await holds(client, fence);
          await run(client, q.setCursor(name, value));
        });
      },

      acquireLease: async (name, holder, now, until, takeOver) => {
        const taken = await one(pool, q.acquireLease(name, holder, now, until, takeOver));
        if (taken) return { acquired: true, lease: toLease(taken) };
        const held = await one(pool, q.lease(name));
        if (!held) throw new Error(`the lease "${name}" was neither taken nor found`);
        return { acquired: false, lease: toLease(held) };
      },
      claimCreates: (targets, owner, now, freshSince) =>
        transaction(async (client) => {
          const held: string[] = [];
          const stale: string[] = [];
          // In one order, so two writers claiming overlapping sets lock their rows without a deadlock.
          for (const target of [...new Set(targets)].sort()) {
            const intent = await one(client, q.createIntent(target));
            if ((await one(client, q.claimCreate(target, owner, now, freshSince))) === undefined)
              held.push(target);
            else if (intent && intent.owner !== owner) stale.push(target);
          }
          return { held, stale };
        }),
      releaseCreates: async (targets, owner) => {
        if (targets.length > 0) await run(pool, q.releaseCreates(targets, owner));
      },
      rememberCreatedCompanies: (pairs, at, forgetBefore) =>
        transaction(async (client) => {
          await run(client, q.forgetCreatedCompanies(forgetBefore));
          for (const created of pairs)
            await run(client, q.rememberCreatedCompany(created.accountId, created.companyId, at));
        }),
      createdCompanies: async (accountIds, since) =>
        accountIds.length === 0
          ? new Map()
          : toCreatedCompanies(await all(pool, q.createdCompanies(accountIds, since))),
      addToWebhookInbox: (changes, at) =>
        transaction(async (client) => {
          for (const id of changes.changed) await run(client, q.addToInbox(id, 'changed', at));
          for (const id of changes.deleted) await run(client, q.addToInbox(id, 'deleted', at));
        }),
      webhookInbox: async () => toWebhookChanges(await all(pool, q.inbox())),
      removeFromWebhookInbox: async (changes) => {
        if (changes.changed.length) await run(pool, q.removeFromInbox(changes.changed, 'changed'));
        if (changes.deleted.length) await run(pool, q.removeFromInbox(changes.deleted, 'deleted'));
      },
      rememberSignature: (signature, staleAfter, now) =>
        transaction(async (client) => {
          await run(client, q.forgetStaleSignatures(now));
          return (await one(client, q.rememberSignature(signature, staleAfter))) !== undefined;
        }),
      acceptWebhook: (signature, staleAfter, changes, now) =>
        transaction(async (client) => {
          await run(client, q.forgetStaleSignatures(now));
          if ((await one(client, q.rememberSignature(signature, staleAfter))) === undefined) return false;
          for (const id of changes.changed) await run(client, q.addToInbox(id, 'changed', now));
          for (const id of changes.deleted) await run(client, q.addToInbox(id, 'deleted', now));
          return true;
        }),
      renewLease: async (fence, until) => (await one(pool, q.renewLease(fence, until))) !== undefined,
      releaseLease: async (fence) => {
        await run(pool, q.releaseLease(fence));
      },
      lease: async (name) => {
        const row = await one(pool, q.lease(name));
        return row ? toLease(row) : null;
      },

      settings: async () => toSettings(await all(pool, q.settings())),
      setSetting: async (key, value) => {
        await run(pool, q.setSetting(key, value));
      },
      mappings: async () => toMappings(await one(pool, q.mappings())),
      saveMappings: async (mappings) => {
        await run(pool, q.saveMappings(mappings));
      },

      recordError: async (entry) => {
        const row = await one(pool, q.recordError(entry));
        if (!row) throw new Error('INSERT … RETURNING returned no row.');
        return toError(row);
      },
      clearErrors: async (record, keep = []) => {
        await run(pool, q.clearErrors(record, keep));
      },
      errors: async (filter = {}) => (await all(pool, q.errors(filter))).map(toError),

      writeBatch: (batch, fence) =>
        transaction(async (client) => {
          await holds(client, fence);
          if (batch.clearErrors.length) await run(client, postgresOnly.clearErrors(batch.clearErrors));
          if (batch.errors.length) await run(client, postgresOnly.recordErrors(batch.errors));
          if (bulkLinks(batch.links)) {
            const saved = batch.links.map((change) => ('save' in change ? change.save : null));
            const links = saved.filter((link) => link !== null);
            if (links.length) for (const s of postgresOnly.saveLinks(links)) await run(client, s);
          } else {
            // An ended link, or one contact or Salesforce id twice: one change after the other.
            for (const change of batch.links) {
              if ('save' in change) {
                await run(client, q.freeSalesforceId(change.save));
                await run(client, q.saveLink(change.save));
              } else {
                const row = await one(client, q.deleteLink(change.end));
                if (row) await run(client, q.saveEndedLink(row.sf_id, change.end, change.why, change.at));
              }
            }
          }
          if (batch.explanations.length) await run(client, postgresOnly.saveExplanations(batch.explanations));
          if (batch.audit.length) await run(client, postgresOnly.appendAudit(batch.audit));
        }),
      appendAudit: async (entries) => {
        if (entries.length > 0) await run(pool, postgresOnly.appendAudit(entries));
      },
      audit: async (record, limit) => (await all(pool, q.audit(record, limit))).map(toAudit),

      errorPage: async (filter, page) => {
        const { total, rows } = await paged(q.errorPage(filter, page));
        return { total, errors: rows.map(toError) };
      },
      errorCounts: async () => toErrorCounts(await all(pool, q.errorCounts())),
      auditOfRun: async (runId, page) => {
        const { total, rows } = await paged(q.auditOfRun(runId, page));
        return { total, entries: rows.map(toAudit) };
      },

      // A new run id adds the run to the pair's lifetime totals; one kept already is replaced, not added.
      // The totals row is locked (FOR UPDATE) from its read to its update: concurrent runs add up.
      recordRun: (record, forgetBefore) =>
        transaction(async (client) => {
          if ((await one(client, q.addRun(record))) === undefined) await run(client, q.replaceRun(record));
          else {
            await run(client, q.startRunTotals());
            const totals = await one(client, q.runTotalsLatency());
            if (!totals) throw new Error('the run totals row just made was not found');
            await run(client, q.addToRunTotals(record, totals.latency));
          }
          await run(client, q.forgetRuns(forgetBefore));
        }),
      runs: async (query) => (await all(pool, q.runs(query))).map(toRun),
      run: async (runId) => {
        const row = await one(pool, q.run(runId));
        return row ? toRun(row) : null;
      },
      runSeries: async (since, until, stepMs) =>
        (await all(pool, q.runSeries(since, until, stepMs))).map(toRunBucket(since, stepMs)),
      runTotals: (since) =>
        oneRead(async (client) => {
          const sums = await one(client, q.runTotals(since));
          if (!sums) throw new Error('an aggregate without GROUP BY returned no row');
          return toRunTotals(sums, await all(client, q.runLatency(since)));
        }),
      lifetimeTotals: async () => toLifetimeTotals(await one(pool, q.lifetimeTotals())),
      apiCallSeries: async (system, since, until, stepMs) =>
        (await all(pool, q.apiCallSeries(system, since, until, stepMs))).map(toCallBucket(since, stepMs)),
      webhookInboxSize: async () => toNumber((await one(pool, q.inboxSize()))?.n ?? 0),
      outcomeCounts: async () => toOutcomeCounts(await all(pool, q.outcomeCounts())),

      recordApiCalls: async (system, calls, at) => {
        await run(pool, q.recordApiCalls(system, calls, at));
      },
      apiCalls: async (system, since) => toNumber((await one(pool, q.apiCalls(system, since)))?.n ?? 0),

      alerts: async () => (await all(pool, a.alerts())).map(toAlert),
      addAlert: async (alert) => (await one(pool, a.addAlert(alert))) !== undefined,
      removeAlert: (id) =>
        transaction(async (client) => {
          if ((await one(client, a.removeAlert(id))) === undefined) return false;
          await run(client, a.removeNoticesOf(id));
          return true;
        }),
      alertStates: async () => (await all(pool, a.states())).map(toAlertState),
      // U3: a state or digest moved only over what was read, its notices queued with it.
      advanceAlertState: (next, notices) =>
        transaction(async (client) => {
          if ((await one(client, a.advanceState(next))) === undefined) return false;
          for (const n of notices) await run(client, a.addNotice(n.alert, n.notice, null));
          return true;
        }),
      queueDigest: (alert, expected, notice) =>
        transaction(async (client) => {
          if ((await one(client, a.moveDigest(alert, expected, notice.at))) === undefined) return false;
          await run(client, a.addNotice(alert, notice, null));
          return true;
        }),
      recordNotice: async (alert, notice, outcome) => {
        const row = await one(pool, a.addNotice(alert, notice, outcome));
        if (!row) throw new Error('INSERT … RETURNING returned no row.');
        return toAlertNotice(row);
      },
      claimNotices: async (now, until) =>
        (await all(pool, a.claimNotices(now, until))).map(toAlertNotice).sort((x, y) => x.id - y.id),
      settleNotice: async (notice, outcome) => {
        await run(pool, a.settleNotice(notice.id, notice.alert, outcome));
      },
      alertNotices: async (query) =>
        (
          await all(
            pool,
            query.alert === undefined ? a.notices(query.limit) : a.noticesOf(query.alert, query.limit),
          )
        ).map(toAlertNotice),
      countNewErrors: async (since) => toNumber((await one(pool, a.countNewErrors(since)))?.n ?? 0),

      saveExplanation: async (explanation) => {
        await run(pool, q.saveExplanation(explanation));
      },
      explanation: async (key) => {
        const row = await one(pool, q.explanation(key));
        return row ? toExplanation(row) : null;
      },
    };
  };

  /** The pool ending (once, however many times and however concurrently `close` is called). */
  let ending: Promise<void> | undefined;

  /** The store bound to `pair` over this pool, made once per pair; its `close()` does nothing. */
  const sibling = pairSiblings((pair) => storeFor(pair, false));

  return storeFor(DEFAULT_PAIR, true);
}
