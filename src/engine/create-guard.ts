/**
 * The create guard (M1, M7; K1 for companies): belt and braces beside the writer lease, and what
 * workers sharing a store will rely on. Before a batch creates Salesforce records, the intent to
 * create each email is recorded in the store (`claimCreates`). An email another writer is creating
 * right now (a fresh intent) is not created here: the plan fails with the transient
 * `CREATE_IN_PROGRESS` and its next try matches the record by email. An intent left by a writer that
 * died mid-create (stale) means the record may exist: Salesforce is searched again by email, and only
 * an email still unknown there is created. Intents are released once the creates are done.
 */
import { emailKey } from '../core/matching.ts';
import { sfFieldsOfBoth } from '../core/mappings.ts';
import type { WriteFailure, Planned } from './carry-out.ts';
import type { EngineDeps } from './deps.ts';
import type { Run } from './run.ts';

/** How long an intent to create stands for a writer at work (a create takes seconds). */
export const FRESH_INTENT_MS = 2 * 60_000;

/** The store target of a Salesforce create for an email, and of a HubSpot company for an account. */
export const createTarget = (email: string): string => `salesforce:${email}`;
export const companyTarget = (accountId: string): string => `company:${accountId}`;

export interface GuardedCreates {
  /** Plans whose Salesforce create must not run now, with why. */
  readonly refused: ReadonlyMap<number, WriteFailure>;
  /** The targets this writer claimed: release them once the creates are done. */
  readonly claimed: readonly string[];
}

function inProgress(message: string): WriteFailure {
  return {
    direction: 'to_salesforce',
    outcome: { ok: false, code: 'CREATE_IN_PROGRESS', message, fields: [] },
  };
}

/** Claims the emails of a batch's Salesforce creates; see the file header. */
export async function guardCreates(
  deps: EngineDeps,
  run: Run,
  planned: readonly Planned[],
): Promise<GuardedCreates> {
  const targetOf = new Map<number, string>();
  for (const [i, p] of planned.entries()) {
    const email = emailKey(
      typeof p.plan.salesforce.create?.values.Email === 'string'
        ? p.plan.salesforce.create.values.Email
        : null,
    );
    if (p.plan.salesforce.create && email) targetOf.set(i, createTarget(email));
  }
  if (targetOf.size === 0) return { refused: new Map(), claimed: [] };
  const now = deps.now();
  const targets = [...new Set(targetOf.values())];
  const owner = deps.memory.writerId;
  const { held, stale } = await deps.store.claimCreates(targets, owner, now, now - FRESH_INTENT_MS);
  const heldSet = new Set(held);
  const refused = new Map<number, WriteFailure>();
  // A stale intent: its writer may have created the record before it died. Search again.
  let exists = new Set<string>();
  if (stale.length > 0) {
    const emails = stale.map((t) => t.slice('salesforce:'.length));
    const found = await deps.salesforce.byEmails(emails, sfFieldsOfBoth(run.ctx));
    // Only a live record counts: a converted lead holds nobody's place (M5).
    const live = found.filter((r) => !r.isDeleted && !r.isConverted);
    exists = new Set(live.flatMap((r) => (emailKey(r.email) ? [createTarget(emailKey(r.email)!)] : [])));
  }
  for (const [i, target] of targetOf) {
    if (heldSet.has(target))
      refused.set(i, inProgress('another Crosswalk writer is creating a record with this email right now'));
    else if (exists.has(target))
      refused.set(i, inProgress('a record with this email was created meanwhile: the next try links it'));
  }
  return { refused, claimed: targets.filter((t) => !heldSet.has(t)) };
}

/** Releases what `guardCreates` claimed. */
export async function releaseCreates(deps: EngineDeps, guarded: GuardedCreates): Promise<void> {
  await deps.store.releaseCreates(guarded.claimed, deps.memory.writerId);
}
