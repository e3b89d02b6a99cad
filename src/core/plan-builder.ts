/**
 * A plan under construction, and the small steps every part of planning shares: writing a value
 * bound for either side into the create or the update, reporting a field's decision (V1), and the
 * mappings of an object with the metadata of both ends. `planSync` (plan.ts) drives it; the fields
 * (plan-fields.ts), the owner (owner.ts) and the account (accounts.ts) fill it in.
 */
import { sameValue, toHubSpot, toSalesforce } from './convert.ts';
import { mappingsFor } from './mappings.ts';
import type { HsProperty, Mapping, Result, SfField, SfPersonObject } from './model.ts';
import { UNKNOWN_VALUE } from './matching.ts';
import { mapToSalesforce, salesforceInHubSpotForm, valueMapOf, type ValueMap } from './value-maps.ts';
import type { SfRecord, SfValue, Snapshot } from './records.ts';
import type { Scope } from './scope.ts';
import type { FieldReport, LinkChange, PlanContext, PlanError, Skip, SyncPlan } from './sync-plan.ts';

/** A mapping with the metadata of both ends, resolved once per context and object. */
export interface BoundMapping {
  readonly mapping: Mapping;
  readonly property: HsProperty | undefined;
  readonly field: SfField | undefined;
  readonly same: (a: string, b: string) => boolean;
  /** F11: the value map in force, or null: values move by internal value (F8). */
  readonly valueMap: ValueMap | null;
}

/**
 * A memo, not state: the bound mappings are a function of the context alone (which is immutable), so
 * caching them per context object changes no result, only how often they are computed. Planning stays
 * pure in effect; the entry goes when the context does.
 */
const bound = new WeakMap<PlanContext, Record<SfPersonObject, readonly BoundMapping[]>>();

/** The mappings of `object` (F3), bound to the HubSpot property and Salesforce field they name. */
export function boundMappings(ctx: PlanContext, object: SfPersonObject): readonly BoundMapping[] {
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
          valueMap: valueMapOf(mapping),
        };
      });
    cached = { Lead: bind('Lead'), Contact: bind('Contact') };
    bound.set(ctx, cached);
  }
  return cached[object];
}

/**
 * A Salesforce value in HubSpot's form (F8), through the mapping's value map (F11): with a
 * many-to-one map, the form the contact holds (`hs`) or last agreed, when it writes this value. The
 * C1 placeholder is no value: it never reaches HubSpot.
 */
export function salesforceAsHubSpot(
  bm: BoundMapping & { readonly property: HsProperty; readonly field: SfField },
  raw: SfValue,
  hs: string,
  agreed: string | null,
): Result<string> {
  if (raw === UNKNOWN_VALUE) return { ok: true, value: '' };
  if (bm.valueMap === null || raw === null) return toHubSpot(raw, bm.field, bm.property);
  const mapped = salesforceInHubSpotForm(bm.mapping, bm.valueMap, String(raw), hs, agreed);
  return mapped.ok ? toHubSpot(mapped.value, bm.field, bm.property) : mapped;
}

/** A HubSpot value as the value to write to Salesforce (F8), through the mapping's value map (F11). */
export function hubspotAsSalesforce(
  bm: BoundMapping & { readonly property: HsProperty; readonly field: SfField },
  value: string,
): Result<SfValue> {
  if (bm.valueMap === null) return toSalesforce(value, bm.property, bm.field);
  const mapped = mapToSalesforce(bm.mapping, bm.valueMap, value);
  return mapped.ok ? toSalesforce(mapped.value, bm.property, bm.field) : mapped;
}

/** A HubSpot value as text: absent is `""`. */
export const text = (v: string | undefined): string => v ?? '';

/** A plan under construction. */
export class Builder {
  hsCreate: Record<string, string> | null = null;
  hsUpdate: Record<string, string> = {};
  unsubscribe = false;
  primaryCompanyId: string | null = null;
  deleteId: string | null = null;
  sfCreate: { object: SfPersonObject; values: Record<string, SfValue> } | null = null;
  sfUpdate: Record<string, SfValue> = {};
  link: LinkChange = { action: 'none' };
  snapshot: Snapshot | null = null;
  /** A Two-way field both sides changed was decided by which change is later (F9). */
  byTime = false;
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
      ...(this.byTime ? { byTime: true as const } : {}),
    };
  }
}

/** Writes a value bound for HubSpot into the create or the update. */
export function toHs(b: Builder, property: string, value: string): void {
  if (b.hsCreate) {
    if (value !== '') b.hsCreate[property] = value;
  } else b.hsUpdate[property] = value;
}

/** Writes a value bound for Salesforce into the create or the update. */
export function toSf(b: Builder, field: string, value: SfValue): void {
  if (b.sfCreate) {
    if (value !== null) b.sfCreate.values[field] = value;
  } else b.sfUpdate[field] = value;
}

/** Reports a mapping's decision and why (V1). */
export function report(b: Builder, mapping: Mapping, action: FieldReport['action'], why: string): void {
  b.fields.push({
    hsProperty: mapping.hsProperty,
    sfField: mapping.sfField,
    rule: mapping.rule,
    action,
    why,
  });
}

/** What deciding one mapping needs of the pairing being planned. */
export interface FieldContext {
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

/** What deciding a mapping gives besides a value: keep the old snapshot entry, or leave the mapping out. */
export const KEEP = Symbol('keep');
export const ABSENT = Symbol('absent');
