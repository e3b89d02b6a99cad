/**
 * HubSpot emulator routes: the Properties API (`/crm/v3/properties/{objectType}`) for contacts and
 * companies — list, read, create, update and archive definitions. Definitions live in
 * `portal.properties`, so a property created here is at once writable (and value-checked) through the
 * objects API; an archived one is kept aside and listed with `archived=true`.
 */
import type { FastifyRequest } from 'fastify';
import {
  jsonKind,
  jsonObject,
  listParam,
  booleanParam,
  objectTypeParam,
  sendJson,
  type HubSpotContext,
} from './context.ts';
import { HubSpotError, validationError, type ErrorDetail } from './errors.ts';
import {
  checkValue,
  fieldTypes,
  fieldTypesByType,
  objectTypeIds,
  objectTypes,
  propertyTypes,
  type FieldType,
  type ObjectType,
  type PropertyDef,
  type PropertyOption,
  type PropertyType,
} from './properties.ts';

/** A definition as this module stores it: the shared shape plus what only the Properties API shows. */
export interface StoredProperty extends PropertyDef {
  readonly hidden?: boolean;
  readonly calculationFormula?: string;
}

interface ArchivedProperty {
  readonly def: StoredProperty;
  readonly archivedAt: number;
}

/** Property groups a new property may go in (HubSpot's default groups for each object). */
export const propertyGroups: Record<ObjectType, readonly string[]> = {
  contacts: [
    'contactinformation',
    'emailinformation',
    'conversioninformation',
    'salesforceinformation',
    'sales_properties',
    'analyticsinformation',
    'socialmediainformation',
    'contact_activity',
    'deal_information',
    'facebook_ads_properties',
  ],
  companies: [
    'companyinformation',
    'salesforceinformation',
    'sales_properties',
    'analyticsinformation',
    'socialmediainformation',
    'company_activity',
    'target_accounts',
    'facebook_company_information',
  ],
};

const NAME = /^[a-z][a-z0-9_]*$/;
const MAX_NAME = 100;
const MAX_OPTIONS = 5000;

