/**
 * The emulated org's metadata: the sObjects the emulator serves and their fields, with the attributes
 * `describe` reports and validation uses. Lengths and types follow the Salesforce field reference
 * (see shared/reference/api-fidelity.md §2.6). Each object also has one custom External ID field so
 * that upsert by external id can be exercised.
 */

import type { SfFieldType } from '../../core/model.ts';
import { industryPicklist } from '../shared/demo-data.ts';

/** Salesforce's field types, as `describe` names them (one list, in the sync core's model). */
export type FieldType = SfFieldType;

export interface PicklistValue {
  readonly value: string;
  readonly label: string;
  readonly active: boolean;
  readonly defaultValue: boolean;
}

export interface FieldDef {
  readonly name: string;
  readonly label: string;
  readonly type: FieldType;
  /** Characters for text types; 0 otherwise. */
  readonly length: number;
  /** Total digits for int; precision and scale for double/currency/percent. */
  readonly digits: number;
  readonly precision: number;
  readonly scale: number;
  readonly nillable: boolean;
  readonly createable: boolean;
  readonly updateable: boolean;
  readonly defaultedOnCreate: boolean;
  readonly calculated: boolean;
  readonly custom: boolean;
  readonly externalId: boolean;
  readonly unique: boolean;
  readonly idLookup: boolean;
  readonly referenceTo: readonly string[];
  readonly relationshipName: string | null;
  readonly picklistValues: readonly PicklistValue[];
  readonly restrictedPicklist: boolean;
}

export interface ObjectDef {
  readonly name: string;
  readonly label: string;
  readonly labelPlural: string;
  readonly keyPrefix: string;
  readonly createable: boolean;
  readonly updateable: boolean;
  readonly deletable: boolean;
  readonly fields: readonly FieldDef[];
  /** Lower-cased field name → field. */
  readonly fieldsByLowerName: ReadonlyMap<string, FieldDef>;
  /** Lower-cased relationship name → the reference field that carries it. */
  readonly relationshipsByLowerName: ReadonlyMap<string, FieldDef>;
}

type FieldSpec = Partial<Omit<FieldDef, 'name' | 'type' | 'picklistValues'>> & {
  picklist?: readonly string[];
  defaultValue?: string;
};

function field(name: string, type: FieldType, spec: FieldSpec = {}): FieldDef {
  const { picklist, defaultValue, ...rest } = spec;
  const picklistValues = (picklist ?? []).map((value) => ({
    value,
    label: value,
    active: true,
    defaultValue: value === defaultValue,
  }));
  const readOnly = type === 'id' || spec.calculated === true;
  return {
    name,
    label:
      spec.label ??
      name
        .replace(/__c$/, '')
        .replace(/_/g, ' ')
        .replace(/([a-z])([A-Z])/g, '$1 $2'),
    type,
    length: 0,
    digits: 0,
    precision: 0,
    scale: 0,
    nillable: type !== 'boolean' && type !== 'id',
    createable: !readOnly,
    updateable: !readOnly,
    defaultedOnCreate: type === 'boolean' || type === 'id',
    calculated: false,
    custom: name.endsWith('__c'),
    externalId: false,
    unique: false,
    idLookup: type === 'id',
    referenceTo: [],
    relationshipName: null,
    restrictedPicklist: false,
    ...rest,
    picklistValues,
  };
}

const text = (name: string, length: number, spec: FieldSpec = {}) =>
  field(name, 'string', { length, ...spec });
const ref = (name: string, to: string, relationshipName: string, spec: FieldSpec = {}) =>
  field(name, 'reference', { length: 18, referenceTo: [to], relationshipName, ...spec });
const system = { createable: false, updateable: false, defaultedOnCreate: true, nillable: false } as const;

/** Fields every object has, maintained by the platform. */
function systemFields(withMaster: boolean): FieldDef[] {
  const fields = [
    field('Id', 'id', { length: 18, label: 'Record ID' }),
    field('IsDeleted', 'boolean', { ...system, label: 'Deleted' }),
    field('CreatedDate', 'datetime', { ...system }),
    ref('CreatedById', 'User', 'CreatedBy', { ...system, label: 'Created By ID' }),
    field('LastModifiedDate', 'datetime', { ...system }),
    ref('LastModifiedById', 'User', 'LastModifiedBy', { ...system, label: 'Last Modified By ID' }),
    field('SystemModstamp', 'datetime', { ...system, label: 'System Modstamp' }),
  ];
  if (withMaster) {
    fields.push(
      ref('MasterRecordId', '', 'MasterRecord', {
        createable: false,
        updateable: false,
        label: 'Master Record ID',
      }),
    );
  }
  return fields;
}

