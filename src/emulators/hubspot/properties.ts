/**
 * HubSpot property definitions (what the Properties API lists) and how a value is checked against its
 * property: all values travel as strings; `""` clears; numbers, dates, datetimes, booleans and
 * enumeration options are checked like the real API, with its error codes.
 */
import type { PropertyProblem } from './errors.ts';
import { industryPicklist } from '../shared/demo-data.ts';

export const objectTypes = ['contacts', 'companies'] as const;
export type ObjectType = (typeof objectTypes)[number];

/** Object type names and ids the API accepts in paths (`contacts`, `contact`, `0-1`, …). */
export function objectTypeOf(name: string): ObjectType | undefined {
  const lower = name.toLowerCase();
  if (lower === 'contacts' || lower === 'contact' || lower === '0-1') return 'contacts';
  if (lower === 'companies' || lower === 'company' || lower === '0-2') return 'companies';
  return undefined;
}

export const objectTypeIds: Record<ObjectType, string> = { contacts: '0-1', companies: '0-2' };

/** Object types as batch errors name them (`CONTACT`, `COMPANY`). */
export const objectTypeNames: Record<ObjectType, string> = { contacts: 'CONTACT', companies: 'COMPANY' };

/** An email address as HubSpot keeps and compares it: trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// HubSpot's property and field types: one list each, shared with the sync core's model.
export { hsPropertyTypes as propertyTypes, hsFieldTypes as fieldTypes } from '../../core/model.ts';
import type { HsFieldType, HsPropertyType } from '../../core/model.ts';
export type PropertyType = HsPropertyType;
export type FieldType = HsFieldType;

/** Which field types go with which property type. */
export const fieldTypesByType: Record<PropertyType, readonly FieldType[]> = {
  string: ['text', 'textarea', 'html', 'phonenumber', 'file'],
  number: ['number', 'calculation_equation'],
  date: ['date'],
  datetime: ['date'],
  enumeration: ['select', 'radio', 'checkbox', 'booleancheckbox'],
  bool: ['booleancheckbox'],
};

export interface PropertyOption {
  readonly label: string;
  readonly value: string;
  readonly displayOrder: number;
  readonly hidden: boolean;
  readonly description?: string;
}

export interface PropertyDef {
  readonly name: string;
  readonly label: string;
  readonly type: PropertyType;
  readonly fieldType: FieldType;
  readonly groupName: string;
  readonly description: string;
  readonly options: readonly PropertyOption[];
  readonly hasUniqueValue: boolean;
  readonly hubspotDefined: boolean;
  readonly calculated: boolean;
  readonly formField: boolean;
  readonly displayOrder: number;
  /** Values only HubSpot writes (e.g. `hs_object_id`, `hs_email_optout`). */
  readonly readOnlyValue: boolean;
  /** A property type (string, number, …) that refers to users, e.g. owners. */
  readonly referencedObjectType?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const DEFINED_AT = '2019-08-06T02:43:01.000Z';

type Spec = Partial<Omit<PropertyDef, 'name' | 'type' | 'options'>> & {
  options?: readonly string[];
  /** Option labels by internal value, where HubSpot's differ from the value. */
  optionLabels?: Readonly<Record<string, string>>;
};

function property(name: string, type: PropertyType, spec: Spec = {}): PropertyDef {
  const { options, optionLabels, ...rest } = spec;
  const fieldType: FieldType =
    spec.fieldType ??
    (type === 'number'
      ? 'number'
      : type === 'date' || type === 'datetime'
        ? 'date'
        : type === 'enumeration'
          ? 'select'
          : type === 'bool'
            ? 'booleancheckbox'
            : 'text');
  return {
    name,
    label: name,
    type,
    fieldType,
    groupName: 'contactinformation',
    description: '',
    hasUniqueValue: false,
    hubspotDefined: true,
    calculated: false,
    formField: true,
    displayOrder: -1,
    readOnlyValue: false,
    createdAt: DEFINED_AT,
    updatedAt: DEFINED_AT,
    ...rest,
    options: (options ?? (type === 'bool' ? ['true', 'false'] : [])).map((value, i) => ({
      label: type === 'bool' ? (value === 'true' ? 'Yes' : 'No') : (optionLabels?.[value] ?? value),
      value,
      displayOrder: i,
      hidden: false,
    })),
  };
}

const readOnly = { readOnlyValue: true, formField: false } as const;
const salesforce = { groupName: 'salesforceinformation', hubspotDefined: true } as const;
const lifecycleStages = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
];
/** HubSpot's default lead statuses: internal value → label. */
const leadStatusLabels: Readonly<Record<string, string>> = {
  NEW: 'New',
  OPEN: 'Open',
  IN_PROGRESS: 'In Progress',
  OPEN_DEAL: 'Open Deal',
  UNQUALIFIED: 'Unqualified',
  ATTEMPTED_TO_CONTACT: 'Attempted to Contact',
  CONNECTED: 'Connected',
  BAD_TIMING: 'Bad Timing',
};
const leadStatuses = Object.keys(leadStatusLabels);

