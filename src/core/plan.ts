/**
 * Planning: every rule of SPEC.md composed into one `SyncPlan` for one HubSpot contact and the
 * Salesforce lead or contact it is (or becomes) linked to. The engine gathers the input, calls
 * `planSync`, carries the plan out and stores the new snapshot; nothing here does I/O.
 *
 * Terms (docs/glossary.md): the **pairing** is the HubSpot contact and the Salesforce record a plan
 * syncs; either side may be missing before the plan (it then creates it). The **snapshot** holds, per
 * mapped HubSpot property, the value both systems last agreed on, in HubSpot's form; `null` means the
 * mapping is known but nothing was agreed yet, and an absent property means the mapping is newer than
 * the contact's last sync (F7).
 */
import { decidePrimaryCompany } from './accounts.ts';
import { CAMPAIGNS_PROPERTY, campaignsValue } from './campaigns.ts';
import { sameValue, toHubSpot, toSalesforce } from './convert.ts';
import { decideHubSpotDelete, decideSalesforceDelete } from './deletes.ts';
import { mappingsFor, OPT_OUT } from './mappings.ts';
import {
  currentLink,
  decideHubSpotCreate,
  decideSalesforceCreate,
  emailKey,
  firstLink,
  SKIP_NO_EMAIL,
  UNKNOWN_VALUE,
} from './matching.ts';
import { syncRuleLabels, type HsProperty, type Mapping, type SfField, type SfPersonObject } from './model.ts';
import { decideOptOut } from './opt-out.ts';
import { ownerToHubSpot, ownerToSalesforce } from './owner.ts';
import { decideField, type FieldDecision } from './rules.ts';
import { decideScope, type Scope } from './scope.ts';
import type { HsContact, Link, SfRecord, SfValue, Snapshot } from './records.ts';
import {
  planWrites,
  type FieldReport,
  type LinkChange,
  type PlanContext,
  type PlanError,
  type PlanInput,
  type Skip,
  type SyncPlan,
} from './sync-plan.ts';

const OWNER = { hsProperty: 'hubspot_owner_id', sfField: 'OwnerId' } as const;
const idPropertyOf = (object: SfPersonObject) =>
  object === 'Lead' ? 'salesforceleadid' : 'salesforcecontactid';

/** A mapping with the metadata of both ends, resolved once per context and object. */
interface BoundMapping {
  readonly mapping: Mapping;
  readonly property: HsProperty | undefined;
  readonly field: SfField | undefined;
  readonly same: (a: string, b: string) => boolean;
}

const bound = new WeakMap<PlanContext, Record<SfPersonObject, readonly BoundMapping[]>>();

function boundMappings(ctx: PlanContext, object: SfPersonObject): readonly BoundMapping[] {
  let cached = bound.get(ctx);
  if (!cached) {
    const bind = (o: SfPersonObject) =>
      mappingsFor(ctx.mappings, o).map((mapping): BoundMapping => {
        const property = ctx.hsProperties.get(mapping.hsProperty);
        return {
          mapping,
          property,
          field: ctx.sfFields[o].get(mapping.sfField),
          same: property ? (a, b) => sameValue(property, a, b) : (a, b) => a === b,
        };
      });
    cached = { Lead: bind('Lead'), Contact: bind('Contact') };
    bound.set(ctx, cached);
  }
  return cached[object];
}

const text = (v: string | undefined) => v ?? '';

/** A plan under construction. */
class Builder {
  hsCreate: Record<string, string> | null = null;
  hsUpdate: Record<string, string> = {};
  unsubscribe = false;
  primaryCompanyId: string | null = null;
  deleteId: string | null = null;
  sfCreate: { object: SfPersonObject; values: Record<string, SfValue> } | null = null;
  sfUpdate: Record<string, SfValue> = {};
  link: LinkChange = { action: 'none' };
  snapshot: Snapshot | null = null;
  readonly fields: FieldReport[] = [];
  readonly skips: Skip[] = [];
  readonly errors: PlanError[] = [];