const salutations = ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.', 'Mx.'];
const leadSources = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
export const leadStatuses = [
  'Open - Not Contacted',
  'Working - Contacted',
  'Closed - Converted',
  'Closed - Not Converted',
];
export const convertedLeadStatus = 'Closed - Converted';
/** `Group.Type`: a queue (`Queue`) can own records; a public group (`Regular`) and the others cannot. */
const groupTypes = ['Regular', 'Queue', 'Role', 'RoleAndSubordinates', 'Organization'];

/** `owners`: what may own the record — Lead: a user or a queue (a Group); Contact: a user only. */
function person(owners: readonly string[]): FieldDef[] {
  return [
    text('LastName', 80, { nillable: false }),
    text('FirstName', 40),
    field('Salutation', 'picklist', { length: 40, picklist: salutations }),
    text('Name', 121, { calculated: true, createable: false, updateable: false, label: 'Full Name' }),
    text('Title', 128),
    field('Email', 'email', { length: 80, idLookup: true }),
    field('Phone', 'phone', { length: 40 }),
    field('MobilePhone', 'phone', { length: 40, label: 'Mobile Phone' }),
    field('Fax', 'phone', { length: 40 }),
    field('Description', 'textarea', { length: 32000 }),
    field('LeadSource', 'picklist', { length: 40, picklist: leadSources }),
    ref('OwnerId', owners[0]!, 'Owner', {
      nillable: false,
      defaultedOnCreate: true,
      label: 'Owner ID',
      referenceTo: owners,
    }),
    field('HasOptedOutOfEmail', 'boolean', { label: 'Email Opt Out' }),
    field('HasOptedOutOfFax', 'boolean', { label: 'Fax Opt Out' }),
    field('DoNotCall', 'boolean', { label: 'Do Not Call' }),
  ];
}

const readOnly = { createable: false, updateable: false } as const;