/** The standard contact properties, including those SPEC F1 maps and the Salesforce ones. */
export function standardContactProperties(): PropertyDef[] {
  return [
    property('email', 'string', { label: 'Email', hasUniqueValue: false }),
    property('firstname', 'string', { label: 'First Name' }),
    property('lastname', 'string', { label: 'Last Name' }),
    property('salutation', 'string', { label: 'Salutation' }),
    property('jobtitle', 'string', { label: 'Job Title' }),
    property('company', 'string', { label: 'Company Name' }),
    property('phone', 'string', { label: 'Phone Number', fieldType: 'phonenumber' }),
    property('mobilephone', 'string', { label: 'Mobile Phone Number', fieldType: 'phonenumber' }),
    property('fax', 'string', { label: 'Fax Number', fieldType: 'phonenumber' }),
    property('address', 'string', { label: 'Street Address' }),
    property('city', 'string', { label: 'City' }),
    property('state', 'string', { label: 'State/Region' }),
    property('zip', 'string', { label: 'Postal Code' }),
    property('country', 'string', { label: 'Country/Region' }),
    property('mailing_street', 'string', { label: 'Mailing Street' }),
    property('mailing_city', 'string', { label: 'Mailing City' }),
    property('mailing_state', 'string', { label: 'Mailing State' }),
    property('mailing_zip', 'string', { label: 'Mailing Zip' }),
    property('mailing_country', 'string', { label: 'Mailing Country' }),
    property('website', 'string', { label: 'Website URL' }),
    property('industry', 'enumeration', { label: 'Industry', options: industryPicklist }),
    property('annualrevenue', 'number', { label: 'Annual Revenue' }),
    property('numemployees', 'number', { label: 'Number of Employees' }),
    property('description', 'string', { label: 'Contact Description', fieldType: 'textarea' }),
    property('leadsource', 'string', { label: 'Lead Source' }),
    property('rating', 'string', { label: 'Rating' }),
    property('hs_lead_status', 'enumeration', {
      label: 'Lead Status',
      options: leadStatuses,
      optionLabels: leadStatusLabels,
      fieldType: 'radio',
    }),
    property('lifecyclestage', 'enumeration', { label: 'Lifecycle Stage', options: lifecycleStages }),
    property('hubspot_owner_id', 'enumeration', { label: 'Contact owner', referencedObjectType: 'OWNER' }),
    property('date_of_birth', 'date', { label: 'Date of birth' }),
    property('hs_email_optout', 'bool', { ...readOnly, label: 'Unsubscribed from all email' }),
    property('createdate', 'datetime', { ...readOnly, label: 'Create Date' }),
    property('lastmodifieddate', 'datetime', { ...readOnly, label: 'Last Modified Date' }),
    property('hs_object_id', 'number', { ...readOnly, label: 'Record ID' }),
    property('hs_merged_object_ids', 'enumeration', {
      ...readOnly,
      label: 'Merged Contact IDs',
      fieldType: 'checkbox',
    }),
    property('salesforceleadid', 'string', { ...salesforce, label: 'Salesforce Lead ID' }),
    property('salesforcecontactid', 'string', { ...salesforce, label: 'Salesforce Contact ID' }),
    property('salesforceaccountid', 'string', { ...salesforce, label: 'Salesforce Account ID' }),
    property('salesforcecampaignids', 'string', { ...salesforce, label: 'Salesforce Campaigns' }),
  ];
}