  done(outcome: SyncPlan['outcome'], why: string, hsId: string | null, sfTarget: SfRecord | null): SyncPlan {
    const hasUpdate = Object.keys(this.hsUpdate).length > 0 && hsId !== null;
    const sfUpdate = sfTarget !== null && Object.keys(this.sfUpdate).length > 0;
    return {
      outcome,
      why,
      hubspot: {
        create: this.hsCreate ? { properties: this.hsCreate } : null,
        update: hasUpdate ? { id: hsId, properties: this.hsUpdate } : null,
        unsubscribe: this.unsubscribe,
        primaryCompanyId: this.primaryCompanyId,
        deleteId: this.deleteId,
      },
      salesforce: {
        create: this.sfCreate,
        update: sfUpdate ? { object: sfTarget.object, id: sfTarget.id, values: this.sfUpdate } : null,
      },
      link: this.link,
      snapshot: this.snapshot,
      fields: this.fields,
      skips: this.skips,
      errors: this.errors,
    };
  }
}

/** Plans the sync of one contact. See the file header and docs/rules.md for the rules it applies. */
export function planSync(input: PlanInput, ctx: PlanContext): SyncPlan {
  const b = new Builder();
  const { link, hubspot } = input;
  const settings = ctx.settings;
  const inSegment = settings.segmentId === null || input.isMember;

  // D2: the linked HubSpot contact is gone. Salesforce keeps its record; the link ends.
  if (link && !hubspot) {
    const why = decideHubSpotDelete().why;
    b.link = { action: 'end', why };
    return b.done('link_ended', why, null, null);
  }

  // Which Salesforce record the contact is (or becomes) linked to.
  let target: SfRecord | null = null;
  if (link) {
    // A record linked to another contact is never taken over (M4 with M8: one record, one contact).
    const candidates = input.salesforce.filter(
      (r) => r.linkedHsContactId === null || r.linkedHsContactId === link.hsContactId || r.id === link.sfId,
    );
    const found = currentLink(link.sfId, candidates, link.lastSyncedAt);
    if (!found.ok) {
      const deleted = input.salesforce.find((r) => r.id === link.sfId && r.isDeleted);
      if (deleted && found.problem.code === 'linked_record_deleted') {
        // D1 (a merge would have moved the link: D3). Deletes reach HubSpot only for contacts in scope.
        const decision = decideSalesforceDelete(settings.sfDeletes[deleted.object]);
        const act = decision.action === 'delete_hubspot' && inSegment;
        if (act) b.deleteId = link.hsContactId;
        const why =
          act || decision.action === 'none'
            ? decision.why
            : `${decision.why}; not in the segment, so kept (G1)`;
        b.link = { action: 'end', why };
        return b.done('link_ended', why, null, null);
      }
      b.errors.push({ direction: 'to_salesforce', category: 'associations', ...found.problem });
      return b.done('failed', found.problem.message, null, null);
    }
    target = found.value.record as SfRecord;
    const moved = found.value.moved;
    if (moved) {
      const why =
        moved.because === 'converted'
          ? `the lead ${moved.from} was converted: the link moves to contact ${target.id} (M5)`
          : moved.because === 'merged'
            ? `${moved.from} was merged into ${target.id}: the link moves to the master (D3)`
            : `${target.id} is the most recently modified record with this email: the link hops to it (M4)`;
      b.link = {
        action: 'move',
        from: link.sfId,
        sfObject: target.object,
        sfId: target.id,
        because: moved.because,
        why,
      };
    } else b.link = { action: 'keep' };
  }

  // A trigger from Salesforce names a record; it may not be the one the contact is linked to.
  const origin =
    input.sfRecordId === null ? undefined : input.salesforce.find((r) => r.id === input.sfRecordId);
  if (input.sfRecordId !== null && !origin) {
    b.skips.push({ code: 'record_not_found', why: `Salesforce record ${input.sfRecordId} was not found.` });
    return b.done('skipped', 'the Salesforce record was not found', null, null);
  }
  if (origin && !link) {
    if (origin.isDeleted) {
      b.skips.push({
        code: 'deleted',
        why: `Salesforce record ${origin.id} is deleted and was never linked.`,
      });
      return b.done('skipped', 'deleted in Salesforce', null, null);
    }
    if (emailKey(origin.email) === null) {
      b.skips.push({ code: SKIP_NO_EMAIL.code, why: SKIP_NO_EMAIL.reason });
      return b.done('skipped', SKIP_NO_EMAIL.reason, null, null);
    }
  }
  if (origin && target && origin.id !== target.id) {
    // M8: the contact with this email is linked to another record. Sharing that record's email is M2/M4
    // at work (the contact stays with one record); a different email means a duplicate.
    if (emailKey(origin.email) === emailKey(target.email)) {
      b.skips.push({
        code: 'shares_email',
        why: `Salesforce record ${origin.id} shares its email with ${target.id}, which the contact is linked to (M2, M4).`,
      });
    } else {
      const decision = decideHubSpotCreate({
        sfRecordId: origin.id,
        email: origin.email,
        existing: { id: link!.hsContactId, linkedSfId: target.id },
      });
      if (decision.action === 'error') {
        b.errors.push({
          direction: 'to_hubspot',
          category: decision.category,
          code: decision.code,
          message: decision.message,
          fix: decision.fix,
          sfRecordId: origin.id,
        });
      }
    }
  }

  const scope = decideScope({
    trigger: input.trigger,
    settings,
    isMember: input.isMember,
    linked: link !== null,
  });
  const why =
    input.endedLinkWhy && !link && !hubspot
      ? `${scope.why}; the contact comes back: ${input.endedLinkWhy}`
      : scope.why;
  if (!scope.sync) {
    b.skips.push({ code: 'out_of_scope', why: scope.why });
    if (link && target) reportAll(b, ctx, target.object, `skipped: ${scope.why}`);
    // Nothing flows, so nothing moves: the link (even one that would hop or follow a conversion) waits.
    b.link = link ? { action: 'keep' } : { action: 'none' };
    b.snapshot = link ? link.snapshot : null;
    return b.done('skipped', scope.why, null, null);
  }

  // A first link: by email, Contact before Lead, then the oldest (M1, M2).
  let createObject: SfPersonObject | null = null;
  if (!link) {
    if (!hubspot && !origin) {
      b.skips.push({
        code: 'nothing_to_sync',
        why: 'Neither a HubSpot contact nor a Salesforce record was given.',
      });
      return b.done('skipped', 'nothing to sync', null, null);
    }
    const email = hubspot ? text(hubspot.properties.email) : origin!.email;
    if (emailKey(email) === null) {
      b.skips.push({ code: SKIP_NO_EMAIL.code, why: SKIP_NO_EMAIL.reason });
      return b.done('skipped', SKIP_NO_EMAIL.reason, null, null);
    }
    const first = firstLink(email, input.salesforce) as SfRecord | undefined;
    if (first && first.linkedHsContactId !== null && first.linkedHsContactId !== hubspot?.id) {
      if (!hubspot) {
        b.skips.push({
          code: 'linked_elsewhere',
          why: `Salesforce record ${first.id} is linked to HubSpot contact ${first.linkedHsContactId}, and syncs with it.`,
        });
        return b.done('skipped', 'the record syncs with the HubSpot contact it is linked to', null, null);
      }
      b.errors.push({
        direction: 'to_salesforce',
        category: 'duplicates',
        code: 'email_in_use',
        message: `Email already in use: Salesforce ${first.object} ${first.id} has this email and is linked to HubSpot contact ${first.linkedHsContactId}, not ${hubspot.id}.`,
        fix: 'Merge the duplicate HubSpot contacts, or give one of them another email.',
      });
      return b.done('failed', 'Email already in use', null, null);
    }
    if (first) {
      target = first;
      if (origin && origin.id !== first.id) {
        b.skips.push({
          code: 'shares_email',
          why: `Salesforce record ${origin.id} shares its email with ${first.id}, which comes first (M2).`,
        });
      }
    } else if (hubspot) {
      if (!scope.toSalesforce) {
        b.skips.push({ code: 'out_of_scope', why: scope.why });
        return b.done('skipped', scope.why, null, null);
      }
      // M7 + C1: create in Salesforce (values are filled in by the field loop below).
      const decision = decideSalesforceCreate({
        email,
        values: {},
        createAs: settings.createAs,
        sameEmail: input.salesforce,
      });
      if (decision.action === 'skip') {
        b.skips.push({ code: decision.code, why: decision.why });
        return b.done('skipped', decision.why, null, null);
      }
      if (decision.action === 'create') createObject = decision.object;
    }
  }

  const object: SfPersonObject = target?.object ?? createObject ?? 'Lead';
  if (!hubspot) {
    // M8: no HubSpot contact has this email (the engine looked): create one.
    if (!target) {
      // Only a converted lead had the email: its contact is the record that syncs (M5).
      b.skips.push({
        code: 'converted_lead',
        why: `Salesforce lead ${origin!.id} is converted: its contact syncs instead (M5).`,
      });
      return b.done('skipped', 'a converted lead is never synced again (M5)', null, null);
    }
    const decision = decideHubSpotCreate({ sfRecordId: target.id, email: target.email, existing: undefined });
    if (decision.action !== 'create') {
      b.skips.push({ code: SKIP_NO_EMAIL.code, why: SKIP_NO_EMAIL.reason });
      return b.done('skipped', SKIP_NO_EMAIL.reason, null, null);
    }
    b.hsCreate = {};
  } else if (!target && createObject) {
    b.sfCreate = { object: createObject, values: {} };
  }
  if (!link) {
    b.link = {
      action: 'create',
      sfObject: object,
      sfId: target?.id ?? null,
      hsContactId: hubspot?.id ?? null,
      idProperty: idPropertyOf(object),
      why: hubspot
        ? target
          ? `a Salesforce ${object} has this email: linked (M1, M7)`
          : `no Salesforce lead or contact has this email: created as a ${object} (C1, M7)`
        : `no HubSpot contact has this email: created (M8)`,
    };
  }

  syncPairing(b, input, ctx, scope, { hubspot, target, object, link });

  const plan = b.done('synced', why, hubspot?.id ?? null, target);
  return b.errors.length > 0 && planWrites(plan) === 0 ? { ...plan, outcome: 'failed' } : plan;
}

