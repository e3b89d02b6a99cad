/**
 * The sync core's vocabulary (see docs/glossary.md). Everything in `src/core` is pure: values in,
 * values out — no I/O, no clock, no randomness. Lint keeps it that way.
 *
 * Terms: a **mapping** pairs one HubSpot contact property with one Salesforce field API name under a
 * **rule** (SPEC F4); it applies to the Lead or the Contact a HubSpot contact is linked to, whichever
 * has the field (F3).
 */
import type { ValueMap } from './value-maps.ts';
import type { ProblemCode } from './problem-codes.ts';

/** The Salesforce objects a HubSpot contact can be linked to. */
export const sfPersonObjects = ['Lead', 'Contact'] as const;
export type SfPersonObject = (typeof sfPersonObjects)[number];

/** Salesforce field types, as `describe` names them. */
export const sfFieldTypes = [
  'id',
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'picklist',
  'multipicklist',
  'reference',
  'boolean',
  'int',
  'double',
  'currency',
  'percent',
  'date',
  'datetime',
] as const;
export type SfFieldType = (typeof sfFieldTypes)[number];

/** A Salesforce field as the core needs to know it (from `describe`). */
export interface SfField {
  readonly name: string;
  readonly type: SfFieldType;
  /** Characters for text types; 0 when not limited. */
  readonly length: number;
  /** Digits before the decimal point allowed for numbers; 0 when not limited. */
  readonly integerDigits: number;
  /** Decimal places kept for numbers. */
  readonly scale: number;
  readonly updateable: boolean;
  readonly createable: boolean;
  /** Formula (calculated) fields never take writes and never trigger a sync (F10). */
  readonly calculated: boolean;
  readonly nillable: boolean;
  /** Picklist values (restricted picklists refuse others). */
  readonly picklistValues: readonly string[];
  /** F11: picklist labels by value, where read (value-map suggestions match them). */
  readonly picklistLabels?: Readonly<Record<string, string>>;
  readonly restrictedPicklist: boolean;
}

/** HubSpot property types and field types, as the Properties API names them. */
export const hsPropertyTypes = ['string', 'number', 'date', 'datetime', 'enumeration', 'bool'] as const;
export type HsPropertyType = (typeof hsPropertyTypes)[number];

export const hsFieldTypes = [
  'text',
  'textarea',
  'html',
  'number',
  'date',
  'file',
  'phonenumber',
  'select',
  'radio',
  'checkbox',
  'booleancheckbox',
  'calculation_equation',
] as const;
export type HsFieldType = (typeof hsFieldTypes)[number];

/** A HubSpot property as the core needs to know it. */
export interface HsProperty {
  readonly name: string;
  readonly type: HsPropertyType;
  readonly fieldType: HsFieldType;
  /** Enumeration option values (internal values, not labels). */
  readonly options: readonly string[];
  /** F11: option labels by internal value, where read (value-map suggestions match them). */
  readonly optionLabels?: Readonly<Record<string, string>>;
  /** A "HubSpot user" property (e.g. an owner property): never mappable (F2). */
  readonly referencesUsers: boolean;
  /** Values only HubSpot writes. */
  readonly readOnlyValue: boolean;
}

/** SPEC F4: how a mapping moves values. */
export const syncRules = ['prefer_salesforce_unless_blank', 'always_salesforce', 'two_way', 'none'] as const;
export type SyncRule = (typeof syncRules)[number];

export const syncRuleLabels: Record<SyncRule, string> = {
  prefer_salesforce_unless_blank: 'Prefer Salesforce unless blank',
  always_salesforce: 'Always use Salesforce',
  two_way: 'Two-way',
  none: "Don't sync",
};

/** A mapping: (HubSpot property, Salesforce field API name, rule). */
export interface Mapping {
  readonly hsProperty: string;
  readonly sfField: string;
  readonly rule: SyncRule;
  /** Default mappings (F1) cannot be removed; only their rule can change. */
  readonly isDefault: boolean;
  /** Which objects have the field, for a default mapping (F1 lists Lead / Contact). */
  readonly objects: readonly SfPersonObject[];
  /**
   * F11: the value map of an enumeration ⇄ picklist pair (`value-maps.ts`). Absent: the shipped one
   * (Lead Status) or none; null: none (values move by internal value, F8).
   */
  readonly valueMap?: ValueMap | null;
}

/**
 * An expected failure, as a value: a stable snake_case code (one of `PROBLEM_CODES`, listed in
 * docs/errors.md), what is wrong, and how to fix it.
 */
export interface Problem {
  readonly code: ProblemCode;
  readonly message: string;
  readonly fix: string;
}

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: Problem };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ProblemCode, message: string, fix: string): Result<T> => ({
  ok: false,
  problem: { code, message, fix },
});