export function standardCompanyProperties(): PropertyDef[] {
  const company = { groupName: 'companyinformation' } as const;
  return [
    property('name', 'string', { ...company, label: 'Company name' }),
    property('domain', 'string', { ...company, label: 'Company Domain Name' }),
    property('website', 'string', { ...company, label: 'Website URL' }),
    property('phone', 'string', { ...company, label: 'Phone Number', fieldType: 'phonenumber' }),
    property('address', 'string', { ...company, label: 'Street Address' }),
    property('city', 'string', { ...company, label: 'City' }),
    property('state', 'string', { ...company, label: 'State/Region' }),
    property('zip', 'string', { ...company, label: 'Postal Code' }),
    property('country', 'string', { ...company, label: 'Country/Region' }),
    property('industry', 'enumeration', { ...company, label: 'Industry', options: industryPicklist }),
    property('numberofemployees', 'number', { ...company, label: 'Number of Employees' }),
    property('annualrevenue', 'number', { ...company, label: 'Annual Revenue' }),
    property('description', 'string', { ...company, label: 'Description', fieldType: 'textarea' }),
    property('hubspot_owner_id', 'enumeration', {
      ...company,
      label: 'Company owner',
      referencedObjectType: 'OWNER',
    }),
    property('createdate', 'datetime', { ...company, ...readOnly, label: 'Create Date' }),
    property('hs_lastmodifieddate', 'datetime', { ...company, ...readOnly, label: 'Last Modified Date' }),
    property('hs_object_id', 'number', { ...company, ...readOnly, label: 'Record ID' }),
    property('hs_merged_object_ids', 'enumeration', {
      ...company,
      ...readOnly,
      label: 'Merged Company IDs',
      fieldType: 'checkbox',
    }),
    property('salesforceaccountid', 'string', { ...salesforce, label: 'Salesforce Account ID' }),
  ];
}

/** The property that holds an object's last-modified time. */
export const lastModifiedProperty: Record<ObjectType, string> = {
  contacts: 'lastmodifieddate',
  companies: 'hs_lastmodifieddate',
};

/** Properties returned when a request names none. */
export const defaultProperties: Record<ObjectType, readonly string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
};

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_STRING = 65_536;
/** The largest instant a JavaScript Date holds (±100,000,000 days from the epoch), in ms. */
const MAX_INSTANT = 8.64e15;

/** Whether epoch ms name an instant a Date can hold (`toISOString` throws a RangeError otherwise). */
function isInstant(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_INSTANT;
}

function problem(name: string, error: string, message: string): PropertyProblem {
  return { isValid: false, message, error, name, localizedErrorMessage: message };
}

/**
 * Checks one value (already a string) for its property and returns the stored form, or the problem.
 * `""` is always valid: it clears the value.
 */
export function checkValue(
  def: PropertyDef,
  value: string,
): { value: string } | { problem: PropertyProblem } {
  if (value === '') return { value };
  switch (def.type) {
    case 'string':
      if (value.length > MAX_STRING) {
        return {
          problem: problem(def.name, 'INVALID_STRING', `${def.name} is longer than ${MAX_STRING} characters`),
        };
      }
      if (def.name === 'email' && !EMAIL.test(value.trim())) {
        return { problem: problem(def.name, 'INVALID_EMAIL', `Email address ${value} is invalid`) };
      }
      return { value: def.name === 'email' ? normalizeEmail(value) : value };
    case 'number':
      // `1e400` has a number's form but no finite value: it would be stored as "Infinity".
      if (!NUMBER.test(value.trim()) || !Number.isFinite(Number(value))) {
        return { problem: problem(def.name, 'INVALID_LONG', `${value} was not a valid number.`) };
      }
      return { value: String(Number(value)) };
    case 'bool': {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') {
        return {
          problem: problem(
            def.name,
            'INVALID_BOOLEAN',
            `${value} was not a valid boolean: use true or false.`,
          ),
        };
      }
      return { value: lower };
    }
    case 'date': {
      const ms = DATE.test(value)
        ? Date.parse(`${value}T00:00:00Z`)
        : /^\d+$/.test(value)
          ? Number(value)
          : NaN;
      if (!isInstant(ms) || ms % 86_400_000 !== 0) {
        return {
          problem: problem(
            def.name,
            'INVALID_DATE',
            `${value} is not a valid date: use YYYY-MM-DD or epoch milliseconds at midnight UTC.`,
          ),
        };
      }
      return { value: new Date(ms).toISOString().slice(0, 10) };
    }
    case 'datetime': {
      const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (!isInstant(ms)) {
        return {
          problem: problem(
            def.name,
            'INVALID_DATETIME',
            `${value} is not a valid datetime: use ISO 8601 or epoch milliseconds.`,
          ),
        };
      }
      return { value: new Date(ms).toISOString() };
    }
    case 'enumeration': {
      if (def.referencedObjectType) return { value };
      const allowed = new Set(def.options.map((o) => o.value));
      const values = def.fieldType === 'checkbox' ? value.split(';') : [value];
      const bad = values.find((v) => !allowed.has(v));
      if (bad !== undefined) {
        return {
          problem: problem(
            def.name,
            'INVALID_OPTION',
            `${bad} was not one of the allowed options: [${def.options.map((o) => o.value).join(', ')}]`,
          ),
        };
      }
      return { value };
    }
  }
}