/** A snapshot whose mapped values are known but not agreed (null): every mapping decides afresh. */
function forgetValues(snapshot: Snapshot): Snapshot {
  const values: Record<string, string | null> = {};
  for (const name of Object.keys(snapshot.values)) values[name] = null;
  return { ...snapshot, values, sfChangedAt: null };
}

/** Reports every mapping of `object` with one reason (a plan that syncs nothing still explains: V1). */
function reportAll(b: Builder, ctx: PlanContext, object: SfPersonObject, why: string): void {
  for (const { mapping } of boundMappings(ctx, object)) {
    b.fields.push({
      hsProperty: mapping.hsProperty,
      sfField: mapping.sfField,
      rule: mapping.rule,
      action: 'skipped',
      why,
    });
  }
}

interface Pairing {
  readonly hubspot: HsContact | null;
  readonly target: SfRecord | null;
  readonly object: SfPersonObject;
  readonly link: Link | null;
}

/** Writes a value bound for HubSpot into the create or the update. */
function toHs(b: Builder, property: string, value: string): void {
  if (b.hsCreate) {
    if (value !== '') b.hsCreate[property] = value;
  } else b.hsUpdate[property] = value;
}

function toSf(b: Builder, field: string, value: SfValue): void {
  if (b.sfCreate) {
    if (value !== null) b.sfCreate.values[field] = value;
  } else b.sfUpdate[field] = value;
}

