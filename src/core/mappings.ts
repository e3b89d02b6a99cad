/**
 * Mappings: the default table (SPEC F1, in this one place), the rules a mapping may have (F4–F6),
 * the checks a custom mapping must pass (F2), each refusal saying what is wrong and how to fix it,
 * and which fields and properties the mappings make a sync read.
 */
import { CAMPAIGNS_PROPERTY } from './campaigns.ts';
import { idPropertyOf } from './matching.ts';
import {
  fail,
  ok,
  syncRuleLabels,
  type HsFieldType,
  type HsProperty,
  type Mapping,
  type Result,
  type SfField,
  type SfFieldType,
  type SfPersonObject,
  type SyncRule,
} from './model.ts';
import type { PlanContext } from './sync-plan.ts';

const LEAD: readonly SfPersonObject[] = ['Lead'];
const CONTACT: readonly SfPersonObject[] = ['Contact'];
const BOTH: readonly SfPersonObject[] = ['Lead', 'Contact'];

function mapping(
  hsProperty: string,
  sfField: string,
  objects: readonly SfPersonObject[],
  rule: SyncRule = 'prefer_salesforce_unless_blank',
): Mapping {
  return { hsProperty, sfField, rule, isDefault: true, objects };
}

/**
 * SPEC F1: the default mappings, HubSpot contact property → Salesforce field, and which of Lead and
 * Contact has the field. They cannot be removed; their rule can change (within F5 and F6).
 * Email opt-out is not a mapping: it has rules of its own (O1, see `OPT_OUT`).
 */
export const DEFAULT_MAPPINGS: readonly Mapping[] = [
  mapping('salesforceaccountid', 'AccountId', CONTACT),
  mapping('annualrevenue', 'AnnualRevenue', LEAD),
  mapping('fax', 'Fax', BOTH),
  mapping('phone', 'Phone', BOTH),
  mapping('city', 'City', LEAD),
  mapping('company', 'Company', LEAD),
  mapping('description', 'Description', BOTH),
  mapping('country', 'Country', LEAD),
  mapping('numemployees', 'NumberOfEmployees', LEAD),
  mapping('firstname', 'FirstName', BOTH),
  mapping('industry', 'Industry', LEAD),
  mapping('lastname', 'LastName', BOTH),
  mapping('leadsource', 'LeadSource', BOTH),
  mapping('mailing_city', 'MailingCity', CONTACT),
  mapping('mailing_country', 'MailingCountry', CONTACT),
  mapping('mailing_state', 'MailingState', CONTACT),
  mapping('mailing_street', 'MailingStreet', CONTACT),
  mapping('mailing_zip', 'MailingPostalCode', CONTACT),
  mapping('hubspot_owner_id', 'OwnerId', BOTH, 'two_way'),
  mapping('rating', 'Rating', LEAD),
  mapping('salutation', 'Salutation', BOTH),
  mapping('state', 'State', LEAD),
  mapping('hs_lead_status', 'Status', LEAD),
  mapping('address', 'Street', LEAD),
  mapping('jobtitle', 'Title', BOTH),
  mapping('website', 'Website', LEAD),
  mapping('zip', 'PostalCode', LEAD),
  mapping('email', 'Email', BOTH),
];

/** SPEC O1: HubSpot "unsubscribed from all email" ⇄ Salesforce `HasOptedOutOfEmail`, with its own rules. */
export const OPT_OUT = { hsProperty: 'hs_email_optout', sfField: 'HasOptedOutOfEmail' } as const;

/** The rules a mapping may have: Email only two (F5), Owner only Two-way (F6), others all four. */
export function allowedRules(hsProperty: string, sfField: string): readonly SyncRule[] {
  if (hsProperty === 'email' && sfField === 'Email') return ['prefer_salesforce_unless_blank', 'two_way'];
  if (hsProperty === 'hubspot_owner_id' && sfField === 'OwnerId') return ['two_way'];
  return ['prefer_salesforce_unless_blank', 'always_salesforce', 'two_way', 'none'];
}