export function registerPropertyRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;
  const archived: Record<ObjectType, Map<string, ArchivedProperty>> = {
    contacts: new Map(),
    companies: new Map(),
  };
  portal.onReset(() => {
    for (const type of objectTypes) archived[type].clear();
  });

  const base = '/crm/v3/properties/:objectType';
  const nameParam = (request: FastifyRequest) => (request.params as { propertyName: string }).propertyName;
  const live = (type: ObjectType, name: string): StoredProperty | undefined =>
    portal.properties[type].get(name);
  const requireLive = (type: ObjectType, name: string): StoredProperty => {
    const def = live(type, name);
    if (!def) throw propertyNotFound(type, name);
    return def;
  };

  app.get(base, async (request, reply) => {
    const type = objectTypeParam(request);
    const query = request.query as Record<string, unknown>;
    const only = listParam(query.properties);
    const wanted = (name: string) => !only || only.length === 0 || only.includes(name);
    const results = booleanParam(query.archived)
      ? [...archived[type].values()]
          .filter((a) => wanted(a.def.name))
          .map((a) => renderProperty(a.def, a.archivedAt))
      : [...portal.properties[type].values()].filter((d) => wanted(d.name)).map((d) => renderProperty(d));
    return sendJson(reply, 200, { results });
  });

  app.get(`${base}/:propertyName`, async (request, reply) => {
    const type = objectTypeParam(request);
    const name = nameParam(request);
    if (booleanParam((request.query as Record<string, unknown>).archived)) {
      const gone = archived[type].get(name);
      if (!gone) throw propertyNotFound(type, name);
      return sendJson(reply, 200, renderProperty(gone.def, gone.archivedAt));
    }
    return sendJson(reply, 200, renderProperty(requireLive(type, name)));
  });

  app.post(base, async (request, reply) => {
    const type = objectTypeParam(request);
    const body = jsonObject(request);
    const missing = ['name', 'label', 'type', 'fieldType', 'groupName'].filter(
      (field) => body[field] === undefined || body[field] === null,
    );
    if (missing.length > 0) {
      throw validationError(
        `Invalid input JSON on line 1, column 1: Some required fields were not set: [${missing.join(', ')}]`,
        missing.map((field) => ({ message: `${field} is required`, in: field, code: 'REQUIRED_FIELD' })),
      );
    }
    const name = stringField(body, 'name')!;
    if (name.length > MAX_NAME || !NAME.test(name) || name.startsWith('hs_')) {
      throw validationError(
        `Property name "${name}" is invalid: use lower-case letters, digits and underscores, start with a letter, do not start with "hs_" (reserved for HubSpot), at most ${MAX_NAME} characters.`,
        [{ message: 'invalid property name', in: 'name', code: 'INVALID_PROPERTY_NAME' }],
      );
    }
    if (live(type, name)) {
      throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`, {
        context: { name: [name], objectTypeId: [objectTypeIds[type]] },
      });
    }
    const at = new Date(ctx.now()).toISOString();
    const def = buildDefinition(type, body, {
      name,
      hubspotDefined: false,
      readOnlyValue: false,
      createdAt: at,
      updatedAt: at,
    });
    if (def.hasUniqueValue && def.type !== 'string' && def.type !== 'number') {
      throw validationError(
        `Property "${name}" cannot have unique values: only string and number properties can (type is ${def.type}).`,
        [{ message: 'hasUniqueValue needs type string or number', in: 'hasUniqueValue' }],
      );
    }
    // A re-created name starts empty: the old definition's values went with it.
    if (archived[type].delete(name)) {
      for (const object of portal.objects[type].values()) object.values.delete(name);
    }
    portal.properties[type].set(name, def);
    return sendJson(reply, 201, renderProperty(def));
  });

  app.patch(`${base}/:propertyName`, async (request, reply) => {
    const type = objectTypeParam(request);
    const name = nameParam(request);
    const current = requireLive(type, name);
    const body = jsonObject(request);
    const updatable = [
      'label',
      'description',
      'groupName',
      'type',
      'fieldType',
      'options',
      'displayOrder',
      'hidden',
      'formField',
      'calculationFormula',
    ];
    const patch = Object.fromEntries(
      Object.entries(body).filter(([key, value]) => updatable.includes(key) && value !== undefined),
    );
    if (current.hubspotDefined) assertDefinedPatch(current, patch);
    const merged: Record<string, unknown> = { ...definitionInput(current), ...patch };
    const def = buildDefinition(type, merged, {
      name,
      hubspotDefined: current.hubspotDefined,
      readOnlyValue: current.readOnlyValue,
      createdAt: current.createdAt,
      updatedAt: new Date(ctx.now()).toISOString(),
      ...(current.referencedObjectType ? { referencedObjectType: current.referencedObjectType } : {}),
      hasUniqueValue: current.hasUniqueValue,
    });
    // Removing an option leaves values that used it in place (as HubSpot does); a new type must fit them.
    if (def.type !== current.type || def.fieldType !== current.fieldType) {
      assertValuesFit(portal.objects[type].values(), def);
    }
    portal.properties[type].set(name, def);
    return sendJson(reply, 200, renderProperty(def));
  });

  app.delete(`${base}/:propertyName`, async (request, reply) => {
    const type = objectTypeParam(request);
    const name = nameParam(request);
    const def = requireLive(type, name);
    if (def.hubspotDefined) {
      throw validationError(`"${name}" is a HubSpot-defined property and cannot be archived.`, [
        { message: 'HubSpot-defined properties cannot be archived', in: 'propertyName', code: 'READ_ONLY' },
      ]);
    }
    portal.properties[type].delete(name);
    archived[type].set(name, { def, archivedAt: ctx.now() });
    return reply.code(204).send();
  });
}

// ---------------------------------------------------------------------------------------------------
// Rendering

/** A definition as the API returns it (the SDK's `Property`). */
export function renderProperty(def: StoredProperty, archivedAt?: number): Record<string, unknown> {
  const enumerated = def.type === 'enumeration' || def.type === 'bool';
  return {
    updatedAt: def.updatedAt,
    createdAt: def.createdAt,
    name: def.name,
    label: def.label,
    type: def.type,
    fieldType: def.fieldType,
    description: def.description,
    groupName: def.groupName,
    options: def.options.map((o) => ({
      label: o.label,
      value: o.value,
      displayOrder: o.displayOrder,
      hidden: o.hidden,
      ...(o.description !== undefined ? { description: o.description } : {}),
    })),
    ...(def.referencedObjectType ? { referencedObjectType: def.referencedObjectType } : {}),
    ...(def.calculationFormula !== undefined ? { calculationFormula: def.calculationFormula } : {}),
    displayOrder: def.displayOrder,
    calculated: def.calculated,
    externalOptions: false,
    hasUniqueValue: def.hasUniqueValue,
    hidden: def.hidden ?? false,
    hubspotDefined: def.hubspotDefined,
    showCurrencySymbol: false,
    modificationMetadata: {
      archivable: !def.hubspotDefined,
      readOnlyDefinition: def.hubspotDefined,
      readOnlyValue: def.readOnlyValue || def.calculated,
      ...(enumerated
        ? {
            readOnlyOptions:
              def.readOnlyValue || def.referencedObjectType !== undefined || def.type === 'bool',
          }
        : {}),
    },
    formField: def.formField,
    archived: archivedAt !== undefined,
    ...(archivedAt !== undefined ? { archivedAt: new Date(archivedAt).toISOString() } : {}),
  };
}

function propertyNotFound(type: ObjectType, name: string): HubSpotError {
  return new HubSpotError(
    404,
    'OBJECT_NOT_FOUND',
    `Unable to find property ${name} for object type ${objectTypeIds[type]}`,
    { context: { propertyName: [name], objectTypeId: [objectTypeIds[type]] } },
  );
}

// ---------------------------------------------------------------------------------------------------
// Checking definitions

type Fixed = Pick<PropertyDef, 'name' | 'hubspotDefined' | 'readOnlyValue' | 'createdAt' | 'updatedAt'> & {
  readonly referencedObjectType?: string;
  readonly hasUniqueValue?: boolean;
};

function wrongType(field: string, expected: string, value: unknown): HubSpotError {
  return validationError(
    `Invalid input JSON on line 1, column 1: Cannot deserialize value of type \`${expected}\` from ${jsonKind(value)} value for field "${field}"`,
    [{ message: `${field} must be ${expected === 'boolean' ? 'a boolean' : `a ${expected}`}`, in: field }],
  );
}

function stringField(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  // Like HubSpot's JSON reader, numbers and booleans are read as their text; objects and arrays are not.
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw wrongType(field, 'string', value);
}

function booleanField(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw wrongType(field, 'boolean', value);
}

function integerField(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw wrongType(field, 'int', value);
  return n;
}

function enumField<T extends string>(
  body: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
): T | undefined {
  const value = stringField(body, field);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw validationError(
      `Invalid input JSON on line 1, column 1: Cannot deserialize value of type \`${field}\` from String "${value}": not one of the values accepted for Enum class: [${allowed.join(', ')}]`,
      [{ message: `${field} must be one of ${allowed.join(', ')}`, in: field, code: 'INVALID_ENUM' }],
    );
  }
  return value as T;
}

