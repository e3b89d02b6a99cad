/**
 * The engine: runs the core's plans through the connectors and the store. One cycle polls both
 * systems for changes since the last cursor (with an overlap), gathers for every changed contact what
 * `planSync` needs, plans, carries the plans out in batches, and records links, snapshots, errors,
 * the audit log, explanations and API usage. Cursors move only after the batch they cover is stored,
 * so a crash re-reads and re-plans (plans are idempotent; creates match by email first).
 *
 * Terms (docs/glossary.md): a **run** is one cycle; a **unit** is one contact's work in a run.
 */
import { createHash } from 'node:crypto';
import { emailKey } from '../core/matching.ts';
import { DEFAULT_MAPPINGS } from '../core/mappings.ts';
import { classifyError, nextAttemptAt } from '../core/errors.ts';
import { decideHubSpotDelete } from '../core/deletes.ts';
import { decideCompany } from '../core/accounts.ts';
import { planSync } from '../core/plan.ts';
import type { Mapping, SfPersonObject } from '../core/model.ts';
import type { Trigger } from '../core/scope.ts';
import {
  ConnectorError,
  type HubSpotPort,
  type SalesforcePort,
  type HsChange,
  type SfChange,
  type WriteOutcome,
} from '../connectors/ports.ts';
import { PollCursor, type PollChange } from './poll-cursor.ts';
import type { AuditEntry, StateStore } from '../store/state-store.ts';
import { planSettings, resolveSettings } from './settings.ts';
import type { CampaignMembership, HsCompanyRef, HsContact, Link, SfRecord, SfValue } from '../core/records.ts';
import { planWrites, type PlanContext, type PlanInput, type SyncPlan } from '../core/sync-plan.ts';

export interface EngineOptions {
  readonly salesforce: SalesforcePort;
  readonly hubspot: HubSpotPort;
  readonly store: StateStore;
  /** Injected clock, epoch ms. */
  readonly now: () => number;
  /** How far each poll reaches back before the last cursor (ms): equal timestamps, clock skew, long transactions. Default 60 s. */
  readonly overlapMs?: number;
  /** Progress and outcome events, for the CLI and logs. */
  readonly onEvent?: (event: EngineEvent) => void;
  /**
   * T2: with HubSpot webhooks on, HubSpot's poll is a safety net: a cycle polls HubSpot only when
   * this long (ms) has passed since its last HubSpot poll. Default 0: every cycle.
   */
  readonly hubspotPollMs?: number;
  /** B1: how long Salesforce calls pause after `REQUEST_LIMIT_EXCEEDED` (ms). Default 15 minutes. */
  readonly limitPauseMs?: number;
}

/** B1: Salesforce calls are paused: the allocation is spent, or the org refused a call for its limit. */
export interface Pause {
  readonly reason: 'allocation' | 'org_limit';
  /** When calls may resume (epoch ms): the rolling window frees enough, or the pause after a refusal ends. */
  readonly until: number;
  readonly why: string;
}

export type EngineEvent =
  | { readonly type: 'cycle_started'; readonly runId: string }
  | { readonly type: 'reconciled'; readonly runId: string; readonly repairs: readonly Repair[] }
  | { readonly type: 'batch'; readonly source: 'salesforce' | 'hubspot'; readonly records: number }
  | { readonly type: 'cycle_finished'; readonly report: CycleReport };

export interface CycleReport {
  readonly runId: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Changes read from each system. */
  readonly changes: { readonly salesforce: number; readonly hubspot: number };
  /** Plans made, and how they ended. */
  readonly planned: number;
  readonly synced: number;
  readonly skipped: number;
  readonly failed: number;
  /** Records written in each system (creates and updates). */
  readonly written: { readonly salesforce: number; readonly hubspot: number };
  /** API calls made in this cycle. */
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  /** B1: set when the cycle stopped (or never started) because Salesforce calls are paused; the work waits. */
  readonly paused: Pause | null;
}

const OPT_OUT_PROPERTY = 'hs_email_optout';
const LINK_PROPERTIES = ['salesforceleadid', 'salesforcecontactid', 'salesforcecampaignids'];
const OBJECTS: readonly SfPersonObject[] = ['Lead', 'Contact'];
const DAY = 86_400_000;
/** Store cursors of B1: until when Salesforce calls pause after a refusal, and the org's last known use. */
const PAUSED_UNTIL = 'salesforce:paused-until';
export const ORG_USAGE = 'salesforce:org-usage';

const digest = (value: unknown): string =>
  createHash('sha1').update(JSON.stringify(value)).digest('base64').slice(0, 12);
const sfPollChange = (c: SfChange): PollChange => ({
  id: c.record.id,
  stamp: c.stamp,
  digest: digest(c.record),
});
const hsPollChange = (c: HsChange): PollChange => ({
  id: c.contact.id,
  stamp: c.stamp,
  digest: digest(c.contact),
});

function orgLimitPause(until: number): Pause {
  return {
    reason: 'org_limit',
    until,
    why: `Salesforce refused a call: the org's daily API limit is reached (REQUEST_LIMIT_EXCEEDED). Salesforce calls resume at ${new Date(until).toISOString()}, and the work waits until then (B1)`,
  };
}

interface Unit {
  readonly key: string;
  readonly trigger: Trigger;
  hubspot: HsContact | null;
  link: Link | null;
  readonly sfRecordId: string | null;
}

interface RunState {
  readonly runId: string;
  /** The Salesforce connector's call count when the run started (E3 adds this run's calls). */
  readonly callsAtStart: number;
  readonly ctx: PlanContext;
  members: ReadonlyMap<string, number> | null;
  readonly counts: Counts;
  /** B1: set when Salesforce calls paused during the run; no further page is read. */
  paused: Pause | null;
}

interface Counts {
  planned: number;
  synced: number;
  skipped: number;
  failed: number;
  sfWritten: number;
  hsWritten: number;
  /** When set (reconciliation), every contact a plan wrote to, with the fields written. */
  repairs?: Repair[];
}

/** A contact a reconciliation found out of sync, and what it wrote. */
export interface Repair {
  readonly hsContactId: string | null;
  readonly email: string | null;
  readonly salesforce: readonly string[];
  readonly hubspot: readonly string[];
}

export class Engine {
  readonly #o: EngineOptions;
  #context: PlanContext | null = null;
  #runs = 0;
  /** E3: whether due errors may be retried automatically in this run (see `#retriesAllowed`). */
  #retrying = true;
  /** K2: during an import, every campaign membership of the org, when reading them all was cheaper; else null. */
  #campaignMembers: Map<string, CampaignMembership[]> | null = null;
  /** K1: the companies this engine created, by account id (HubSpot's search lags behind creates). */
  readonly #createdCompanies = new Map<string, string>();
  /** T2: when this engine last polled HubSpot (epoch ms; 0: never). */
  #hubspotPolledAt = 0;
  /** The mappings (property:field) the metadata was last checked against. */
  #metadataMappings = '';
  /** T3: during an import, every email HubSpot has (keys), when reading them all was cheaper; else null. */
  #hubspotEmails: Set<string> | null = null;

  constructor(options: EngineOptions) {
    this.#o = options;
  }