/** Whether a rule ever writes Salesforce (Prefer Salesforce unless blank does, into blanks). */
export function ruleWritesSalesforce(rule: SyncRule): boolean {
  return rule === 'two_way' || rule === 'prefer_salesforce_unless_blank';
}

/** SPEC F2: which Salesforce field types each HubSpot field type may map to. */
export const COMPATIBLE_TYPES: Readonly<Partial<Record<HsFieldType, readonly SfFieldType[]>>> = {
  select: ['picklist', 'reference'],
  radio: ['picklist', 'reference'],
  checkbox: ['multipicklist'],
  booleancheckbox: ['boolean'],
  number: ['double', 'int', 'currency', 'percent'],
  text: ['string', 'textarea', 'email', 'phone', 'url'],
  phonenumber: ['string', 'textarea', 'email', 'phone', 'url'],
  textarea: ['textarea'],
  date: ['date', 'datetime'],
};

/** What a custom mapping is checked against. */
export interface MappingContext {
  readonly mappings: readonly Mapping[];
  readonly hsProperties: ReadonlyMap<string, HsProperty>;
  /** Salesforce fields by API name, per object. */
  readonly sfFields: Readonly<Record<SfPersonObject, ReadonlyMap<string, SfField>>>;
}

export interface MappingRequest {
  readonly hsProperty: string;
  readonly sfField: string;
  readonly rule: SyncRule;
}

/** SPEC F2: checks a new custom mapping and returns it, or the first problem with a fix. */
export function addCustomMapping(request: MappingRequest, context: MappingContext): Result<Mapping> {
  const { hsProperty, sfField, rule } = request;
  const property = context.hsProperties.get(hsProperty);
  if (!property) {
    return fail(
      'unknown_hs_property',
      `HubSpot has no contact property "${hsProperty}".`,
      'Use the internal name of an existing contact property (HubSpot: Settings › Properties), or create the property first.',
    );
  }
  const fields = (['Lead', 'Contact'] as const).flatMap((object) => {
    const field = context.sfFields[object].get(sfField);
    return field ? [{ object, field }] : [];
  });
  if (fields.length === 0) {
    return fail(
      'unknown_sf_field',
      `Salesforce field "${sfField}" exists on neither Lead nor Contact.`,
      'Use the field API name exactly as Salesforce shows it (custom fields end in __c), and make sure the integration user can see it.',
    );
  }
  const byProperty = context.mappings.find((m) => m.hsProperty === hsProperty);
  if (byProperty) {
    return fail(
      'property_already_mapped',
      `HubSpot property "${hsProperty}" is already mapped to Salesforce field "${byProperty.sfField}".`,
      'A property maps to one field: change the existing mapping instead, or remove it first.',
    );
  }
  const byField = context.mappings.find((m) => m.sfField === sfField);
  if (byField) {
    return fail(
      'field_already_mapped',
      `Salesforce field "${sfField}" is already mapped to HubSpot property "${byField.hsProperty}".`,
      'A field maps to one property: change the existing mapping instead, or remove it first.',
    );
  }
  if (property.referencesUsers) {
    return fail(
      'user_property',
      `HubSpot property "${hsProperty}" holds HubSpot users; such properties cannot be mapped.`,
      'Owners sync through the default Owner mapping (hubspot_owner_id ⇄ OwnerId).',
    );
  }
  const compatible = COMPATIBLE_TYPES[property.fieldType] ?? [];
  for (const { object, field } of fields) {
    if (!compatible.includes(field.type)) {
      return fail(
        'incompatible_types',
        `HubSpot property "${hsProperty}" (${property.fieldType}) cannot map to ${object}.${sfField} (${field.type}).`,
        compatible.length === 0
          ? `HubSpot ${property.fieldType} properties cannot be mapped; use a property of another field type.`
          : `A HubSpot ${property.fieldType} property maps to Salesforce ${compatible.join(', ')} fields: pick such a field, or a property of a matching type.`,
      );
    }
    if ((field.calculated || !field.updateable) && ruleWritesSalesforce(rule)) {
      return fail(
        'sf_field_read_only',
        `${object}.${sfField} is ${field.calculated ? 'a formula field' : 'not updateable'}, and "${syncRuleLabels[rule]}" would write to it.`,
        'Use "Always use Salesforce" or "Don\'t sync" for this mapping, or map a writable field.',
      );
    }
  }
  if (property.readOnlyValue && rule !== 'none') {
    return fail(
      'hs_property_read_only',
      `HubSpot property "${hsProperty}" is read-only, and "${syncRuleLabels[rule]}" would write to it.`,
      'Map a writable HubSpot property, or use "Don\'t sync".',
    );
  }
  return ok({
    hsProperty,
    sfField,
    rule,
    isDefault: false,
    objects: fields.map((f) => f.object),
  });
}

