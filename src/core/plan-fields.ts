/**
 * Planning the values of a pairing (a HubSpot contact and its Salesforce record, either maybe new):
 * every mapping by its rule (F4–F9, F7 for mappings newer than the last sync, F8 conversions), the
 * owner (F6), the account (K1), the campaigns (K2), the link ids (M3), the opt-out (O1, O2) and a new
 * record's required fields (C1); and the snapshot both sides agree on after the plan.
 */
import { decideAccount } from './accounts.ts';
import { CAMPAIGNS_PROPERTY, campaignsValue } from './campaigns.ts';
import { OPT_OUT } from './mappings.ts';
import { decideSalesforceCreate, idPropertyOf } from './matching.ts';
import type { SfPersonObject } from './model.ts';
import { decideOptOut } from './opt-out.ts';
import { decideOwner, OWNER } from './owner.ts';
import {
  ABSENT,
  boundMappings,
  KEEP,
  hubspotAsSalesforce,
  report,
  salesforceAsHubSpot,
  text,
  toHs,
  toSf,
  type BoundMapping,
  type Builder,
  type FieldContext,
} from './plan-builder.ts';
import type { HsContact, Link, SfRecord, SfValue, Snapshot } from './records.ts';
import { decideField, type FieldDecision } from './rules.ts';
import type { Scope } from './scope.ts';
import type { PlanContext, PlanInput } from './sync-plan.ts';

/** A snapshot whose mapped values are known but not agreed (null): every mapping decides afresh. */
export function forgetValues(snapshot: Snapshot): Snapshot {
  const values: Record<string, string | null> = {};
  for (const name of Object.keys(snapshot.values)) values[name] = null;
  return { ...snapshot, values, sfChangedAt: null };
}

/** Reports every mapping of `object` with one reason (a plan that syncs nothing still explains: V1). */
export function reportAll(b: Builder, ctx: PlanContext, object: SfPersonObject, why: string): void {
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

/** The contact and the Salesforce record a plan syncs, as `planSync` settled them. */
export interface Pairing {
  readonly hubspot: HsContact | null;
  readonly target: SfRecord | null;
  readonly object: SfPersonObject;
  readonly link: Link | null;
}

/** One mapped field: decides, writes into the plan, reports why; returns the value agreed after. */
export function decideMapping(
  f: FieldContext,
  bm: BoundMapping,
): string | null | typeof KEEP | typeof ABSENT {
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

  // Salesforce's value in HubSpot's form (F8, F11).
  const raw = f.sfValues[mapping.sfField] ?? null;
  const asHs = salesforceAsHubSpot({ ...bm, property, field }, raw, hs, agreed);
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
  if (decision.action !== 'none' && decision.byTime) b.byTime = true;

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
  const converted = hubspotAsSalesforce({ ...bm, property, field }, value);
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
export function syncPairing(b: Builder, input: PlanInput, ctx: PlanContext, scope: Scope, p: Pairing): void {
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

  // K2: campaigns, Salesforce → HubSpot only (when they were read).
  if (target && scope.toHubSpot && !emailOnly && !input.campaignsNotRead?.has(target.id)) {
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

  // What HubSpot's answer was as of: later search answers no newer than it are stale (`isStaleView`).
  const hsUpdatedAt = Math.max(hubspot?.updatedAt ?? -Infinity, old?.hsUpdatedAt ?? -Infinity);
  b.snapshot = {
    values,
    optOut: agreedOptOut,
    accountId,
    sfChangedAt,
    ...(Number.isFinite(hsUpdatedAt) ? { hsUpdatedAt } : {}),
  };
}