  /** Loads metadata, users, owners and settings: once per cycle for settings, once per engine for metadata. */
  async #planContext(): Promise<PlanContext> {
    const { salesforce: sf, hubspot: hs, store } = this.#o;
    const settings = planSettings(resolveSettings(await store.settings()));
    const mappings: readonly Mapping[] = (await store.mappings()) ?? DEFAULT_MAPPINGS;
    // Metadata is read once, and again when a changed set of mappings names a property or field it
    // does not know (a mapping added after the engine started, for something created in the CRM since).
    const mapped = mappings.map((m) => `${m.hsProperty}:${m.sfField}`).join(',');
    const stale =
      this.#context !== null &&
      mapped !== this.#metadataMappings &&
      mappings.some(
        (m) =>
          !this.#context!.hsProperties.has(m.hsProperty) ||
          m.objects.some((o) => !this.#context!.sfFields[o].has(m.sfField)),
      );
    this.#metadataMappings = mapped;
    if (!this.#context || stale) {
      const [lead, contact, properties, users, owners, integrationUserId] = await Promise.all([
        sf.describe('Lead'),
        sf.describe('Contact'),
        hs.properties(),
        sf.users(),
        hs.owners(),
        sf.integrationUserId(),
      ]);
      this.#context = {
        settings,
        mappings,
        hsProperties: new Map(properties.map((p) => [p.name, p])),
        sfFields: {
          Lead: new Map(lead.map((f) => [f.name, f])),
          Contact: new Map(contact.map((f) => [f.name, f])),
        },
        sfUsers: users,
        hsOwners: owners,
        integrationUserId,
        companyOfAccount: new Map(),
        accountOfCompany: new Map(),
      };
    }
    // Company pairs (K1) are learnt afresh each run: a company deleted or re-pointed in HubSpot is not remembered.
    this.#context = {
      ...this.#context,
      settings,
      mappings,
      companyOfAccount: new Map(),
      accountOfCompany: new Map(),
    };
    return this.#context;
  }

  /** One full cycle: Salesforce changes, then HubSpot changes, each in pages; then segment joins and due retries. */
  runOnce(): Promise<CycleReport> {
    return this.#run('run', async (run, changes) => {
      const { hubspot: hs, store, now } = this.#o;
      const { ctx } = run;
      const overlap = this.#o.overlapMs ?? 60_000;

      for (const object of OBJECTS) {
        const cursorName = `salesforce:${object}`;
        const cursor = PollCursor.parse(await store.cursor(cursorName), overlap);
        const first = cursor.stamp === 0;
        changes.salesforce += await this.#syncSalesforce(
          object,
          cursor.from,
          true,
          run,
          // A record is new (C3) when no poll saw it before; on the very first poll nothing is new:
          // records made before Crosswalk ran are existing records (an import brings them all).
          (record, link) =>
            !first && record.createdAt > cursor.from && link === null && !cursor.saw(record.id)
              ? 'sf_created'
              : 'sf_updated',
          (page) => store.setCursor(cursorName, cursor.advance(page.map(sfPollChange))),
          (change) => !cursor.processed(sfPollChange(change)),
        );
        if (run.paused) return;
      }

      const hsCursor = 'hubspot:contacts';
      const hsPosition = PollCursor.parse(await store.cursor(hsCursor), overlap);
      const pollHubSpot = now() - this.#hubspotPolledAt >= (this.#o.hubspotPollMs ?? 0);
      if (pollHubSpot) this.#hubspotPolledAt = now();
      // Up to now: the engine's own writes during this poll come back in the next one (F10).
      const polled = pollHubSpot ? hs.changedSince(hsPosition.from, hsPropertiesFor(ctx), now()) : [];
      for await (const all of polled) {
        const page = all.filter((c) => !hsPosition.processed(hsPollChange(c)));
        if (page.length > 0) {
          changes.hubspot += page.length;
          this.#o.onEvent?.({ type: 'batch', source: 'hubspot', records: page.length });
          const links = await store.linksByHubSpotIds(page.map((c) => c.contact.id));
          const linkByHs = new Map(links.map((l) => [l.hsContactId, l]));
          const units: Unit[] = page.map(({ contact }) => ({
            key: `hs:${contact.id}`,
            trigger: 'hs_updated',
            hubspot: contact,
            link: linkByHs.get(contact.id) ?? null,
            sfRecordId: null,
          }));
          await this.#syncUnits(units, ctx, run.members, run.runId, run.counts, []);
        }
        if (all.length > 0) await store.setCursor(hsCursor, hsPosition.advance(all.map(hsPollChange)));
        if (await this.#pausing(run)) return;
      }

      await this.#syncJoins(run);
      if (!run.paused) await this.#retryDue(run);
    });
  }

  /**
   * Runs one run: `work` reads and writes, counting the changes it read. B1: nothing starts while
   * Salesforce calls are paused; a `REQUEST_LIMIT_EXCEEDED` pauses them (the cursors stay where the
   * last stored page left them, so the work waits in the source systems and nothing is lost).
   */
  async #run(
    kind: string,
    work: (run: RunState, changes: { salesforce: number; hubspot: number }) => Promise<void>,
  ): Promise<CycleReport> {
    const { salesforce: sf, hubspot: hs, store, now } = this.#o;
    const startedAt = now();
    const runId = `${kind}-${startedAt}-${++this.#runs}`;
    this.#o.onEvent?.({ type: 'cycle_started', runId });
    const calls0 = { salesforce: sf.calls, hubspot: hs.calls };
    const changes = { salesforce: 0, hubspot: 0 };
    const counts: Counts = { planned: 0, synced: 0, skipped: 0, failed: 0, sfWritten: 0, hsWritten: 0 };
    const outcome: Pick<RunState, 'runId' | 'counts' | 'paused'> = {
      runId,
      counts,
      paused: await this.#pauseNow(0),
    };
    if (!outcome.paused) {
      try {
        const run = await this.#startRun(runId, counts);
        try {
          await work(run, changes);
        } finally {
          outcome.paused = run.paused;
        }
      } catch (error) {
        if (!(error instanceof ConnectorError && error.code === 'REQUEST_LIMIT_EXCEEDED')) {
          // The calls a failed run spent count all the same (B1, E3).
          await this.#recordCalls(calls0);
          throw error;
        }
        const until = now() + (this.#o.limitPauseMs ?? 15 * 60_000);
        await store.setCursor(PAUSED_UNTIL, String(until));
        outcome.paused = orgLimitPause(until);
      }
    }
    return this.#finishRun(outcome, startedAt, calls0, changes);
  }

  /**
   * B1: whether Salesforce calls are paused now: after the org refused a call for its daily limit, or
   * once the calls of the rolling 24 h (with `runCalls`, this run's so far) reach the allocation.
   */
  async #pauseNow(runCalls: number): Promise<Pause | null> {
    const { store, now } = this.#o;
    const at = now();
    const until = Number((await store.cursor(PAUSED_UNTIL)) ?? '0');
    if (until > at) return orgLimitPause(until);
    const allocation = resolveSettings(await store.settings()).sfDailyAllocation;
    if (allocation === null) return null;
    const used = (await store.apiCalls('salesforce', at - DAY)) + runCalls;
    if (used < allocation) return null;
    // The earliest minute at which the calls still in the window fall below the allocation.
    let lo = at;
    let hi = at + DAY;
    while (hi - lo > 60_000) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await store.apiCalls('salesforce', mid - DAY)) + runCalls < allocation) hi = mid;
      else lo = mid;
    }
    return {
      reason: 'allocation',
      until: hi,
      why: `the Salesforce allocation of ${allocation} calls in 24 h is spent (${used} used): Salesforce calls resume at ${new Date(hi).toISOString()}, and the work waits until then (B1)`,
    };
  }

  /** B1, between pages: stops the run when Salesforce calls must pause. A page in flight finishes. */
  async #pausing(run: RunState): Promise<boolean> {
    run.paused ??= await this.#pauseNow(this.#o.salesforce.calls - run.callsAtStart);
    return run.paused !== null;
  }

  /**
   * G2: contacts that joined the segment since the last run get a full sync. The first look at a
   * segment only notes where it stands: its members were not "joining" (a segment resync, G3, syncs them all).
   */
  async #syncJoins(run: RunState): Promise<void> {
    const { store } = this.#o;
    const segmentId = run.ctx.settings.segmentId;
    if (segmentId === null || run.members === null) return;
    const cursorName = `segment:${segmentId}:joined`;
    const stored = await store.cursor(cursorName);
    const since = Number(stored ?? '0');
    let latest = since;
    const joined: string[] = [];
    for (const [id, at] of run.members) {
      if (at > latest) latest = at;
      if (stored !== null && at > since) joined.push(id);
    }
    if (joined.length) await this.#syncContacts(joined, 'segment_joined', run);
    if (!run.paused && (stored === null || latest !== since))
      await store.setCursor(cursorName, String(latest));
  }

  /**
   * E3: automatic retries stop at 75% of the Salesforce allocation (5,000 calls in 24 h when none is
   * set), to keep calls for new changes. A manual resync and a changed record are always allowed.
   */
  async #retriesAllowed(run: RunState): Promise<boolean> {
    const { salesforce: sf, store, now } = this.#o;
    const allocation = resolveSettings(await store.settings()).sfDailyAllocation;
    const used = (await store.apiCalls('salesforce', now() - DAY)) + (sf.calls - run.callsAtStart);
    this.#retrying = used < (allocation === null ? 5_000 : 0.75 * allocation);
    return this.#retrying;
  }

  /** E2: records whose error is due are tried again, even when nothing changed. */
  async #retryDue(run: RunState): Promise<void> {
    const { salesforce: sf, store, now } = this.#o;
    if (!(await this.#retriesAllowed(run))) return;
    const due = await store.errors({ dueBy: now() });
    const ids = (prefix: string) => [
      ...new Set(due.filter((e) => e.record.startsWith(prefix)).map((e) => e.record.slice(prefix.length))),
    ];
    const hsIds = ids('hs:');
    const sfIds = ids('sf:');
    if (hsIds.length) {
      const found = await this.#syncContacts(hsIds, 'hs_updated', run);
      // A pause stops the retry part-way: the contacts it did not reach keep their errors.
      if (!run.paused && found.length < hsIds.length)
        for (const id of hsIds) if (!found.includes(id)) await store.clearErrors(`hs:${id}`);
    }
    if (sfIds.length) {
      const fields = sfFieldsOfBoth(run.ctx);
      const records = await sf.byIds(sfIds, fields);
      const links = new Map((await store.linksBySalesforceIds(sfIds)).map((l) => [l.sfId, l]));
      // A record that is gone has nothing left to retry.
      for (const id of sfIds) if (!records.some((r) => r.id === id)) await store.clearErrors(`sf:${id}`);
      const units: Unit[] = records.map((record) => {
        const link = links.get(record.id) ?? null;
        return {
          key: link ? `hs:${link.hsContactId}` : `sf:${record.id}`,
          trigger: 'sf_updated',
          hubspot: null,
          link,
          sfRecordId: record.id,
        };
      });
      if (units.length)
        await this.#syncUnits(units, run.ctx, run.members, run.runId, run.counts, records, true);
    }
  }

  /** Syncs HubSpot contacts by id (a retry or a resync), in batches of 100, whatever their errors. */
  async #syncContacts(
    ids: readonly string[],
    trigger: Trigger,
    run: RunState,
    /** Whatever their errors wait for (E2): retries and manual resyncs. */
    retrying = true,
  ): Promise<string[]> {
    const { hubspot: hs, store } = this.#o;
    const history = historyFor(run.ctx);
    const found: string[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const contacts = await hs.byIds(chunk, hsPropertiesFor(run.ctx), history);
      const links = new Map((await store.linksByHubSpotIds(chunk)).map((l) => [l.hsContactId, l]));
      const units: Unit[] = contacts.map((contact) => ({
        key: `hs:${contact.id}`,
        trigger,
        hubspot: contact,
        link: links.get(contact.id) ?? null,
        sfRecordId: null,
      }));
      found.push(...units.map((u) => u.key.slice(3)));
      if (units.length)
        await this.#syncUnits(units, run.ctx, run.members, run.runId, run.counts, [], retrying);
      if (await this.#pausing(run)) break;
    }
    return found;
  }

  /**
   * T2: HubSpot changes pushed by webhooks. Contacts created or changed get a sync (a record whose
   * error waits for its retry still waits, unless it changed: E2); a deleted contact's link ends at
   * once (D2), unless the contact is back (restored) by the time it is looked at. Duplicate and
   * out-of-order deliveries are harmless: contacts are read as they are now, and a plan carried out
   * twice writes nothing the second time.
   */
  syncHubSpotChanges(changes: {
    readonly changed: readonly string[];
    readonly deleted: readonly string[];
  }): Promise<CycleReport> {
    return this.#run('webhook', async (run, counted) => {
      const { hubspot: hs, store } = this.#o;
      const deleted = [...new Set(changes.deleted)];
      const linked = deleted.length ? await store.linksByHubSpotIds(deleted) : [];
      if (linked.length) {
        // A contact restored since the deletion (same id) keeps its link.
        const back = new Set(
          (
            await hs.byIds(
              linked.map((l) => l.hsContactId),
              ['email'],
            )
          ).map((c) => c.id),
        );
        await this.#endLinks(
          linked.map((l) => l.hsContactId).filter((id) => !back.has(id)),
          run.runId,
        );
      }
      const gone = new Set(deleted);
      const changed = [...new Set(changes.changed)].filter((id) => !gone.has(id));
      counted.hubspot += changed.length + deleted.length;
      if (changed.length) await this.#syncContacts(changed, 'hs_updated', run, false);
    });
  }

  /** D2: ends the links of HubSpot contacts deleted there; the audit log says why. */
  async #endLinks(hsContactIds: readonly string[], runId: string): Promise<void> {
    const { store, now } = this.#o;
    const links = await store.linksByHubSpotIds(hsContactIds);
    const why = decideHubSpotDelete().why;
    const at = now();
    for (const link of links) await store.endLink(link.hsContactId, why, at);
    if (links.length)
      await store.appendAudit(
        links.map((link) => ({
          at,
          runId,
          record: `hs:${link.hsContactId}`,
          system: 'hubspot' as const,
          field: 'link',
          oldValue: link.sfId,
          newValue: null,
          why,
        })),
      );
  }

  /**
   * Reconciliation: every linked contact is compared with its Salesforce record against the values
   * both last agreed, as if both sides had just changed, 100 at a time (one HubSpot batch read and a
   * Salesforce query or two each). What a missed change left out of sync is repaired, by the mapping
   * rules and the segment (G1), and each repair is reported. Records whose error waits (E2) are
   * compared too.
   */
  async reconcile(): Promise<CycleReport & { readonly repairs: readonly Repair[] }> {
    const repairs: Repair[] = [];
    const report = await this.#run('reconcile', async (run, counted) => {
      const { store } = this.#o;
      run.counts.repairs = repairs;
      let after = '';
      for (;;) {
        const ids = await store.linkedContactIds(after, 100);
        if (ids.length === 0) return;
        after = ids[ids.length - 1]!;
        const found = await this.#syncContacts(ids, 'hs_updated', run);
        counted.hubspot += found.length;
        if (run.paused) return;
        // A linked contact HubSpot no longer has was deleted there (D2): its link ends now.
        const missing = ids.filter((id) => !found.includes(id));
        if (missing.length) await this.#endLinks(missing, run.runId);
      }
    });
    this.#o.onEvent?.({ type: 'reconciled', runId: report.runId, repairs });
    return { ...report, repairs };
  }

  /**
   * T1, G3: a manual resync — one contact (by email or HubSpot id), or every member of a segment — is
   * a full sync: values a new mapping would not otherwise backfill move too (F7). A manual resync is
   * always allowed, whatever the contact's errors wait for (E2).
   */
  resync(
    target: { readonly email: string } | { readonly hsContactId: string } | { readonly segmentId: string },
  ): Promise<CycleReport> {
    return this.#run('resync', async (run, changes) => {
      const { hubspot: hs } = this.#o;
      let found: string[] = [];
      if ('segmentId' in target) {
        run.members = await hs.listMembers(target.segmentId);
        found = await this.#syncContacts([...run.members.keys()], 'segment_resync', run);
      } else {
        const ids =
          'hsContactId' in target
            ? [target.hsContactId]
            : (await hs.byEmails([target.email], ['email'])).map((c) => c.id);
        if (ids.length) found = await this.#syncContacts(ids, 'record_resync', run);
      }
      changes.hubspot += found.length;
    });
  }

  /**
   * T3: imports Salesforce leads and/or contacts modified since `since` (epoch ms; all when 0): each
   * gets a HubSpot contact (linked, never duplicated), and those in scope a full sync. Poll cursors do
   * not move; an interrupted import simply runs again (linked records plan to nothing).
   */
  importFromSalesforce(options: {
    readonly objects: readonly SfPersonObject[];
    readonly since?: number;
  }): Promise<CycleReport> {
    return this.#run('import', async (run, changes) => {
      const { salesforce: sf } = this.#o;
      let records = 0;
      for (const object of options.objects) records += await sf.countSince(object, options.since ?? 0);
      try {
        this.#hubspotEmails = await this.#allHubSpotEmails(records);
        // K2: every campaign membership at once (2,000 a page) when that is fewer calls than asking
        // for the memberships of each page's records (200 ids a query).
        const memberships = await sf.countCampaignMembers();
        if (Math.ceil(memberships / 2000) <= Math.ceil(records / 200))
          this.#campaignMembers = await sf.allCampaignMembers();
        await this.#importObjects(run, changes, options);
      } finally {
        this.#hubspotEmails = null;
        this.#campaignMembers = null;
      }
    });
  }

  /**
   * T3: every email in HubSpot, when reading them all costs fewer calls than reading, per batch of
   * 100 imported records, the contacts that share their emails: a search page holds 200 contacts, so
   * that is while HubSpot has fewer than twice as many contacts as the import has records. The read
   * stops (null: read per batch) once it passes that. Emails added during the import join the set.
   */
  async #allHubSpotEmails(records: number): Promise<Set<string> | null> {
    const { hubspot: hs } = this.#o;
    const emails = new Set<string>();
    let read = 0;
    for await (const page of hs.changedSince(0, ['email'])) {
      read += page.length;
      if (read > 2 * records) return null;
      for (const { contact } of page) {
        const key = emailKey(contact.properties.email);
        if (key) emails.add(key);
      }
    }
    return emails;
  }

  async #importObjects(
    run: RunState,
    changes: { salesforce: number; hubspot: number },
    options: { readonly objects: readonly SfPersonObject[]; readonly since?: number },
  ): Promise<void> {
    for (const object of options.objects) {
      changes.salesforce += await this.#syncSalesforce(
        object,
        options.since ?? 0,
        false,
        run,
        () => 'import',
        () => Promise.resolve(),
      );
      if (run.paused) return;
    }
  }

  async #startRun(runId: string, counts: Counts): Promise<RunState> {
    const callsAtStart = this.#o.salesforce.calls;
    const ctx = await this.#planContext();
    const members =
      ctx.settings.segmentId === null ? null : await this.#o.hubspot.listMembers(ctx.settings.segmentId);
    const run: RunState = { runId, callsAtStart, ctx, members, counts, paused: null };
    await this.#retriesAllowed(run);
    return run;
  }

  /** Records the calls made since `calls0` (B1). */
  async #recordCalls(calls0: {
    salesforce: number;
    hubspot: number;
  }): Promise<{ salesforce: number; hubspot: number }> {
    const { salesforce: sf, hubspot: hs, store, now } = this.#o;
    const made = { salesforce: sf.calls - calls0.salesforce, hubspot: hs.calls - calls0.hubspot };
    await store.recordApiCalls('salesforce', made.salesforce, now());
    await store.recordApiCalls('hubspot', made.hubspot, now());
    return made;
  }

  async #finishRun(
    run: Pick<RunState, 'runId' | 'counts' | 'paused'>,
    startedAt: number,
    calls0: { salesforce: number; hubspot: number },
    changes: CycleReport['changes'],
  ): Promise<CycleReport> {
    const { salesforce: sf, store, now } = this.#o;
    const finishedAt = now();
    const callsMade = await this.#recordCalls(calls0);
    // B1: the org's own count, as its last answer gave it, for `crosswalk usage`.
    const org = sf.lastKnownLimits();
    if (org) await store.setCursor(ORG_USAGE, JSON.stringify({ ...org, at: finishedAt }));
    const { counts } = run;
    const report: CycleReport = {
      runId: run.runId,
      startedAt,
      finishedAt,
      changes,
      planned: counts.planned,
      synced: counts.synced,
      skipped: counts.skipped,
      failed: counts.failed,
      written: { salesforce: counts.sfWritten, hubspot: counts.hsWritten },
      calls: callsMade,
      paused: run.paused,
    };
    this.#o.onEvent?.({ type: 'cycle_finished', report });
    return report;
  }

  /** Reads Salesforce changes of `object` from `from` page by page, and syncs each page. Returns the records read. */
  async #syncSalesforce(
    object: SfPersonObject,
    from: number,
    includeDeleted: boolean,
    run: RunState,
    triggerOf: (record: SfRecord, link: Link | null) => Trigger,
    afterPage: (page: readonly SfChange[]) => Promise<void>,
    /** Whether a change still needs processing (a re-read of the overlap does not: PollCursor). */
    fresh: (change: SfChange) => boolean = () => true,
  ): Promise<number> {
    const { salesforce: sf, store } = this.#o;
    let read = 0;
    for await (const page of sf.changedSince(object, from, sfFieldsFor(run.ctx, object), {
      includeDeleted,
    })) {
      const changes = page.filter(fresh);
      if (changes.length > 0) {
        read += changes.length;
        this.#o.onEvent?.({ type: 'batch', source: 'salesforce', records: changes.length });
        const links = await store.linksBySalesforceIds(changes.map((c) => c.record.id));
        const linkBySf = new Map(links.map((l) => [l.sfId, l]));
        const units: Unit[] = changes.map(({ record }) => {
          const link = linkBySf.get(record.id) ?? null;
          return {
            key: link ? `hs:${link.hsContactId}` : `sf:${record.id}`,
            trigger: triggerOf(record, link),
            hubspot: null,
            link,
            sfRecordId: record.id,
          };
        });
        await this.#syncUnits(
          units,
          run.ctx,
          run.members,
          run.runId,
          run.counts,
          changes.map((c) => c.record),
        );
      }
      if (page.length === 0) continue;
      await afterPage(page);
      if (await this.#pausing(run)) break;
    }
    return read;
  }

  /** Gathers the inputs of a batch of units, plans them and carries the plans out. */
  async #syncUnits(
    allUnits: Unit[],
    ctx: PlanContext,
    members: ReadonlyMap<string, number> | null,
    runId: string,
    counts: Counts,
    known: readonly SfRecord[],
    retrying = false,
  ): Promise<void> {
    const { salesforce: sf, hubspot: hs, store, now } = this.#o;
    // One unit per contact: a contact changed on both sides in one batch is planned once. A HubSpot
    // change that leaves every mapped value as both sides agreed it (our own write coming back, or an
    // unmapped property: F10) has nothing to give: it is not planned, which saves the Salesforce reads.
    const unique = [...new Map(allUnits.map((u) => [u.key, u])).values()].filter(
      (u) => retrying || u.trigger !== 'hs_updated' || !agreedAsIs(u, ctx),
    );
    // E2: a record with an error waits for its retry, unless it changed since the error was seen.
    const pending = new Map<string, { nextAttempt: number; lastSeen: number }>();
    const keyOf = (u: Unit) =>
      u.hubspot ? `hs:${u.hubspot.id}` : u.link ? `hs:${u.link.hsContactId}` : `sf:${u.sfRecordId ?? ''}`;
    const keys = unique.flatMap((u) => [keyOf(u), `sf:${u.sfRecordId ?? ''}`]);
    if (!retrying)
      for (const e of await store.errors({ records: keys })) {
        const p = pending.get(e.record);
        pending.set(e.record, {
          nextAttempt: Math.min(p?.nextAttempt ?? Infinity, e.nextAttempt),
          lastSeen: Math.max(p?.lastSeen ?? 0, e.lastSeen),
        });
      }
    const at = now();
    const knownById = new Map(known.map((r) => [r.id, r]));
    let units = unique.filter((u) => {
      const wait = pending.get(keyOf(u)) ?? pending.get(`sf:${u.sfRecordId ?? ''}`);
      if (!wait || (wait.nextAttempt <= at && this.#retrying)) return true;
      if (u.hubspot) return Math.max(0, ...Object.values(u.hubspot.changedAt)) > wait.lastSeen;
      // Salesforce keeps whole seconds: a change in the second of the error counts, unless it is ours.
      const record = knownById.get(u.sfRecordId ?? '');
      if (!record || record.lastModifiedById === ctx.integrationUserId) return false;
      return record.modifiedAt >= Math.floor(wait.lastSeen / 1000) * 1000;
    });
    if (units.length === 0) return;
    const sfById = new Map(known.map((r) => [r.id, r]));

    // Linked HubSpot contacts of Salesforce changes, and linked Salesforce records of HubSpot changes.
    const hsIds = units.filter((u) => u.link && !u.hubspot).map((u) => u.link!.hsContactId);
    const props = hsPropertiesFor(ctx);
    const history = historyFor(ctx);
    const hsById = new Map((hsIds.length ? await hs.byIds(hsIds, props, history) : []).map((c) => [c.id, c]));
    for (const u of units) if (u.link && !u.hubspot) u.hubspot = hsById.get(u.link.hsContactId) ?? null;
    // D2: a linked contact that is gone was deleted in HubSpot. The link ends now, and the Salesforce
    // change that found it out is planned as the record's own: by C2 it may bring the contact back.
    const gone = units.filter((u) => u.link && !u.hubspot && u.sfRecordId);
    if (gone.length) {
      await this.#endLinks(
        gone.map((u) => u.link!.hsContactId),
        runId,
      );
      for (const u of gone) u.link = null;
    }

    const missingSf = units.filter((u) => u.link && !sfById.has(u.link.sfId)).map((u) => u.link!.sfId);
    const fields = sfFieldsOfBoth(ctx);
    if (missingSf.length) for (const r of await sf.byIds(missingSf, fields)) sfById.set(r.id, r);

    // Every Salesforce record sharing an email (M1, M2, M4, M7), and the HubSpot contact with the email of an unlinked record (M8).
    // Records sharing an email matter to a contact that is not linked yet (M1, M7, M8), to a change of
    // another record than the linked one (M2, M4), to a linked record converted, merged or deleted
    // (M4, M5, D3), and to full syncs. A change of the linked record itself, on either side, needs
    // none: a new record with the same email arrives as a Salesforce change of its own.
    const matchesByEmail = (u: Unit): boolean => {
      if (!u.link || (u.sfRecordId !== null && u.sfRecordId !== u.link.sfId)) return true;
      if (u.trigger !== 'hs_updated' && u.trigger !== 'sf_updated') return true;
      const linked = sfById.get(u.link.sfId);
      return !linked || linked.isDeleted || linked.isConverted || linked.masterRecordId !== null;
    };
    const emails = new Set<string>();
    for (const u of units) {
      if (!matchesByEmail(u)) continue;
      const email = u.hubspot
        ? emailKey(u.hubspot.properties.email)
        : emailKey(sfById.get(u.sfRecordId ?? '')?.email);
      if (email) emails.add(email);
      const linked = u.link ? sfById.get(u.link.sfId) : undefined;
      const linkedEmail = emailKey(linked?.email);
      if (linkedEmail) emails.add(linkedEmail);
    }
    // An import reads every lead and contact anyway (contacts first, so M2's order holds): records
    // sharing an email meet through the HubSpot contact they both match, without a query per email.
    const importing = units.every((u) => u.trigger === 'import');
    if (emails.size && !importing)
      for (const r of await sf.byEmails([...emails], fields)) sfById.set(r.id, r);
    // Conversion and merge targets (M5, D3).
    const targets = [...sfById.values()]
      .flatMap((r) => [r.convertedContactId, r.masterRecordId])
      .filter((id): id is string => id !== null && !sfById.has(id));
    if (targets.length) for (const r of await sf.byIds(targets, fields)) sfById.set(r.id, r);

    // An import that knows every email in HubSpot reads only the contacts that exist (T3).
    const inHubSpot = importing ? this.#hubspotEmails : null;
    const unlinkedEmails = units
      .filter((u) => !u.link && !u.hubspot)
      .map((u) => sfById.get(u.sfRecordId ?? '')?.email?.trim())
      .filter(
        (e): e is string =>
          !!e && emailKey(e) !== null && (inHubSpot === null || inHubSpot.has(emailKey(e)!)),
      );
    const hsByEmail = new Map<string, HsContact>();
    if (unlinkedEmails.length)
      // A contact found by email is linked for the first time: nothing is agreed yet, and `updatedAt`
      // dates its values well enough (history costs a call per 50 instead of per 100).
      for (const c of await hs.byEmails([...new Set(unlinkedEmails)], props))
        hsByEmail.set(emailKey(c.properties.email)!, c);
    // Links of everything gathered (records linked to other contacts: M8; contacts found by email).
    const sfLinks = await store.linksBySalesforceIds([...sfById.keys()]);
    const linkedTo = new Map(sfLinks.map((l) => [l.sfId, l.hsContactId]));
    for (const [id, r] of sfById) sfById.set(id, { ...r, linkedHsContactId: linkedTo.get(id) ?? null });
    for (const u of units) {
      if (u.link || u.hubspot) continue;
      const found = hsByEmail.get(emailKey(sfById.get(u.sfRecordId ?? '')?.email) ?? '');
      if (found) {
        u.hubspot = found;
        u.link = await store.linkByHubSpotId(found.id);
      }
    }
    // Two records of one batch may lead to one contact: it is planned once (M2, M4 pick the record).
    const planOnce = new Set<string>();
    units = units.filter((u) => {
      if (!u.hubspot) return true;
      if (planOnce.has(u.hubspot.id)) return false;
      planOnce.add(u.hubspot.id);
      return true;
    });
    // Records linked to the contacts just found by email (a lead whose contact was imported before it).
    const linkedLate = units
      .map((u) => u.link?.sfId)
      .filter((id): id is string => id !== undefined && !sfById.has(id));
    if (linkedLate.length)
      for (const r of await sf.byIds([...new Set(linkedLate)], fields))
        sfById.set(r.id, {
          ...r,
          linkedHsContactId: units.find((u) => u.link?.sfId === r.id)?.link?.hsContactId ?? null,
        });
    const byEmail = new Map<string, SfRecord[]>();
    for (const r of sfById.values()) {
      const key = emailKey(r.email);
      if (key) byEmail.set(key, [...(byEmail.get(key) ?? []), r]);
    }
    const all = importing ? this.#campaignMembers : null;
    const campaigns = all
      ? new Map([...sfById.keys()].map((id) => [id, all.get(id) ?? []]))
      : await sf.campaignMembers([...sfById.keys()]);
    if (ctx.settings.accountSync) {
      // K1 looks at the accounts of records that can sync now: those of units in the segment (or new,
      // C3), and live ones only. A record's own, its link's, and those sharing its email (M2, M4).
      const candidates = new Map<string, SfRecord>();
      for (const u of units) {
        const inScope = members === null || !u.hubspot || members.has(u.hubspot.id);
        if (!inScope) continue;
        const own = [sfById.get(u.sfRecordId ?? ''), sfById.get(u.link?.sfId ?? '')];
        const keys = [emailKey(u.hubspot?.properties.email), ...own.map((r) => emailKey(r?.email))];
        for (const r of [...own, ...keys.flatMap((k) => (k ? (byEmail.get(k) ?? []) : []))])
          if (r && !r.isDeleted) candidates.set(r.id, r);
      }
      await this.#companies(units, [...candidates.values()], ctx, runId);
    }

    const planned: { unit: Unit; plan: SyncPlan; input: PlanInput }[] = [];
    for (const unit of units) {
      const related = new Map<string, SfRecord>();
      const add = (r: SfRecord | undefined) => {
        if (r && !related.has(r.id)) related.set(r.id, r);
      };
      add(sfById.get(unit.link?.sfId ?? ''));
      add(sfById.get(unit.sfRecordId ?? ''));
      for (const key of [
        emailKey(unit.hubspot?.properties.email),
        ...[...related.values()].map((r) => emailKey(r.email)),
      ])
        for (const r of key ? (byEmail.get(key) ?? []) : []) add(r);
      for (const r of [...related.values()]) {
        add(sfById.get(r.convertedContactId ?? ''));
        add(sfById.get(r.masterRecordId ?? ''));
      }
      const endedLinkWhy = unit.sfRecordId && !unit.link ? await store.endedLinkWhy(unit.sfRecordId) : null;
      const input: PlanInput = {
        trigger: unit.trigger,
        hubspot: unit.hubspot,
        link: unit.link,
        salesforce: [...related.values()],
        sfRecordId: unit.sfRecordId,
        isMember: members === null || (unit.hubspot !== null && members.has(unit.hubspot.id)),
        campaigns,
        ...(endedLinkWhy ? { endedLinkWhy } : {}),
      };
      planned.push({ unit, plan: planSync(input, ctx), input });
    }
    counts.planned += planned.length;
    await this.#carryOut(planned, runId, counts);
  }

  /**
   * K1, before planning a batch: each HubSpot contact's primary company, and the company of every
   * account involved, matched by `salesforceaccountid` (never by domain). An account with no company
   * gets one first, so the contact's primary company can be set in the same run.
   */
  async #companies(
    units: Unit[],
    records: readonly SfRecord[],
    ctx: PlanContext,
    runId: string,
  ): Promise<void> {
    const { salesforce: sf, hubspot: hs, store, now } = this.#o;
    const companyOf = ctx.companyOfAccount as Map<string, string>;
    const accountOf = ctx.accountOfCompany as Map<string, string>;
    // Companies this engine created: search lags behind creates in HubSpot, so they are not looked up again.
    for (const [account, company] of this.#createdCompanies) {
      companyOf.set(account, company);
      accountOf.set(company, account);
    }
    const learn = (companies: readonly HsCompanyRef[]) => {
      for (const c of companies) {
        if (c.salesforceAccountId === null) continue;
        accountOf.set(c.id, c.salesforceAccountId);
        // Two companies with one account id: the oldest is the account's (decideCompany).
        const known = companyOf.get(c.salesforceAccountId);
        if (known === undefined || Number(c.id) < Number(known)) companyOf.set(c.salesforceAccountId, c.id);
      }
    };

    const contactIds = units.flatMap((u) => (u.hubspot ? [u.hubspot.id] : []));
    const primaries = contactIds.length ? await hs.primaryCompanies(contactIds) : new Map<string, string>();
    for (const u of units)
      if (u.hubspot) u.hubspot = { ...u.hubspot, primaryCompanyId: primaries.get(u.hubspot.id) ?? null };
    const unknownCompanies = [...new Set(primaries.values())].filter((id) => !accountOf.has(id));
    if (unknownCompanies.length) learn(await hs.companiesByIds(unknownCompanies));

    const accounts = [
      ...new Set(
        records.flatMap((r) =>
          r.object === 'Contact' && typeof r.values.AccountId === 'string' && r.values.AccountId !== ''
            ? [r.values.AccountId]
            : [],
        ),
      ),
    ].filter((id) => !companyOf.has(id));
    if (accounts.length === 0) return;
    const companies = await hs.companiesByAccountIds(accounts);
    learn(companies);
    const missing = accounts.filter(
      (id) => decideCompany({ accountSync: true, sfAccountId: id, companies }).action === 'create',
    );
    if (missing.length === 0) return;
    const found = await sf.accounts(missing);
    const outcomes = await hs.createCompanies(
      found.map((a) => ({ name: a.name, domain: domainOf(a.website), salesforceAccountId: a.id })),
    );
    const at = now();
    const audit: AuditEntry[] = [];
    for (const [k, outcome] of outcomes.entries()) {
      const account = found[k]!;
      if (!outcome.ok) {
        const cls = classifyError({ system: 'hubspot', code: outcome.code });
        await this.#recordError(
          `account:${account.id}`,
          null,
          'to_hubspot',
          cls.category,
          outcome.code,
          outcome.message,
          cls.fix,
          at,
        );
        continue;
      }
      companyOf.set(account.id, outcome.id);
      accountOf.set(outcome.id, account.id);
      this.#createdCompanies.set(account.id, outcome.id);
      await store.clearErrors(`account:${account.id}`);
      audit.push({
        at,
        runId,
        record: `company:${outcome.id}`,
        system: 'hubspot',
        field: 'salesforceaccountid',
        oldValue: null,
        newValue: account.id,
        why: 'no HubSpot company had this salesforceaccountid: created for the account (K1)',
      });
    }
    if (audit.length) await store.appendAudit(audit);
  }

  /** Writes the plans in batches, then stores links, snapshots, errors, audit and explanations. */
  async #carryOut(
    planned: readonly { unit: Unit; plan: SyncPlan; input: PlanInput }[],
    runId: string,
    counts: Counts,
  ): Promise<void> {
    const { salesforce: sf, hubspot: hs, store, now } = this.#o;

    const failures = new Map<
      number,
      { direction: 'to_hubspot' | 'to_salesforce'; outcome: WriteOutcome }[]
    >();
    const fail = (i: number, direction: 'to_hubspot' | 'to_salesforce', outcome: WriteOutcome) => {
      if (!outcome.ok) failures.set(i, [...(failures.get(i) ?? []), { direction, outcome }]);
    };
    const sfCreated = new Map<number, string>();
    const hsCreated = new Map<number, string>();

    // 1. Salesforce creates, then updates, per object (collections of 200).
    for (const object of OBJECTS) {
      const creates = planned.flatMap((p, i) => (p.plan.salesforce.create?.object === object ? [i] : []));
      if (creates.length) {
        const outcomes = await sf.create(
          object,
          creates.map((i) => planned[i]!.plan.salesforce.create!.values),
        );
        outcomes.forEach((o, k) =>
          o.ok ? sfCreated.set(creates[k]!, o.id) : fail(creates[k]!, 'to_salesforce', o),
        );
        counts.sfWritten += outcomes.filter((o) => o.ok).length;
      }
      const updates = planned.flatMap((p, i) => (p.plan.salesforce.update?.object === object ? [i] : []));
      if (updates.length) {
        const outcomes = await sf.update(
          object,
          updates.map((i) => ({
            Id: planned[i]!.plan.salesforce.update!.id,
            ...planned[i]!.plan.salesforce.update!.values,
          })),
        );
        outcomes.forEach((o, k) => fail(updates[k]!, 'to_salesforce', o));
        counts.sfWritten += outcomes.filter((o) => o.ok).length;
      }
    }

    // 2. HubSpot creates (upsert by email: a retry cannot duplicate), then updates (with new Salesforce ids: M3).
    const creates = planned.flatMap((p, i) => (p.plan.hubspot.create ? [i] : []));
    if (creates.length) {
      const outcomes = await hs.upsertByEmail(
        creates.map((i) => {
          const properties = planned[i]!.plan.hubspot.create!.properties;
          return { email: properties.email ?? '', properties };
        }),
      );
      outcomes.forEach((o, k) =>
        o.ok ? hsCreated.set(creates[k]!, o.id) : fail(creates[k]!, 'to_hubspot', o),
      );
      for (const i of hsCreated.keys())
        this.#hubspotEmails?.add(emailKey(planned[i]!.plan.hubspot.create!.properties.email)!);
      counts.hsWritten += outcomes.filter((o) => o.ok).length;
    }
    const hsUpdates: { i: number; id: string; properties: Record<string, string> }[] = [];
    planned.forEach((p, i) => {
      if (failures.has(i)) return;
      const properties: Record<string, string> = { ...(p.plan.hubspot.update?.properties ?? {}) };
      const link = p.plan.link;
      if (link.action === 'create' && link.sfId === null && sfCreated.has(i))
        properties[link.idProperty] = sfCreated.get(i)!;
      const id = p.plan.hubspot.update?.id ?? hsCreated.get(i) ?? p.unit.hubspot?.id;
      if (id && Object.keys(properties).length) hsUpdates.push({ i, id, properties });
    });
    if (hsUpdates.length) {
      const outcomes = await hs.update(hsUpdates.map(({ id, properties }) => ({ id, properties })));
      outcomes.forEach((o, k) => fail(hsUpdates[k]!.i, 'to_hubspot', o));
      counts.hsWritten += outcomes.filter((o) => o.ok).length;
    }
    // 3. Opt-outs (O1) in batches; primary companies (K1) and deletes (D1), one call each.
    const unsubscribes = planned.flatMap((p, i) => {
      const email = p.plan.hubspot.create?.properties.email ?? p.unit.hubspot?.properties.email;
      return p.plan.hubspot.unsubscribe && email && !failures.has(i) ? [{ i, email }] : [];
    });
    if (unsubscribes.length) {
      const outcomes = await hs.unsubscribeAllMany(unsubscribes.map((u) => u.email));
      outcomes.forEach((o, k) => fail(unsubscribes[k]!.i, 'to_hubspot', o));
    }
    for (const [i, p] of planned.entries()) {
      if (failures.has(i)) continue;
      const contactId = p.unit.hubspot?.id ?? hsCreated.get(i);
      if (p.plan.hubspot.primaryCompanyId && contactId)
        fail(i, 'to_hubspot', await hs.setPrimaryCompany(contactId, p.plan.hubspot.primaryCompanyId));
      if (p.plan.hubspot.deleteId) fail(i, 'to_hubspot', await hs.archive(p.plan.hubspot.deleteId));
    }

    // After the writes: our own writes coming back in the next poll are older than this (E2, F10).
    const at = now();
    // 4. The store: links and snapshots for what succeeded, errors for what did not, the audit log, explanations.
    const audit: AuditEntry[] = [];
    for (const [i, { unit, plan, input }] of planned.entries()) {
      const hsId = plan.hubspot.update?.id ?? hsCreated.get(i) ?? unit.hubspot?.id ?? null;
      const record = hsId ? `hs:${hsId}` : `sf:${unit.sfRecordId ?? ''}`;
      const email =
        unit.hubspot?.properties.email ??
        input.salesforce.find((r) => r.id === unit.sfRecordId)?.email ??
        null;
      const failed = failures.get(i) ?? [];
      if (plan.outcome === 'skipped') counts.skipped++;
      for (const f of failed) {
        if (f.outcome.ok) continue;
        const system = f.direction === 'to_salesforce' ? 'salesforce' : 'hubspot';
        const cls = classifyError({ system, code: f.outcome.code });
        await this.#recordError(
          record,
          email,
          f.direction,
          cls.category,
          f.outcome.code,
          f.outcome.message,
          cls.fix,
          at,
        );
      }
      // Every write went through: the snapshot is stored, even when some fields failed in the plan
      // itself (their old agreed values stay in it), so what did agree is not decided again (F7, F9).
      const succeeded =
        failed.length === 0 &&
        (plan.outcome === 'synced' ||
          plan.outcome === 'link_ended' ||
          (plan.outcome === 'failed' && plan.snapshot !== null));
      for (const e of plan.errors)
        await this.#recordError(record, email, e.direction, e.category, e.code, e.message, e.fix, at);
      // Success clears the record's errors, except those this plan met again (they keep counting).
      if (succeeded) {
        await store.clearErrors(record, plan.errors);
        // The same record may have failed under its Salesforce key before it had a HubSpot contact.
        for (const id of new Set([unit.sfRecordId, unit.link?.sfId]))
          if (id && `sf:${id}` !== record) await store.clearErrors(`sf:${id}`);
      } else if (plan.outcome === 'skipped' && failed.length === 0 && plan.errors.length === 0) {
        // Nothing to do for the record any more (out of scope, no email…): old errors no longer apply.
        await store.clearErrors(record);
      }
      if (counts.repairs && failed.length === 0 && planWrites(plan) > 0)
        counts.repairs.push({
          hsContactId: hsId,
          email: email?.trim().toLowerCase() ?? null,
          salesforce: Object.keys(plan.salesforce.update?.values ?? plan.salesforce.create?.values ?? {}),
          hubspot: Object.keys(plan.hubspot.update?.properties ?? plan.hubspot.create?.properties ?? {}),
        });
      if (failed.length > 0 || plan.outcome === 'failed') counts.failed++;
      else if (plan.outcome === 'synced') counts.synced++;
      if (succeeded) {
        await this.#storeLink(plan, unit, hsId, sfCreated.get(i) ?? null, at);
        audit.push(...auditOf(plan, unit, input, hsId, sfCreated.get(i) ?? null, runId, at));
      }
      if (plan.outcome !== 'skipped' || unit.hubspot) {
        await store.saveExplanation({
          hsContactId: hsId,
          sfId: plan.salesforce.update?.id ?? sfCreated.get(i) ?? unit.link?.sfId ?? null,
          email: email?.trim().toLowerCase() ?? null,
          at,
          outcome: failed.length ? 'failed' : plan.outcome,
          why: plan.why,
          fields: plan.fields,
        });
      }
    }
    if (audit.length) await store.appendAudit(audit);
  }

  async #recordError(
    record: string,
    email: string | null,
    direction: 'to_hubspot' | 'to_salesforce',
    category: Parameters<StateStore['recordError']>[0]['category'],
    code: string,
    message: string,
    fix: string,
    at: number,
  ): Promise<void> {
    const existing = (await this.#o.store.errors({ records: [record] })).find(
      (e) => e.record === record && e.direction === direction && e.code === code,
    );
    await this.#o.store.recordError({
      record,
      email,
      direction,
      category,
      code,
      message,
      fix,
      lastSeen: at,
      nextAttempt: nextAttemptAt((existing?.attempts ?? 0) + 1, at),
    });
  }

  async #storeLink(
    plan: SyncPlan,
    unit: Unit,
    hsId: string | null,
    createdSfId: string | null,
    at: number,
  ): Promise<void> {
    const { store } = this.#o;
    const change = plan.link;
    if (change.action === 'end') {
      if (unit.link) await store.endLink(unit.link.hsContactId, change.why, at);
      return;
    }
    if (!plan.snapshot || !hsId) return;
    if (change.action === 'create') {
      const sfId = change.sfId ?? createdSfId;
      if (!sfId) return;
      await store.saveLink({
        hsContactId: hsId,
        sfObject: change.sfObject,
        sfId,
        snapshot: plan.snapshot,
        lastSyncedAt: at,
      });
    } else if (change.action === 'move' || change.action === 'keep') {
      const link = unit.link!;
      const moved = change.action === 'move' ? { sfObject: change.sfObject, sfId: change.sfId } : {};
      if (planWrites(plan) === 0 && change.action === 'keep' && sameSnapshot(link, plan)) return;
      await store.saveLink({ ...link, ...moved, snapshot: plan.snapshot, lastSyncedAt: at });
    }
  }
}