const objectSpecs: Record<string, { label: string; plural: string; keyPrefix: string; fields: FieldDef[] }> =
  {
    Lead: {
      label: 'Lead',
      plural: 'Leads',
      keyPrefix: '00Q',
      fields: [
        ...systemFields(true),
        // Lead.OwnerId is polymorphic: a user or a queue (describe lists Group first, as Salesforce does).
        ...person(['Group', 'User']),
        text('Company', 255, { nillable: false }),
        field('Street', 'textarea', { length: 255 }),
        text('City', 40),
        text('State', 80, { label: 'State/Province' }),
        text('PostalCode', 20, { label: 'Zip/Postal Code' }),
        text('Country', 80),
        field('Website', 'url', { length: 255 }),
        field('Status', 'picklist', {
          length: 40,
          picklist: leadStatuses,
          defaultValue: 'Open - Not Contacted',
          nillable: false,
          defaultedOnCreate: true,
          restrictedPicklist: true,
        }),
        field('Industry', 'picklist', { length: 40, picklist: industryPicklist }),
        field('Rating', 'picklist', { length: 40, picklist: ['Hot', 'Warm', 'Cold'] }),
        field('AnnualRevenue', 'currency', { precision: 18, scale: 0 }),
        field('NumberOfEmployees', 'int', { digits: 8, label: 'Employees' }),
        field('IsConverted', 'boolean', { ...readOnly, label: 'Converted' }),
        field('ConvertedDate', 'date', { ...readOnly }),
        ref('ConvertedAccountId', 'Account', 'ConvertedAccount', {
          ...readOnly,
          label: 'Converted Account ID',
        }),
        ref('ConvertedContactId', 'Contact', 'ConvertedContact', {
          ...readOnly,
          label: 'Converted Contact ID',
        }),
        text('HubSpot_Contact_Id__c', 40, {
          externalId: true,
          unique: true,
          idLookup: true,
          label: 'HubSpot Contact ID',
        }),
      ],
    },
    Contact: {
      label: 'Contact',
      plural: 'Contacts',
      keyPrefix: '003',
      fields: [
        ...systemFields(true),
        ref('AccountId', 'Account', 'Account', { label: 'Account ID' }),
        ...person(['User']),
        field('MailingStreet', 'textarea', { length: 255 }),
        text('MailingCity', 40),
        text('MailingState', 80, { label: 'Mailing State/Province' }),
        text('MailingPostalCode', 20, { label: 'Mailing Zip/Postal Code' }),
        text('MailingCountry', 80),
        text('Department', 80),
        field('Birthdate', 'date'),
        text('HubSpot_Contact_Id__c', 40, {
          externalId: true,
          unique: true,
          idLookup: true,
          label: 'HubSpot Contact ID',
        }),
      ],
    },
    Account: {
      label: 'Account',
      plural: 'Accounts',
      keyPrefix: '001',
      fields: [
        ...systemFields(true),
        text('Name', 255, { nillable: false, label: 'Account Name' }),
        field('Type', 'picklist', { length: 40, picklist: ['Prospect', 'Customer', 'Partner', 'Other'] }),
        field('Industry', 'picklist', { length: 40, picklist: industryPicklist }),
        field('AnnualRevenue', 'currency', { precision: 18, scale: 0 }),
        field('NumberOfEmployees', 'int', { digits: 8, label: 'Employees' }),
        field('Website', 'url', { length: 255 }),
        field('Phone', 'phone', { length: 40 }),
        field('BillingStreet', 'textarea', { length: 255 }),
        text('BillingCity', 40),
        text('BillingState', 80),
        text('BillingPostalCode', 20),
        text('BillingCountry', 80),
        field('Description', 'textarea', { length: 32000 }),
        ref('OwnerId', 'User', 'Owner', { nillable: false, defaultedOnCreate: true, label: 'Owner ID' }),
        text('HubSpot_Company_Id__c', 40, {
          externalId: true,
          unique: true,
          idLookup: true,
          label: 'HubSpot Company ID',
        }),
      ],
    },
    Campaign: {
      label: 'Campaign',
      plural: 'Campaigns',
      keyPrefix: '701',
      fields: [
        ...systemFields(false),
        text('Name', 80, { nillable: false }),
        field('Type', 'picklist', {
          length: 40,
          picklist: ['Conference', 'Webinar', 'Email', 'Advertisement', 'Other'],
        }),
        field('Status', 'picklist', {
          length: 40,
          picklist: ['Planned', 'In Progress', 'Completed', 'Aborted'],
          defaultValue: 'Planned',
          // A picklist's default applies to records inserted through the API too.
          defaultedOnCreate: true,
        }),
        field('IsActive', 'boolean', { label: 'Active' }),
        field('StartDate', 'date'),
        field('EndDate', 'date'),
        field('Description', 'textarea', { length: 32000 }),
        ref('OwnerId', 'User', 'Owner', { nillable: false, defaultedOnCreate: true, label: 'Owner ID' }),
      ],
    },
    CampaignMember: {
      label: 'Campaign Member',
      plural: 'Campaign Members',
      keyPrefix: '00v',
      fields: [
        ...systemFields(false),
        ref('CampaignId', 'Campaign', 'Campaign', {
          nillable: false,
          updateable: false,
          label: 'Campaign ID',
        }),
        ref('LeadId', 'Lead', 'Lead', { updateable: false, label: 'Lead ID' }),
        ref('ContactId', 'Contact', 'Contact', { updateable: false, label: 'Contact ID' }),
        field('Status', 'picklist', {
          length: 40,
          picklist: ['Sent', 'Responded'],
          defaultValue: 'Sent',
          defaultedOnCreate: true,
          restrictedPicklist: true,
        }),
        field('HasResponded', 'boolean', { ...readOnly, calculated: true, label: 'Responded' }),
        field('FirstRespondedDate', 'date', { ...readOnly }),
      ],
    },
    User: {
      label: 'User',
      plural: 'Users',
      keyPrefix: '005',
      fields: [
        ...systemFields(false).filter((f) => f.name !== 'IsDeleted'),
        text('Username', 80, { nillable: false, unique: true, idLookup: true }),
        text('LastName', 80, { nillable: false }),
        text('FirstName', 40),
        text('Name', 121, { calculated: true, createable: false, updateable: false, label: 'Full Name' }),
        field('Email', 'email', { length: 128, nillable: false }),
        text('Alias', 8, { nillable: false }),
        field('IsActive', 'boolean', { label: 'Active' }),
      ],
    },
    Group: {
      label: 'Group',
      plural: 'Groups',
      keyPrefix: '00G',
      fields: [
        ...systemFields(false).filter((f) => f.name !== 'IsDeleted'),
        text('Name', 40, { nillable: false, label: 'Name' }),
        text('DeveloperName', 80, { nillable: false, label: 'Developer Name' }),
        field('Type', 'picklist', {
          length: 40,
          picklist: groupTypes,
          nillable: false,
          restrictedPicklist: true,
        }),
        field('Email', 'email', { length: 255 }),
        field('DoesSendEmailToMembers', 'boolean', { label: 'Send Email to Members' }),
      ],
    },
  };

/** Objects the emulator serves read-only (Salesforce lets an admin write them; the sync never does). */
const readOnlyObjects = new Set(['User', 'Group']);

function buildObject(name: string): ObjectDef {
  const spec = objectSpecs[name]!;
  // MasterRecordId points at the object itself.
  const fields = spec.fields.map((f) => (f.name === 'MasterRecordId' ? { ...f, referenceTo: [name] } : f));
  return {
    name,
    label: spec.label,
    labelPlural: spec.plural,
    keyPrefix: spec.keyPrefix,
    createable: !readOnlyObjects.has(name),
    updateable: !readOnlyObjects.has(name),
    deletable: !readOnlyObjects.has(name),
    fields,
    fieldsByLowerName: new Map(fields.map((f) => [f.name.toLowerCase(), f])),
    relationshipsByLowerName: new Map(
      fields.filter((f) => f.relationshipName !== null).map((f) => [f.relationshipName!.toLowerCase(), f]),
    ),
  };
}

