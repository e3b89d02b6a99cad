/**
 * Matching and links (SPEC M1–M8, D3): which Salesforce lead or contact a HubSpot contact is, or
 * becomes, linked to. Pure functions over the records both systems hold for one email.
 */
import { fail, ok, type Result, type SfPersonObject } from './model.ts';
import type { Link, SfPerson } from './records.ts';
import type { Trigger } from './scope.ts';

/** SPEC M1: emails compare trimmed and case-insensitively. */
export function emailKey(email: string | null | undefined): string | null {
  const key = email?.trim().toLowerCase() ?? '';
  return key === '' ? null : key;
}

/** SPEC M6: a record without an email is skipped (counted, with the reason), never an error. */
export const SKIP_NO_EMAIL = {
  code: 'no_email',
  reason: 'The record has no email address, and email is the only key for a first link (M1).',
} as const;

/** A record that can be linked: live, and not a converted lead (M5). */
function linkable(person: SfPerson): boolean {
  return !person.isDeleted && !(person.object === 'Lead' && person.isConverted);
}

/** Contact before Lead, then the oldest CreatedDate, then the lowest id (a stable tie-break). */
function firstLinkOrder(a: SfPerson, b: SfPerson): number {
  if (a.object !== b.object) return a.object === 'Contact' ? -1 : 1;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * SPEC M1 + M2: the record a HubSpot contact with `email` is first linked to, among the Salesforce
 * records given: those with the same email (M1), a Contact before a Lead, then the oldest. Undefined
 * when none matches.
 */
export function firstLink<T extends SfPerson>(email: string | null, candidates: readonly T[]): T | undefined {
  const key = emailKey(email);
  if (key === null) return undefined;
  return candidates.filter((c) => linkable(c) && emailKey(c.email) === key).sort(firstLinkOrder)[0];
}

/** SPEC M3: the HubSpot property that carries the id of the linked Salesforce record. */
export function idPropertyOf(object: SfPersonObject): 'salesforceleadid' | 'salesforcecontactid' {
  return object === 'Lead' ? 'salesforceleadid' : 'salesforcecontactid';
}

/**
 * M1–M5, D3: whether planning a unit needs every Salesforce record sharing its email (and its linked
 * record's). A contact not linked yet does (M1, M2, M7, M8), and so does a change of another record
 * than the linked one (M2, M4), any trigger but an update (creations, joins, resyncs, imports: full
 * syncs), and a linked record that is missing, deleted, converted or merged (M4, M5, D3). An update of
 * the linked record itself, on either side, needs none: a new record with the same email arrives as
 * a Salesforce change of its own. `linked` is the linked record as read, if it was.
 */
export function needsEmailMatch(
  unit: { readonly link: Link | null; readonly sfRecordId: string | null; readonly trigger: Trigger },
  linked: SfPerson | undefined,
): boolean {
  const { link, sfRecordId, trigger } = unit;
  if (!link || (sfRecordId !== null && sfRecordId !== link.sfId)) return true;
  if (trigger !== 'hs_updated' && trigger !== 'sf_updated') return true;
  return !linked || linked.isDeleted || linked.isConverted || linked.masterRecordId !== null;
}

/** Why a link moved, for the audit log and `explain` (V1). */
export const linkMoves = ['converted', 'merged', 'hopped'] as const;
export type LinkMove = (typeof linkMoves)[number];

export interface LinkTarget {
  readonly record: SfPerson;
  /** Set when the link moved away from the record it had. */
  readonly moved?: { readonly from: string; readonly because: LinkMove };
}

/**
 * Where an existing link points now (M3–M5, D3). The link follows the Salesforce id (M3), except that
 * it moves from a converted lead to its contact (M5), from a merged-away record to its master (D3),
 * and, when several records share the linked email, to the most recently modified of them (M4).
 * `records` are the Salesforce records known for the link: the linked one, records sharing its email,
 * and conversion or merge targets. Fails when the linked record is gone with nowhere to go.
 */
export function currentLink(
  linkedId: string,
  records: readonly SfPerson[],
  /**
   * Only a record modified after this instant (the link's last sync, epoch ms) can take the link over
   * (inferred: otherwise M4 would undo M2's first pick at once; the link hops when another record changes).
   */
  hopAfter = -Infinity,
): Result<LinkTarget> {
  const byId = new Map(records.map((r) => [r.id, r]));
  let record = byId.get(linkedId);
  let moved: LinkTarget['moved'];
  // Conversions and merges can chain (a lead converted into a contact later merged away): follow them.
  for (let hops = 0; record && hops < 10; hops++) {
    const next =
      record.object === 'Lead' && record.isConverted && record.convertedContactId
        ? { id: record.convertedContactId, because: 'converted' as const }
        : record.isDeleted && record.masterRecordId
          ? { id: record.masterRecordId, because: 'merged' as const }
          : undefined;
    if (!next) break;
    moved = { from: linkedId, because: next.because };
    record = byId.get(next.id);
  }
  if (!record) {
    return fail(
      'linked_record_missing',
      `The Salesforce record ${linkedId} this contact was linked to (or the record it became) was not found.`,
      'Resync the contact: it will be matched again by email.',
    );
  }
  if (record.isDeleted) {
    return fail(
      'linked_record_deleted',
      `The Salesforce record ${record.id} this contact is linked to was deleted.`,
      'Restore it in Salesforce, or resync the contact to link it again by email.',
    );
  }
  // M4: the link hops to the most recently modified record sharing the linked email.
  const key = emailKey(record.email);
  if (key !== null) {
    let newest = record;
    for (const r of records) {
      if (!linkable(r) || emailKey(r.email) !== key || (r !== record && r.modifiedAt <= hopAfter)) continue;
      // Strictly newer than the linked record; between two others equally new, the lower id.
      const newer =
        r.modifiedAt > newest.modifiedAt ||
        (newest !== record && r.modifiedAt === newest.modifiedAt && r.id < newest.id);
      if (newer) newest = r;
    }
    if (newest !== record)
      return ok({ record: newest, moved: { from: moved?.from ?? record.id, because: 'hopped' } });
  }
  return ok(moved ? { record, moved } : { record });
}

/**
 * SPEC M5: when no live record has `email` (M1) but a converted lead does, the live contact it was
 * converted into is the record to link (the link would have moved there had it existed, M5).
 * `candidates` must hold the conversion targets too. Undefined when the contact is deleted or
 * missing: a converted lead is history, never written again, so it holds nobody's place (inferred:
 * M7 keeps a create from duplicating a *live* record; the person is created again, C4).
 */
export function convertedSuccessor<T extends SfPerson>(
  email: string | null,
  candidates: readonly T[],
): { readonly lead: T; readonly contact: T } | undefined {
  const key = emailKey(email);
  if (key === null) return undefined;
  const found: { lead: T; contact: T }[] = [];
  for (const lead of candidates) {
    if (lead.object !== 'Lead' || !lead.isConverted || lead.isDeleted || emailKey(lead.email) !== key)
      continue;
    // The contact may have been merged away since (D3): follow the chain to a live record.
    const now = currentLink(lead.id, candidates);
    if (now.ok) found.push({ lead, contact: now.value.record as T });
  }
  return found.sort((a, b) => firstLinkOrder(a.contact, b.contact))[0];
}

/** SPEC C1: what a contact created from HubSpot becomes in Salesforce. */
export const createAsValues = ['lead', 'contact'] as const;
export type CreateAs = (typeof createAsValues)[number];

/** SPEC C1 (inferred): the value a required field gets when HubSpot has none. */
export const UNKNOWN_VALUE = '[[unknown]]';

export type SalesforceCreateDecision =
  | { readonly action: 'skip'; readonly code: string; readonly why: string }
  | { readonly action: 'link'; readonly record: SfPerson; readonly why: string }
  | {
      readonly action: 'create';
      readonly object: SfPersonObject;
      /** Required fields HubSpot had no value for, filled with `UNKNOWN_VALUE`. */
      readonly filled: Readonly<Record<string, string>>;
      readonly why: string;
    };

/**
 * SPEC M7 + C1: a HubSpot contact with no link is about to go to Salesforce. If any Salesforce lead
 * or contact has its email, link to it instead of creating (M2 picks which); otherwise create a lead
 * (default) or a contact, never both, filling required fields HubSpot has no value for.
 */
export function decideSalesforceCreate(input: {
  readonly email: string | null;
  /** The values bound for Salesforce, by field API name (after mapping and conversion). */
  readonly values: Readonly<Record<string, unknown>>;
  readonly createAs: CreateAs;
  /** Salesforce leads and contacts found with this email (any case), and what converted leads became (M5). */
  readonly sameEmail: readonly SfPerson[];
}): SalesforceCreateDecision {
  if (emailKey(input.email) === null)
    return { action: 'skip', code: SKIP_NO_EMAIL.code, why: SKIP_NO_EMAIL.reason };
  const match = firstLink(input.email, input.sameEmail);
  if (match)
    return {
      action: 'link',
      record: match,
      why: `a Salesforce ${match.object} already has this email: linked, not created (M7)`,
    };
  // A converted lead with the email hands over to the contact it became (M5), even when that
  // contact's email changed since; a contact deleted since leaves nothing live to link (below).
  const successor = convertedSuccessor(input.email, input.sameEmail);
  if (successor)
    return {
      action: 'link',
      record: successor.contact,
      why: `the lead ${successor.lead.id} with this email was converted into contact ${successor.contact.id}: linked to it, not created (M5, M7)`,
    };
  const object: SfPersonObject = input.createAs === 'lead' ? 'Lead' : 'Contact';
  const required = object === 'Lead' ? ['LastName', 'Company'] : ['LastName'];
  const filled: Record<string, string> = {};
  for (const field of required) {
    const value = input.values[field];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
      filled[field] = UNKNOWN_VALUE;
  }
  return {
    action: 'create',
    object,
    filled,
    why: `no Salesforce lead or contact has this email: created as a ${object} (C1)`,
  };
}

export type HubSpotCreateDecision =
  | { readonly action: 'skip'; readonly code: string; readonly why: string }
  | { readonly action: 'create'; readonly why: string }
  | { readonly action: 'link'; readonly hsContactId: string; readonly why: string }
  | {
      readonly action: 'error';
      readonly code: 'email_in_use';
      readonly category: 'duplicates';
      readonly message: string;
      readonly fix: string;
    };

/**
 * SPEC M8: a Salesforce record with no link is about to go to HubSpot. Never create a contact when one
 * has the email: link to it — unless it is linked to a different Salesforce record, which is a
 * Duplicates error "Email already in use".
 */
export function decideHubSpotCreate(input: {
  readonly sfRecordId: string;
  readonly email: string | null;
  /** The HubSpot contact with this email, and the Salesforce id it is linked to, if any. */
  readonly existing: { readonly id: string; readonly linkedSfId: string | null } | undefined;
}): HubSpotCreateDecision {
  if (emailKey(input.email) === null)
    return { action: 'skip', code: SKIP_NO_EMAIL.code, why: SKIP_NO_EMAIL.reason };
  const { existing } = input;
  if (!existing) return { action: 'create', why: 'no HubSpot contact has this email: created (M8)' };
  if (existing.linkedSfId === null || existing.linkedSfId === input.sfRecordId) {
    return {
      action: 'link',
      hsContactId: existing.id,
      why: 'a HubSpot contact already has this email: linked, not created (M8)',
    };
  }
  return {
    action: 'error',
    code: 'email_in_use',
    category: 'duplicates',
    message: `Email already in use: HubSpot contact ${existing.id} has this email and is linked to Salesforce record ${existing.linkedSfId}, not ${input.sfRecordId}.`,
    fix: 'Merge the duplicate Salesforce records, or give one of them another email.',
  };
}