/** What `decideMapping` needs of the pairing being planned. */
interface FieldContext {
  readonly b: Builder;
  readonly ctx: PlanContext;
  readonly scope: Scope;
  readonly object: SfPersonObject;
  readonly hsValues: Readonly<Record<string, string>>;
  readonly hsTimes: Readonly<Record<string, number>>;
  /** Salesforce values, updated with what the plan writes. */
  readonly sfValues: Record<string, SfValue>;
  readonly old: Snapshot | null;
  readonly lastSyncedAt: number;
  readonly sfChangedAt: number | null;
  readonly emailOnly: boolean;
}

/** `decideMapping` results besides a value: keep the old snapshot entry, or leave the mapping out. */
const KEEP = Symbol('keep');
const ABSENT = Symbol('absent');

function report(b: Builder, mapping: Mapping, action: FieldReport['action'], why: string): void {
  b.fields.push({
    hsProperty: mapping.hsProperty,
    sfField: mapping.sfField,
    rule: mapping.rule,
    action,
    why,
  });
}

/** One mapped field: decides, writes into the plan, reports why; returns the value agreed after. */
function decideMapping(f: FieldContext, bm: BoundMapping): string | null | typeof KEEP | typeof ABSENT {
  const { b, scope, object, old } = f;
  const { mapping, property, field } = bm;
  if (mapping.rule === 'none') {
    report(b, mapping, 'none', "not synced: Don't sync");
    return ABSENT;
  }
  if (!property || !field) {
    const missing = property
      ? `${object}.${mapping.sfField} does not exist`
      : `HubSpot property ${mapping.hsProperty} does not exist`;
    report(b, mapping, 'skipped', `skipped: ${missing}`);
    return KEEP;
  }
  if (f.emailOnly && mapping.hsProperty !== 'email') {
    report(b, mapping, 'skipped', 'skipped: imported with the email only, not in the segment (T3)');
    return KEEP;
  }
  const hs = text(f.hsValues[mapping.hsProperty]);
  const hsChangedAt = f.hsTimes[mapping.hsProperty] ?? null;
  let agreed: string | null = old === null ? null : (old.values[mapping.hsProperty] ?? null);
  if (old !== null && !(mapping.hsProperty in old.values) && !scope.full) {
    // F7: a mapping newer than the contact's last sync moves a value only once it changes.
    const changed =
      (hsChangedAt ?? -Infinity) > f.lastSyncedAt || (f.sfChangedAt ?? -Infinity) > f.lastSyncedAt;
    if (!changed) {
      report(
        b,
        mapping,
        'none',
        'not yet: the mapping is newer than the last sync; values move on the next change, a resync or an import (F7)',
      );
      return ABSENT;
    }
    agreed = null;
  }

  if (mapping.hsProperty === OWNER.hsProperty && mapping.sfField === OWNER.sfField)
    return decideOwner(f, mapping, hs, hsChangedAt, agreed);

  // Salesforce's value in HubSpot's form. The C1 placeholder is no value: it never reaches HubSpot.
  const raw = f.sfValues[mapping.sfField] ?? null;
  const asHs = raw === UNKNOWN_VALUE ? ({ ok: true, value: '' } as const) : toHubSpot(raw, field, property);
  const sf = asHs.ok ? asHs.value : String(raw);
  const decision: FieldDecision = decideField({
    rule: mapping.rule,
    hs,
    hsChangedAt,
    sf,
    sfChangedAt: f.sfChangedAt,
    agreed,
    same: bm.same,
  });

  if (decision.action === 'none') {
    report(b, mapping, 'none', decision.why);
    return decision.why === 'in sync' ? hs : agreed === null ? null : KEEP;
  }
  const allowed = decision.action === 'to_hubspot' ? scope.toHubSpot : scope.toSalesforce;
  if (!allowed) {
    report(b, mapping, 'skipped', `skipped: ${scope.why}`);
    return KEEP;
  }
  if (decision.action === 'to_hubspot') {
    if (!asHs.ok) {
      b.errors.push({
        direction: 'to_hubspot',
        category: 'property_value',
        ...asHs.problem,
        hsProperty: mapping.hsProperty,
      });
      report(b, mapping, 'error', asHs.problem.message);
      return KEEP;
    }
    toHs(b, mapping.hsProperty, decision.value);
    report(b, mapping, 'to_hubspot', decision.why);
    return decision.value;
  }
  // Emails compare trimmed (M1); Salesforce gets them trimmed too.
  const value = mapping.hsProperty === 'email' ? decision.value.trim() : decision.value;
  const converted = toSalesforce(value, property, field);
  const writable = b.sfCreate ? field.createable : field.updateable && !field.calculated;
  const required = converted.ok && converted.value === null && !field.nillable;
  if (!converted.ok || !writable || required) {
    const problem = !converted.ok
      ? converted.problem
      : required
        ? {
            code: 'property_value',
            message: `${object}.${field.name} is required in Salesforce and cannot be cleared.`,
            fix: `Give ${mapping.hsProperty} a value in HubSpot again, or set the mapping to "Prefer Salesforce unless blank".`,
          }
        : {
            code: 'sf_field_read_only',
            message: `${object}.${field.name} cannot be written.`,
            fix: 'Use "Always use Salesforce" or "Don\'t sync" for this mapping.',
          };
    b.errors.push({
      direction: 'to_salesforce',
      category: converted.ok && !required ? 'permissions' : 'property_value',
      ...problem,
      hsProperty: mapping.hsProperty,
    });
    report(b, mapping, 'error', problem.message);
    return KEEP;
  }
  toSf(b, mapping.sfField, converted.value);
  f.sfValues[mapping.sfField] = converted.value;
  report(b, mapping, 'to_salesforce', decision.why);
  return value;
}