function findMapping(mappings: readonly Mapping[], hsProperty: string): Result<Mapping> {
  const current = mappings.find((m) => m.hsProperty === hsProperty);
  if (current) return ok(current);
  return fail(
    'unknown_mapping',
    `No mapping for HubSpot property "${hsProperty}".`,
    'List the mappings (crosswalk mappings list) and use one of their property names.',
  );
}

/** SPEC F4–F6: changes a mapping's rule, within what that mapping allows. */
export function setMappingRule(
  mappings: readonly Mapping[],
  hsProperty: string,
  rule: SyncRule,
): Result<Mapping[]> {
  const found = findMapping(mappings, hsProperty);
  if (!found.ok) return found;
  const current = found.value;
  const allowed = allowedRules(current.hsProperty, current.sfField);
  if (!allowed.includes(rule)) {
    return fail(
      'rule_not_allowed',
      `The ${current.hsProperty} ⇄ ${current.sfField} mapping cannot use "${syncRuleLabels[rule]}".`,
      `Use ${allowed.map((r) => `"${syncRuleLabels[r]}"`).join(' or ')}.`,
    );
  }
  return ok(mappings.map((m) => (m === current ? { ...m, rule } : m)));
}

/** Removes a custom mapping; default mappings stay (F1: their rule can be set to "Don't sync"). */
export function removeMapping(mappings: readonly Mapping[], hsProperty: string): Result<Mapping[]> {
  const found = findMapping(mappings, hsProperty);
  if (!found.ok) return found;
  const current = found.value;
  if (current.isDefault) {
    return fail(
      'default_mapping',
      `${current.hsProperty} ⇄ ${current.sfField} is a default mapping and cannot be removed.`,
      `Set its rule to "Don't sync" instead${
        allowedRules(current.hsProperty, current.sfField).includes('none')
          ? ''
          : ' — except that this mapping allows only ' +
            allowedRules(current.hsProperty, current.sfField)
              .map((r) => `"${syncRuleLabels[r]}"`)
              .join(' or ')
      }.`,
    );
  }
  return ok(mappings.filter((m) => m !== current));
}

/** SPEC F3: the mappings that apply to a record of `object` (it must have the field). */
export function mappingsFor(mappings: readonly Mapping[], object: SfPersonObject): Mapping[] {
  return mappings.filter((m) => m.objects.includes(object));
}

/**
 * The Salesforce fields a read of `object` asks for: those of the synced mappings (rule other than
 * "Don't sync") that `object` has, once each, in mapping order (the connector adds the system fields).
 */
export function sfFieldsFor(
  ctx: Pick<PlanContext, 'mappings' | 'sfFields'>,
  object: SfPersonObject,
): string[] {
  const fields = ctx.sfFields[object];
  return [
    ...new Set(ctx.mappings.filter((m) => m.rule !== 'none' && fields.has(m.sfField)).map((m) => m.sfField)),
  ];
}

/** The mapped fields of Lead and Contact together (a batch reads records of both by id or email). */
export function sfFieldsOfBoth(ctx: Pick<PlanContext, 'mappings' | 'sfFields'>): string[] {
  return [...new Set([...sfFieldsFor(ctx, 'Lead'), ...sfFieldsFor(ctx, 'Contact')])];
}