/** Every sObject the emulator serves, by API name. */
export const objects: ReadonlyMap<string, ObjectDef> = new Map(
  Object.keys(objectSpecs).map((name) => [name, buildObject(name)]),
);
const objectsByLowerName = new Map([...objects.values()].map((o) => [o.name.toLowerCase(), o]));
const objectsByPrefix = new Map([...objects.values()].map((o) => [o.keyPrefix, o]));

/** Looks an sObject up by API name, case-insensitively. */
export function findObject(name: string): ObjectDef | undefined {
  return objectsByLowerName.get(name.toLowerCase());
}

/** The sObject an id belongs to, by its key prefix. */
export function objectOfId(id: string): ObjectDef | undefined {
  return objectsByPrefix.get(id.slice(0, 3));
}

/** A reference that may point at more than one object (Lead.OwnerId: a user or a queue). */
export function isPolymorphic(f: FieldDef): boolean {
  return f.referenceTo.length > 1;
}

/**
 * `Name`: what SOQL reaches through a polymorphic relationship (`Lead.Owner.Email`), whatever the
 * parent is. It cannot be queried by itself. `Type` is the parent's kind (`User`, `Queue`); `Email`,
 * `IsActive`, `Alias` and `Username` have a value only when the parent is a user.
 */
export const nameObject: ObjectDef = (() => {
  const fields = [
    field('Id', 'id', { length: 18 }),
    text('Name', 121),
    text('FirstName', 40),
    text('LastName', 80),
    text('Alias', 8),
    field('Email', 'email', { length: 128 }),
    text('Username', 80),
    field('IsActive', 'boolean', { nillable: true }),
    field('Type', 'picklist', { length: 40, picklist: ['User', 'Queue'], restrictedPicklist: true }),
  ].map((f) => ({ ...f, createable: false, updateable: false }));
  return {
    name: 'Name',
    label: 'Name',
    labelPlural: 'Names',
    keyPrefix: '',
    createable: false,
    updateable: false,
    deletable: false,
    fields,
    fieldsByLowerName: new Map(fields.map((f) => [f.name.toLowerCase(), f])),
    relationshipsByLowerName: new Map(),
  };
})();

/** True when the field must be given on create (`createable && !nillable && !defaultedOnCreate`). */
export function isRequiredOnCreate(f: FieldDef): boolean {
  return f.createable && !f.nillable && !f.defaultedOnCreate;
}

export function isTextType(type: FieldType): boolean {
  return (
    type === 'string' ||
    type === 'textarea' ||
    type === 'email' ||
    type === 'phone' ||
    type === 'url' ||
    type === 'picklist' ||
    type === 'multipicklist' ||
    type === 'id' ||
    type === 'reference'
  );
}

export function isNumberType(type: FieldType): boolean {
  return type === 'int' || type === 'double' || type === 'currency' || type === 'percent';
}

const soapTypes: Record<FieldType, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  email: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  picklist: 'xsd:string',
  multipicklist: 'xsd:string',
  boolean: 'xsd:boolean',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
};

/** The field as `describe` reports it. */
export function describeField(f: FieldDef): Record<string, unknown> {
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    soapType: soapTypes[f.type],
    length: f.length,
    byteLength: isTextType(f.type) ? f.length * 3 : 0,
    digits: f.digits,
    precision: f.precision,
    scale: f.scale,
    nillable: f.nillable,
    createable: f.createable,
    updateable: f.updateable,
    defaultedOnCreate: f.defaultedOnCreate,
    calculated: f.calculated,
    custom: f.custom,
    externalId: f.externalId,
    unique: f.unique,
    idLookup: f.idLookup,
    caseSensitive: false,
    filterable: true,
    sortable: f.type !== 'textarea' || f.length <= 255,
    groupable: f.type !== 'textarea' && f.type !== 'double' && f.type !== 'currency',
    autoNumber: false,
    nameField: f.name === 'Name',
    referenceTo: f.referenceTo,
    relationshipName: f.relationshipName,
    namePointing: isPolymorphic(f),
    polymorphicForeignKey: isPolymorphic(f),
    restrictedPicklist: f.restrictedPicklist,
    dependentPicklist: false,
    picklistValues: f.picklistValues.map((p) => ({ ...p, validFor: null })),
    defaultValue: f.type === 'boolean' ? false : null,
    htmlFormatted: false,
    deprecatedAndHidden: false,
  };
}