/** The values, decisions and snapshot for a contact and its Salesforce record (either may be new). */
function syncPairing(b: Builder, input: PlanInput, ctx: PlanContext, scope: Scope, p: Pairing): void {
  const { hubspot, target, object, link } = p;
  const hsValues = hubspot?.properties ?? {};
  const hsTimes = hubspot?.changedAt ?? {};
  const sfValues: Record<string, SfValue> = { ...(target?.values ?? {}) };
  // After a hop or a merge the record is another one: nothing was agreed with it yet (a conversion
  // carries the lead's values over, so its snapshot still holds).
  const moved = b.link.action === 'move' && b.link.because !== 'converted';
  const old = link ? (moved ? forgetValues(link.snapshot) : link.snapshot) : null;
  const values: Record<string, string | null> = {};
  const lastSyncedAt = link?.lastSyncedAt ?? -Infinity;
  // F9: when the last change to the record was our own write, its values date from before it.
  const ours =
    target !== null && ctx.integrationUserId !== null && target.lastModifiedById === ctx.integrationUserId;
  const sfChangedAt =
    target === null ? null : ours && link?.sfId === target.id ? link.snapshot.sfChangedAt : target.modifiedAt;
  const emailOnly = input.trigger === 'import' && !scope.full;
  const settings = ctx.settings;
  const isContact = object === 'Contact';

  const state: FieldContext = {
    b,
    ctx,
    scope,
    object,
    hsValues,
    hsTimes,
    sfValues,
    old,
    lastSyncedAt,
    sfChangedAt,
    emailOnly,
  };
  for (const bm of boundMappings(ctx, object)) {
    const name = bm.mapping.hsProperty;
    const after = decideMapping(state, bm);
    if (after === KEEP) {
      const before = old?.values[name];
      if (before !== undefined) values[name] = before;
    } else if (after !== ABSENT) values[name] = after;
  }

  // K1, after the fields (so it sees the account they wrote): the account ⇄ the primary company.
  let accountId = old?.accountId ?? null;
  if (settings.accountSync && isContact && !emailOnly) {
    const before = sfValues.AccountId;
    accountId = decideAccount(b, ctx, scope, hubspot, sfValues, accountId);
    const idMapping = ctx.mappings.find((m) => m.sfField === 'AccountId' && m.rule !== 'none');
    if (sfValues.AccountId !== before && idMapping && typeof sfValues.AccountId === 'string') {
      // The company HubSpot chose moved the account: the Account ID property follows it, whatever the
      // field decision above wrote.
      const name = idMapping.hsProperty;
      if (text(hsValues[name]) !== sfValues.AccountId) toHs(b, name, sfValues.AccountId);
      else if (b.hsCreate) delete b.hsCreate[name];
      else delete b.hsUpdate[name];
      values[name] = sfValues.AccountId;
    }
  }

  // K2: campaigns, Salesforce → HubSpot only.
  if (target && scope.toHubSpot && !emailOnly) {
    const value = campaignsValue(input.campaigns.get(target.id) ?? []);
    if (value !== text(hsValues[CAMPAIGNS_PROPERTY])) {
      toHs(b, CAMPAIGNS_PROPERTY, value);
      b.fields.push({
        hsProperty: CAMPAIGNS_PROPERTY,
        sfField: 'CampaignMember',
        rule: 'special',
        action: 'to_hubspot',
        why: 'the Salesforce campaigns of the record (K2)',
      });
    }
  }

  // M3: the contact carries the id of its record; a converted lead's id stays (M5).
  if (target && scope.toHubSpot) {
    const idProperty = idPropertyOf(target.object);
    if (text(hsValues[idProperty]) !== target.id) toHs(b, idProperty, target.id);
  }

  // O1, O2: opt-out moves for contacts that are (or with this plan become) linked and are in scope.
  const optOut = decideOptOut({
    hsOptedOut: hubspot?.optedOut ?? false,
    sfOptedOut: sfValues[OPT_OUT.sfField] === true,
    agreed: old?.optOut ?? null,
    hasSynced: true,
    // O2 asks for the segment only: an opt-out moves even when C2 keeps other values from HubSpot.
    inScope: scope.toSalesforce && !emailOnly,
  });
  let agreedOptOut = old?.optOut ?? null;
  if (optOut.action === 'unsubscribe_hubspot') {
    b.unsubscribe = true;
    agreedOptOut = true;
  } else if (optOut.action === 'set_salesforce' || optOut.action === 'clear_salesforce') {
    toSf(b, OPT_OUT.sfField, optOut.action === 'set_salesforce');
    agreedOptOut = optOut.action === 'set_salesforce';
  } else if (optOut.why === 'in sync') agreedOptOut = hubspot?.optedOut ?? false;
  b.fields.push({
    hsProperty: OPT_OUT.hsProperty,
    sfField: OPT_OUT.sfField,
    rule: 'special',
    action:
      optOut.action === 'none'
        ? 'none'
        : optOut.action === 'unsubscribe_hubspot'
          ? 'to_hubspot'
          : 'to_salesforce',
    why: optOut.why,
  });

  // C1: a new record gets a placeholder for a required field HubSpot has no value for.
  if (b.sfCreate) {
    const decision = decideSalesforceCreate({
      email: text(hsValues.email),
      values: b.sfCreate.values,
      createAs: ctx.settings.createAs,
      sameEmail: [],
    });
    if (decision.action === 'create') Object.assign(b.sfCreate.values, decision.filled);
    b.sfCreate.values.Email ??= text(hsValues.email).trim();
  }
  if (b.hsCreate && target) {
    b.hsCreate.email ??= (target.email ?? '').trim();
    b.hsCreate[idPropertyOf(target.object)] = target.id;
  }

  b.snapshot = { values, optOut: agreedOptOut, accountId, sfChangedAt };
}

