/**
 * K1, before planning a batch: each HubSpot contact's primary company, and the company of every
 * account involved, matched by `salesforceaccountid` (never by domain). An account with no company
 * gets one first, so the contact's primary company can be set in the same run. What is learnt goes
 * into the run's plan context (`companyOfAccount`, `accountOfCompany`).
 *
 * HubSpot's search lags behind creates, so the companies Crosswalk created are remembered in the store
 * (`rememberCreatedCompanies`), not in the process: the next process (`sync --once` from cron) finds
 * them there and never creates a second company for the account.
 */
import { decideCompany, domainOf } from '../core/accounts.ts';
import { classifyError } from '../core/errors.ts';
import { emailKey } from '../core/matching.ts';
import { accountKey, companyKey, type HsCompanyRef, type SfRecord } from '../core/records.ts';
import type { AuditEntry } from '../store/state-store.ts';
import type { EngineDeps } from './deps.ts';
import type { Gathered } from './gather.ts';
import { companyTarget, FRESH_INTENT_MS } from './create-guard.ts';
import { recordError } from './record-outcomes.ts';
import type { Run } from './run.ts';

/**
 * How long a company Crosswalk created is taken from the store instead of searched for (K1). HubSpot's
 * search indexes writes in seconds; past this window search is trusted again, so a company deleted in
 * HubSpot since is not associated forever.
 */
export const SEARCH_LAG_ALLOWANCE_MS = 10 * 60_000;

/**
 * The live records whose accounts K1 looks at: those of units that can sync now (in the segment, or
 * new: C3) — a record's own, its link's, and those sharing its email (M2, M4).
 */
function accountCandidates(run: Run, g: Gathered): SfRecord[] {
  const candidates = new Map<string, SfRecord>();
  for (const u of g.units) {
    const inScope = run.members === null || !u.hubspot || run.members.has(u.hubspot.id);
    if (!inScope) continue;
    const own = [g.sfById.get(u.sfRecordId ?? ''), g.sfById.get(u.link?.sfId ?? '')];
    const keys = [emailKey(u.hubspot?.properties.email), ...own.map((r) => emailKey(r?.email))];
    for (const r of [...own, ...keys.flatMap((k) => (k ? (g.byEmail.get(k) ?? []) : []))])
      if (r && !r.isDeleted) candidates.set(r.id, r);
  }
  return [...candidates.values()];
}

/** The account ids of contacts among `records`, without repeats. */
function accountsOf(records: readonly SfRecord[]): string[] {
  const ids = new Set<string>();
  for (const r of records)
    if (r.object === 'Contact' && typeof r.values.AccountId === 'string' && r.values.AccountId !== '')
      ids.add(r.values.AccountId);
  return [...ids];
}