/** F9: the HubSpot properties whose change times matter (Two-way mappings): read with their history. */
export function historyFor(ctx: Pick<PlanContext, 'mappings'>): string[] {
  return ctx.mappings.filter((m) => m.rule === 'two_way').map((m) => m.hsProperty);
}

/**
 * The HubSpot properties a read of contacts asks for: the email (M1), the opt-out (O1), the link ids
 * (M3) and the campaigns (K2), then those of the synced mappings; once each.
 */
export function hsPropertiesFor(ctx: Pick<PlanContext, 'mappings'>): string[] {
  return [
    ...new Set([
      'email',
      OPT_OUT.hsProperty,
      idPropertyOf('Lead'),
      idPropertyOf('Contact'),
      CAMPAIGNS_PROPERTY,
      ...ctx.mappings.filter((m) => m.rule !== 'none').map((m) => m.hsProperty),
    ]),
  ];
}

/** How a mapping stands against both systems' metadata now (the console's Mappings screen). */
export interface MappingHealth {
  readonly status: 'ok' | 'type_mismatch' | 'field_gone' | 'property_gone' | 'not_writable';
  /** In plain words, with the fix when not ok. */
  readonly detail: string;
  readonly hsType: string | null;
  /** The Salesforce field's type on each of the mapping's objects that has it. */
  readonly sfTypes: Readonly<Record<string, string>>;
}

/**
 * F2–F6 checked again for a mapping already in force: its property and fields still exist, their
 * types still fit (custom mappings: the F2 table; default mappings are Crosswalk's own pairing), and
 * what its rule writes is still writable. The first problem found is the status.
 */
export function mappingHealth(mapping: Mapping, context: Omit<MappingContext, 'mappings'>): MappingHealth {
  const property = context.hsProperties.get(mapping.hsProperty);
  const sfTypes: Record<string, string> = {};
  for (const object of mapping.objects) {
    const field = context.sfFields[object].get(mapping.sfField);
    if (field) sfTypes[object] = field.type;
  }
  const health = (status: MappingHealth['status'], detail: string): MappingHealth => ({
    status,
    detail,
    hsType: property ? property.fieldType : null,
    sfTypes,
  });
  if (!property)
    return health(
      'property_gone',
      `HubSpot has no contact property "${mapping.hsProperty}" any more: nothing moves for this mapping. Restore the property, or remove the mapping.`,
    );
  const missing = mapping.objects.filter((o) => !context.sfFields[o].has(mapping.sfField));
  if (missing.length > 0)
    return health(
      'field_gone',
      `${missing.map((o) => `${o}.${mapping.sfField}`).join(' and ')} no longer exists, or the integration user cannot see it: nothing moves there. Restore the field or its field-level security, or remove the mapping.`,
    );
  const compatible = COMPATIBLE_TYPES[property.fieldType] ?? [];
  for (const object of mapping.objects) {
    const field = context.sfFields[object].get(mapping.sfField)!;
    if (!mapping.isDefault && !compatible.includes(field.type))
      return health(
        'type_mismatch',
        `HubSpot ${property.fieldType} "${mapping.hsProperty}" no longer fits ${object}.${mapping.sfField} (${field.type}): values would be refused. Change the field's type back, or map another field.`,
      );
    if ((field.calculated || !field.updateable) && ruleWritesSalesforce(mapping.rule))
      return health(
        'not_writable',
        `${object}.${mapping.sfField} is ${field.calculated ? 'a formula field' : 'not updateable'} now, and the rule writes to it. Use "Always use Salesforce" or "Don't sync", or make the field writable.`,
      );
  }
  if (property.readOnlyValue && mapping.rule !== 'none')
    return health(
      'not_writable',
      `HubSpot property "${mapping.hsProperty}" is read-only now, and the rule writes to it. Use "Don't sync", or map a writable property.`,
    );
  return health('ok', 'Both sides have the field, and the rule can write where it needs to.');
}