/**
 * F10: whether a HubSpot contact holds exactly what both sides last agreed: every synced mapping,
 * the opt-out and the link's id. Then a HubSpot change has nothing to give (Salesforce's own changes
 * come through its poll). Account sync reads associations this cannot see, so it never says so then.
 */
function agreedAsIs(unit: Unit, ctx: PlanContext): boolean {
  const contact = unit.hubspot;
  const link = unit.link;
  if (!contact || !link || ctx.settings.accountSync) return false;
  const { snapshot } = link;
  if (contact.optedOut !== (snapshot.optOut ?? false)) return false;
  const idProperty = link.sfObject === 'Lead' ? 'salesforceleadid' : 'salesforcecontactid';
  if (contact.properties[idProperty] !== link.sfId) return false;
  for (const m of ctx.mappings) {
    if (m.rule === 'none' || !m.objects.includes(link.sfObject)) continue;
    const agreed = snapshot.values[m.hsProperty];
    if (typeof agreed !== 'string' || (contact.properties[m.hsProperty] ?? '') !== agreed) return false;
  }
  return true;
}

/** K1: a company's domain from an account's website (`https://www.acme.com/x` → `acme.com`), or null. */
function domainOf(website: string | null): string | null {
  if (!website) return null;
  try {
    const host = new URL(/^[a-z]+:\/\//i.test(website) ? website : `https://${website}`).hostname;
    return host.replace(/^www\./i, '') || null;
  } catch {
    return null;
  }
}

function sameSnapshot(link: Link, plan: SyncPlan): boolean {
  return JSON.stringify(link.snapshot) === JSON.stringify(plan.snapshot);
}

/** The Salesforce fields a poll reads for `object`: the mapped ones (the connector adds the system fields). */
export function sfFieldsFor(ctx: PlanContext, object: SfPersonObject): string[] {
  const fields = ctx.sfFields[object];
  return [
    ...new Set(ctx.mappings.filter((m) => m.rule !== 'none' && fields.has(m.sfField)).map((m) => m.sfField)),
  ];
}

/** The mapped fields of Lead and Contact together (a batch reads records of both by id or email). */
function sfFieldsOfBoth(ctx: PlanContext): string[] {
  return [...new Set([...sfFieldsFor(ctx, 'Lead'), ...sfFieldsFor(ctx, 'Contact')])];
}

/** F9: the HubSpot properties whose change times matter (Two-way mappings): read with their history. */
function historyFor(ctx: PlanContext): string[] {
  return ctx.mappings.filter((m) => m.rule === 'two_way').map((m) => m.hsProperty);
}

/** The HubSpot properties a poll reads: the mapped ones and those the rules need. */
export function hsPropertiesFor(ctx: PlanContext): string[] {
  return [
    ...new Set([
      'email',
      OPT_OUT_PROPERTY,
      ...LINK_PROPERTIES,
      ...ctx.mappings.filter((m) => m.rule !== 'none').map((m) => m.hsProperty),
    ]),
  ];
}

function auditOf(
  plan: SyncPlan,
  unit: Unit,
  input: PlanInput,
  hsId: string | null,
  createdSfId: string | null,
  runId: string,
  at: number,
): AuditEntry[] {
  const out: AuditEntry[] = [];
  const why = new Map(plan.fields.map((f) => [f.hsProperty, f.why]));
  const bySf = new Map(plan.fields.map((f) => [f.sfField, f.why]));
  const hsRecord = `hs:${hsId ?? ''}`;
  const hsProps = { ...(plan.hubspot.create?.properties ?? {}), ...(plan.hubspot.update?.properties ?? {}) };
  for (const [field, value] of Object.entries(hsProps)) {
    out.push({
      at,
      runId,
      record: hsRecord,
      system: 'hubspot',
      field,
      oldValue: unit.hubspot?.properties[field] ?? null,
      newValue: value,
      why: why.get(field) ?? (plan.hubspot.create ? 'created (M8)' : 'link ids (M3)'),
    });
  }
  const sfWrite = plan.salesforce.update ?? plan.salesforce.create;
  const sfId = plan.salesforce.update?.id ?? createdSfId;
  const before = plan.salesforce.update ? input.salesforce.find((r) => r.id === sfId) : undefined;
  for (const [field, value] of Object.entries(sfWrite?.values ?? {})) {
    out.push({
      at,
      runId,
      record: `sf:${sfId ?? ''}`,
      system: 'salesforce',
      field,
      oldValue: stringOf(before?.values[field]),
      newValue: stringOf(value),
      why: bySf.get(field) ?? (plan.salesforce.create ? 'created (C1)' : 'written'),
    });
  }
  if (plan.link.action !== 'keep' && plan.link.action !== 'none') {
    out.push({
      at,
      runId,
      record: hsRecord,
      system: 'hubspot',
      field: 'link',
      oldValue: unit.link?.sfId ?? null,
      newValue: plan.link.action === 'end' ? null : (plan.link.sfId ?? createdSfId),
      // D2: a contact that comes back says why its old link ended.
      why:
        input.endedLinkWhy && plan.link.action === 'create'
          ? `${plan.link.why}; the contact comes back: ${input.endedLinkWhy}`
          : plan.link.why,
    });
  }
  return out;
}

function stringOf(value: SfValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}