/** The fields of a stored definition, as create input, for merging with an update. */
function definitionInput(def: StoredProperty): Record<string, unknown> {
  return {
    label: def.label,
    description: def.description,
    groupName: def.groupName,
    type: def.type,
    fieldType: def.fieldType,
    options: def.options,
    displayOrder: def.displayOrder,
    hidden: def.hidden ?? false,
    formField: def.formField,
    hasUniqueValue: def.hasUniqueValue,
    ...(def.calculationFormula !== undefined ? { calculationFormula: def.calculationFormula } : {}),
    ...(def.referencedObjectType ? { referencedObjectType: def.referencedObjectType } : {}),
  };
}

/** Checks create input (or a stored definition merged with an update) and builds the definition. */
function buildDefinition(type: ObjectType, body: Record<string, unknown>, fixed: Fixed): StoredProperty {
  const label = stringField(body, 'label') ?? '';
  if (label.trim() === '') {
    throw validationError('Property label must not be empty.', [{ message: 'label is empty', in: 'label' }]);
  }
  const propertyType = enumField<PropertyType>(body, 'type', propertyTypes)!;
  const fieldType = enumField<FieldType>(body, 'fieldType', fieldTypes)!;
  const fitting = fieldTypesByType[propertyType];
  if (!fitting.includes(fieldType)) {
    throw validationError(
      `fieldType "${fieldType}" does not fit type "${propertyType}": use one of ${fitting.join(', ')}.`,
      [
        {
          message: `fieldType must be one of ${fitting.join(', ')}`,
          in: 'fieldType',
          code: 'INVALID_FIELD_TYPE',
        },
      ],
    );
  }
  const groupName = stringField(body, 'groupName') ?? '';
  if (!propertyGroups[type].includes(groupName)) {
    throw validationError(
      `Property group "${groupName}" does not exist for ${type}: use one of ${propertyGroups[type].join(', ')}.`,
      [{ message: 'unknown property group', in: 'groupName', code: 'INVALID_GROUP' }],
    );
  }
  const referencedObjectType = fixed.referencedObjectType ?? stringField(body, 'referencedObjectType');
  if (
    referencedObjectType !== undefined &&
    (referencedObjectType !== 'OWNER' || propertyType !== 'enumeration')
  ) {
    throw validationError(
      `referencedObjectType "${referencedObjectType}" is not supported: only OWNER, on an enumeration property.`,
      [{ message: 'unsupported referencedObjectType', in: 'referencedObjectType' }],
    );
  }
  let calculationFormula = stringField(body, 'calculationFormula');
  if (fieldType === 'calculation_equation') {
    if (!calculationFormula || calculationFormula.trim() === '') {
      throw validationError('A calculation_equation property needs a calculationFormula.', [
        { message: 'calculationFormula is required', in: 'calculationFormula' },
      ]);
    }
  } else {
    calculationFormula = undefined;
  }
  const options = checkOptions(propertyType, fieldType, body.options, referencedObjectType !== undefined);
  const hasUniqueValue = fixed.hasUniqueValue ?? booleanField(body, 'hasUniqueValue') ?? false;
  const def: StoredProperty = {
    name: fixed.name,
    label,
    type: propertyType,
    fieldType,
    groupName,
    description: stringField(body, 'description') ?? '',
    options,
    hasUniqueValue,
    hubspotDefined: fixed.hubspotDefined,
    calculated: calculationFormula !== undefined,
    formField: booleanField(body, 'formField') ?? false,
    displayOrder: integerField(body, 'displayOrder') ?? -1,
    readOnlyValue: fixed.readOnlyValue,
    ...(referencedObjectType !== undefined ? { referencedObjectType } : {}),
    createdAt: fixed.createdAt,
    updatedAt: fixed.updatedAt,
    hidden: booleanField(body, 'hidden') ?? false,
    ...(calculationFormula !== undefined ? { calculationFormula } : {}),
  };
  return def;
}