/**
 * K1: the contact's account ⇄ its primary company, moving by the Account ID mapping's rule (so that
 * "Prefer Salesforce unless blank" keeps a Salesforce account, and HubSpot's company goes back to it).
 * Updates `sfValues` with an account it writes; returns the account agreed after the plan.
 */
function decideAccount(
  b: Builder,
  ctx: PlanContext,
  scope: Scope,
  hubspot: HsContact | null,
  sfValues: Record<string, SfValue>,
  agreed: string | null,
): string | null {
  const sfAccount =
    typeof sfValues.AccountId === 'string' && sfValues.AccountId !== '' ? sfValues.AccountId : null;
  const rule = ctx.mappings.find((m) => m.sfField === 'AccountId')?.rule ?? 'two_way';
  const decision = decidePrimaryCompany({
    accountSync: true,
    sfAccountId: sfAccount,
    hsPrimaryCompanyId: hubspot?.primaryCompanyId ?? null,
    agreedAccountId: agreed,
    companyOfAccount: ctx.companyOfAccount,
    accountOfCompany: ctx.accountOfCompany,
  });
  const report = (action: FieldReport['action'], why: string) =>
    b.fields.push({ hsProperty: 'associations.company', sfField: 'AccountId', rule: 'special', action, why });
  const setPrimary = (companyId: string, why: string) => {
    if (!scope.toHubSpot) {
      report('skipped', `skipped: ${scope.why}`);
      return agreed;
    }
    b.primaryCompanyId = companyId;
    report('to_hubspot', why);
    return sfAccount;
  };
  switch (decision.action) {
    case 'none':
      report('none', decision.why);
      return decision.why === 'in sync' ? sfAccount : agreed;
    case 'set_primary':
      return setPrimary(decision.hsCompanyId, decision.why);
    case 'set_account': {
      const mayWrite =
        rule === 'two_way' || (rule === 'prefer_salesforce_unless_blank' && sfAccount === null);
      if (mayWrite && scope.toSalesforce) {
        toSf(b, 'AccountId', decision.sfAccountId);
        sfValues.AccountId = decision.sfAccountId;
        report('to_salesforce', decision.why);
        return decision.sfAccountId;
      }
      const company = sfAccount === null ? undefined : ctx.companyOfAccount.get(sfAccount);
      if (!mayWrite && company !== undefined)
        return setPrimary(company, `Salesforce's account wins: ${syncRuleLabels[rule]} (K1)`);
      report(
        'skipped',
        mayWrite ? `skipped: ${scope.why}` : `Salesforce keeps its account: ${syncRuleLabels[rule]} (K1)`,
      );
      return agreed;
    }
  }
}