/** K1 for a gathered batch (account sync on): see the file header. */
export async function syncCompanies(deps: EngineDeps, run: Run, g: Gathered): Promise<void> {
  const { hubspot: hs, store, now } = deps;
  const companyOf = run.ctx.companyOfAccount as Map<string, string>;
  const accountOf = run.ctx.accountOfCompany as Map<string, string>;
  const learn = (companies: readonly HsCompanyRef[]) => {
    for (const c of companies) {
      if (c.salesforceAccountId === null) continue;
      accountOf.set(c.id, c.salesforceAccountId);
      // Two companies with one account id: the oldest is the account's (decideCompany).
      const known = companyOf.get(c.salesforceAccountId);
      if (known === undefined || Number(c.id) < Number(known)) companyOf.set(c.salesforceAccountId, c.id);
    }
  };
  /** Learns the companies Crosswalk created lately for `accountIds`: search may not see them yet. */
  const learnCreated = async (accountIds: readonly string[]) => {
    const created = await store.createdCompanies(accountIds, now() - SEARCH_LAG_ALLOWANCE_MS);
    for (const [account, company] of created) {
      companyOf.set(account, company);
      accountOf.set(company, account);
    }
  };
  const records = accountCandidates(run, g);
  // Before any search, and with the accounts links last synced (a contact that moved account still
  // has the old account's company as its primary), so a company created lately is not looked up.
  const lastSynced = g.units.flatMap((u) => (u.link?.snapshot.accountId ? [u.link.snapshot.accountId] : []));
  await learnCreated([...new Set([...accountsOf(records), ...lastSynced])]);

  const contactIds = g.units.flatMap((u) => (u.hubspot ? [u.hubspot.id] : []));
  const primaries = contactIds.length ? await hs.primaryCompanies(contactIds) : new Map<string, string>();
  for (const u of g.units)
    if (u.hubspot) u.hubspot = { ...u.hubspot, primaryCompanyId: primaries.get(u.hubspot.id) ?? null };
  const unknownCompanies = [...new Set(primaries.values())].filter((id) => !accountOf.has(id));
  if (unknownCompanies.length) learn(await hs.companiesByIds(unknownCompanies));

  const accounts = accountsOf(records).filter((id) => !companyOf.has(id));
  if (accounts.length === 0) return;
  const companies = await hs.companiesByAccountIds(accounts);
  learn(companies);
  const missing = accounts.filter(
    (id) => decideCompany({ accountSync: true, sfAccountId: id, companies }).action === 'create',
  );
  if (missing.length === 0) return;
  // The create guard (K1): a company another writer is creating now is not created twice; an
  // intent its writer left behind means searching again.
  const owner = deps.memory.writerId;
  const claimedAt = now();
  const claim = await store.claimCreates(
    missing.map(companyTarget),
    owner,
    claimedAt,
    claimedAt - FRESH_INTENT_MS,
  );
  const held = new Set(claim.held);
  const ours = missing.filter((id) => !held.has(companyTarget(id)));
  // Another writer may have created one since this one searched (its intent released, or stale): the
  // store says so even while search lags. A stale intent whose company the store does not know means
  // its writer may have died between creating and remembering: search again.
  await learnCreated(ours);
  const staleTargets = new Set(claim.stale);
  const stale = ours.filter((id) => staleTargets.has(companyTarget(id)) && !companyOf.has(id));
  if (stale.length) learn(await hs.companiesByAccountIds(stale));
  const toCreate = ours.filter((id) => !companyOf.has(id));
  const claimed = ours.map(companyTarget);
  try {
    await createCompanies(deps, run, toCreate);
  } finally {
    await store.releaseCreates(claimed, owner);
  }
}

/** K1: creates a company for each account (found in Salesforce), learning and remembering each pair. */
async function createCompanies(deps: EngineDeps, run: Run, accountIds: readonly string[]): Promise<void> {
  if (accountIds.length === 0) return;
  const { salesforce: sf, hubspot: hs, store, now } = deps;
  const companyOf = run.ctx.companyOfAccount as Map<string, string>;
  const accountOf = run.ctx.accountOfCompany as Map<string, string>;
  const found = await sf.accounts(accountIds);
  const outcomes = await hs.createCompanies(
    found.map((a) => ({ name: a.name, domain: domainOf(a.website), salesforceAccountId: a.id })),
  );
  const at = now();
  // Remembered before anything else: the next run (or process) must not create them again.
  const created = outcomes.flatMap((outcome, k) =>
    outcome.ok ? [{ accountId: found[k]!.id, companyId: outcome.id }] : [],
  );
  if (created.length) await store.rememberCreatedCompanies(created, at, at - SEARCH_LAG_ALLOWANCE_MS);
  const audit: AuditEntry[] = [];
  for (const [k, outcome] of outcomes.entries()) {
    const account = found[k]!;
    if (!outcome.ok) {
      const cls = classifyError({ system: 'hubspot', code: outcome.code });
      await recordError(deps, {
        record: accountKey(account.id),
        email: null,
        direction: 'to_hubspot',
        category: cls.category,
        code: outcome.code,
        message: outcome.message,
        fix: cls.fix,
        at,
      });
      continue;
    }
    companyOf.set(account.id, outcome.id);
    accountOf.set(outcome.id, account.id);
    await store.clearErrors(accountKey(account.id));
    audit.push({
      at,
      runId: run.id,
      record: companyKey(outcome.id),
      system: 'hubspot',
      field: 'salesforceaccountid',
      oldValue: null,
      newValue: account.id,
      why: 'no HubSpot company had this salesforceaccountid: created for the account (K1)',
    });
  }
  if (audit.length) await store.appendAudit(audit);
}