function checkOptions(
  type: PropertyType,
  fieldType: FieldType,
  raw: unknown,
  referencesOwners: boolean,
): PropertyOption[] {
  if (type !== 'enumeration' && type !== 'bool') return [];
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) throw wrongType('options', 'array', raw);
  const input = (raw ?? []) as unknown[];
  if (input.length > MAX_OPTIONS) {
    throw validationError(`A property can have at most ${MAX_OPTIONS} options (got ${input.length}).`, [
      { message: 'too many options', in: 'options' },
    ]);
  }
  const problems: ErrorDetail[] = [];
  const options: PropertyOption[] = [];
  input.forEach((item, i) => {
    const at = `options[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      problems.push({ message: `${at} must be an object with label and value`, in: at });
      return;
    }
    const o = item as Record<string, unknown>;
    const label = stringField(o, 'label');
    const value = stringField(o, 'value');
    if (label === undefined || value === undefined) {
      problems.push({
        message: `${at} needs ${[label === undefined ? 'label' : '', value === undefined ? 'value' : ''].filter(Boolean).join(' and ')}`,
        in: at,
      });
      return;
    }
    if (value.trim() === '') {
      problems.push({ message: `${at} has an empty value`, in: `${at}.value` });
      return;
    }
    if (fieldType === 'checkbox' && value.includes(';')) {
      problems.push({
        message: `${at} value "${value}" contains ";", which separates checkbox values`,
        in: at,
      });
      return;
    }
    const description = stringField(o, 'description');
    options.push({
      label,
      value,
      displayOrder: integerField(o, 'displayOrder') ?? i,
      hidden: booleanField(o, 'hidden') ?? false,
      ...(description !== undefined ? { description } : {}),
    });
  });
  if (problems.length > 0) {
    throw validationError(`Invalid options: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const o of options) (seen.has(o.value) ? duplicates : seen).add(o.value);
  if (duplicates.size > 0) {
    throw validationError(`Option values must be unique; repeated: [${[...duplicates].join(', ')}]`, [
      { message: 'duplicate option values', in: 'options', code: 'DUPLICATE_OPTION_VALUES' },
    ]);
  }
  if (type === 'bool') {
    if (options.length === 0) {
      return [
        { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
        { label: 'No', value: 'false', displayOrder: 1, hidden: false },
      ];
    }
    const values = options.map((o) => o.value).sort();
    if (values.join(',') !== 'false,true') {
      throw validationError('A bool property has exactly two options, with values "true" and "false".', [
        { message: 'bool options must be true and false', in: 'options' },
      ]);
    }
    return options;
  }
  if (options.length === 0 && !referencesOwners) {
    throw validationError(`An enumeration property (fieldType ${fieldType}) needs at least one option.`, [
      { message: 'options are required for enumeration properties', in: 'options', code: 'REQUIRED_FIELD' },
    ]);
  }
  return options;
}

/** HubSpot-defined properties keep their definition: only options (of plain enumerations) and display. */
function assertDefinedPatch(current: StoredProperty, patch: Record<string, unknown>): void {
  const locked = ['label', 'groupName', 'type', 'fieldType', 'calculationFormula'].filter(
    (field) =>
      patch[field] !== undefined &&
      JSON.stringify(patch[field]) !== JSON.stringify((current as unknown as Record<string, unknown>)[field]),
  );
  const optionsLocked =
    patch.options !== undefined &&
    (current.readOnlyValue || current.type !== 'enumeration' || current.referencedObjectType !== undefined);
  if (current.readOnlyValue && Object.keys(patch).length > 0) locked.push(...Object.keys(patch));
  else if (optionsLocked) locked.push('options');
  if (locked.length > 0) {
    const fields = [...new Set(locked)];
    throw validationError(
      `"${current.name}" is a HubSpot-defined property: ${fields.join(', ')} cannot be changed (read-only definition).`,
      fields.map((field) => ({ message: `${field} is read-only`, in: field, code: 'READ_ONLY_DEFINITION' })),
    );
  }
}

/** A changed type or field type must still accept every stored value. */
function assertValuesFit(
  objects: Iterable<{ id: string; values: Map<string, string> }>,
  def: StoredProperty,
): void {
  const bad: string[] = [];
  for (const object of objects) {
    const value = object.values.get(def.name);
    if (value === undefined) continue;
    if ('problem' in checkValue(def, value)) bad.push(object.id);
    if (bad.length >= 10) break;
  }
  if (bad.length > 0) {
    throw validationError(
      `Cannot change "${def.name}" to type ${def.type} (${def.fieldType}): existing values do not fit it (objects ${bad.join(', ')}${bad.length >= 10 ? ', …' : ''}).`,
      [{ message: 'existing values do not fit the new definition', in: 'type', code: 'INCOMPATIBLE_VALUES' }],
    );
  }
}