/**
 * F6: the owner is Two-way and matched by email. Returns the value agreed after the plan (HubSpot form),
 * or undefined to keep the old one.
 */
function decideOwner(
  f: FieldContext,
  mapping: Mapping,
  hs: string,
  hsChangedAt: number | null,
  agreed: string | null,
): string | null | typeof KEEP {
  const { b, ctx, scope } = f;
  const sfOwner = f.sfValues.OwnerId;
  const sfChangedAt = f.sfChangedAt;
  // A record Crosswalk creates is owned by the integration user unless an owner is written.
  const sfUserId =
    typeof sfOwner === 'string' && sfOwner !== '' ? sfOwner : b.sfCreate ? ctx.integrationUserId : null;
  const sf = sfUserId === null ? '' : (ownerToHubSpot(sfUserId, ctx.sfUsers, ctx.hsOwners) ?? '');
  const decision = decideField({ rule: 'two_way', hs, hsChangedAt, sf, sfChangedAt, agreed });
  if (decision.action === 'none') {
    report(b, mapping, 'none', decision.why);
    return decision.why === 'in sync' ? hs : agreed === null ? null : KEEP;
  }
  if (!(decision.action === 'to_hubspot' ? scope.toHubSpot : scope.toSalesforce)) {
    report(b, mapping, 'skipped', `skipped: ${scope.why}`);
    return KEEP;
  }
  if (decision.action === 'to_hubspot') {
    toHs(b, OWNER.hsProperty, decision.value);
    report(
      b,
      mapping,
      'to_hubspot',
      `${decision.why} (F6: the HubSpot owner with the Salesforce user's email)`,
    );
    return decision.value;
  }
  const owner =
    decision.value === ''
      ? ({
          action: 'revert_hubspot',
          hsOwnerId: sf === '' ? null : sf,
          why: "a Salesforce record always has an owner: the owner reverts to Salesforce's (F6)",
        } as const)
      : ownerToSalesforce(decision.value, sfUserId, ctx.hsOwners, ctx.sfUsers);
  if (owner.action === 'write_salesforce') {
    toSf(b, OWNER.sfField, owner.sfUserId);
    report(b, mapping, 'to_salesforce', owner.why);
    return decision.value;
  }
  const back = owner.hsOwnerId ?? '';
  if (!scope.toHubSpot) {
    report(b, mapping, 'skipped', `skipped: ${scope.why}`);
    return KEEP;
  }
  if (back !== hs) toHs(b, OWNER.hsProperty, back);
  report(b, mapping, 'to_hubspot', owner.why);
  return back;
}
