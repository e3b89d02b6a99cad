/**
 * SPEC F11: value maps. A mapping between a HubSpot enumeration and a Salesforce picklist may carry a
 * **value map**: which Salesforce value each HubSpot value writes, and which HubSpot value each
 * Salesforce value writes. Each direction is its own table, so many values may share one in either
 * direction; the other table then declares the **way back** (several HubSpot statuses write
 * `Working - Contacted`; `Working - Contacted` writes `IN_PROGRESS`). A value with no entry is a
 * Property value error whose fix names the map and the value: never passed through, never dropped.
 *
 * Lead Status (`hs_lead_status` ⇄ `Status`) ships with a map (`LEAD_STATUS_MAP`): HubSpot's default
 * statuses and Salesforce's standard ones. Any other pair gets a suggested map, by internal values
 * and labels, that the user confirms.
 *
 * Comparing a Salesforce value with a HubSpot one goes through the map. With many-to-one entries a
 * Salesforce value has several HubSpot forms: `salesforceInHubSpotForm` picks the one the contact
 * holds, else the one last agreed, else the way back, so that a value both sides agree on is never
 * seen as a change (F10: no flip-flop between `OPEN` and `NEW`).
 *
 * Pure: no I/O, no clock.
 */
import { fail, ok, type HsProperty, type Mapping, type Result, type SfField } from './model.ts';

export interface ValueMap {
  /** HubSpot value (internal value) → the Salesforce value it writes. */
  readonly toSalesforce: Readonly<Record<string, string>>;
  /** Salesforce value → the HubSpot value it writes: the way back. */
  readonly toHubSpot: Readonly<Record<string, string>>;
}

export const EMPTY_VALUE_MAP: ValueMap = { toSalesforce: {}, toHubSpot: {} };

/**
 * F11: the shipped Lead Status map. HubSpot's statuses by how far a lead got: not yet worked (`NEW`,
 * `OPEN`), being worked (`IN_PROGRESS`, `ATTEMPTED_TO_CONTACT`, `CONNECTED`, `OPEN_DEAL`), or closed
 * without a sale (`UNQUALIFIED`, `BAD_TIMING`). Salesforce's converted status is not a status a sync
 * may set (only a conversion sets it), so no HubSpot status writes it; a converted lead shows as
 * `OPEN_DEAL` in HubSpot.
 */
export const LEAD_STATUS_MAP: ValueMap = {
  toSalesforce: {
    NEW: 'Open - Not Contacted',
    OPEN: 'Open - Not Contacted',
    IN_PROGRESS: 'Working - Contacted',
    ATTEMPTED_TO_CONTACT: 'Working - Contacted',
    CONNECTED: 'Working - Contacted',
    OPEN_DEAL: 'Working - Contacted',
    UNQUALIFIED: 'Closed - Not Converted',
    BAD_TIMING: 'Closed - Not Converted',
  },
  toHubSpot: {
    'Open - Not Contacted': 'NEW',
    'Working - Contacted': 'IN_PROGRESS',
    'Closed - Converted': 'OPEN_DEAL',
    'Closed - Not Converted': 'UNQUALIFIED',
  },
};

const isLeadStatus = (m: Pick<Mapping, 'hsProperty' | 'sfField'>) =>
  m.hsProperty === 'hs_lead_status' && m.sfField === 'Status';

/**
 * The value map in force for a mapping: its own; none when it was cleared (`null`); and for Lead
 * Status never given one, the shipped map (mappings saved before F11 included).
 */
export function valueMapOf(m: Mapping): ValueMap | null {
  if (m.valueMap !== undefined) return m.valueMap;
  return isLeadStatus(m) ? LEAD_STATUS_MAP : null;
}

/** How the map is named in errors and fixes: `hs_lead_status ⇄ Status`. */
export const mapName = (m: Pick<Mapping, 'hsProperty' | 'sfField'>): string =>
  `${m.hsProperty} ⇄ ${m.sfField}`;

/** Whether a pair can carry a value map: a single-value HubSpot enumeration and a single-value picklist. */
export function checkValueMapPair(
  m: Pick<Mapping, 'hsProperty' | 'sfField'>,
  property: HsProperty,
  fields: readonly SfField[],
): Result<true> {
  const single =
    property.type === 'enumeration' &&
    property.fieldType !== 'checkbox' &&
    property.fieldType !== 'booleancheckbox';
  const picklists = fields.length > 0 && fields.every((f) => f.type === 'picklist');
  if (single && picklists) return ok(true);
  return fail(
    'value_map_not_allowed',
    `${mapName(m)} cannot carry a value map: value maps pair a single-value HubSpot enumeration (select or radio) with a Salesforce picklist; this is ${property.type}/${property.fieldType} and ${fields.map((f) => f.type).join('/') || 'no field'}.`,
    'Map the values in one of the systems instead, or map a picklist property.',
  );
}

/** F11, HubSpot → Salesforce: the Salesforce value `hsValue` writes (`""` stays `""`). */
export function mapToSalesforce(
  m: Pick<Mapping, 'hsProperty' | 'sfField'>,
  map: ValueMap,
  hsValue: string,
): Result<string> {
  if (hsValue === '') return ok('');
  const sf = entry(map.toSalesforce, hsValue);
  if (sf !== undefined) return ok(sf);
  return fail(
    'property_value',
    `HubSpot ${m.hsProperty} "${hsValue}" has no entry in the ${mapName(m)} value map.`,
    `Say which Salesforce value it writes: crosswalk mappings values ${m.hsProperty} set ${shellWord(hsValue)} <Salesforce value> (or in the console's Mappings screen).`,
  );
}

/** F11, Salesforce → HubSpot: the HubSpot value `sfValue` writes, its way back (`""` stays `""`). */
export function mapToHubSpot(
  m: Pick<Mapping, 'hsProperty' | 'sfField'>,
  map: ValueMap,
  sfValue: string,
): Result<string> {
  if (sfValue === '') return ok('');
  const hs = entry(map.toHubSpot, sfValue);
  if (hs !== undefined) return ok(hs);
  return fail(
    'property_value',
    `Salesforce ${m.sfField} "${sfValue}" has no entry in the ${mapName(m)} value map.`,
    `Say which HubSpot value it writes: crosswalk mappings values ${m.hsProperty} set <HubSpot value> ${shellWord(sfValue)} --way-back (or in the console's Mappings screen).`,
  );
}

/**
 * A Salesforce value in HubSpot's form, for comparing (F9, F10): the contact's value `hs` when it
 * writes `sfValue`, else the value last agreed when it does, else the way back (which may fail: no entry).
 */
export function salesforceInHubSpotForm(
  m: Pick<Mapping, 'hsProperty' | 'sfField'>,
  map: ValueMap,
  sfValue: string,
  hs: string,
  agreed: string | null,
): Result<string> {
  if (sfValue === '') return ok('');
  for (const candidate of [hs, agreed]) {
    if (candidate === null || candidate === '') continue;
    const writes = entry(map.toSalesforce, candidate);
    if (writes !== undefined && writes.toLowerCase() === sfValue.toLowerCase()) return ok(candidate);
  }
  return mapToHubSpot(m, map, sfValue);
}

/** A table's value for `key`, matched exactly, else ignoring case (both APIs ignore case for options). */
function entry(table: Readonly<Record<string, string>>, key: string): string | undefined {
  if (Object.hasOwn(table, key)) return table[key];
  const lower = key.toLowerCase();
  const found = Object.keys(table).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : table[found];
}

const shellWord = (value: string): string =>
  /^[\w.-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

/** What a pair's values are checked against when a map is edited. */
export interface ValueMapTarget {
  readonly mapping: Pick<Mapping, 'hsProperty' | 'sfField'>;
  readonly property: HsProperty;
  /** The field on each object that has it (Lead and Contact may both). */
  readonly fields: readonly SfField[];
}

function checkHubSpotValue(t: ValueMapTarget, hs: string): Result<string> {
  const known = t.property.options.find((o) => o.toLowerCase() === hs.toLowerCase());
  if (known !== undefined) return ok(known);
  return fail(
    'unknown_value',
    `"${hs}" is not an option of HubSpot ${t.property.name}.`,
    `Use an internal value: ${t.property.options.join(', ') || '(the property has no options)'}.`,
  );
}

function checkSalesforceValue(t: ValueMapTarget, sf: string): Result<string> {
  for (const field of t.fields) {
    const known = field.picklistValues.find((v) => v.toLowerCase() === sf.toLowerCase());
    if (known !== undefined) return ok(known);
  }
  const values = [...new Set(t.fields.flatMap((f) => f.picklistValues))];
  return fail(
    'unknown_value',
    `"${sf}" is not a value of the Salesforce picklist ${t.mapping.sfField}.`,
    `Use one of: ${values.join(', ') || '(the picklist has no values)'}.`,
  );
}

/**
 * F11: `hs` writes `sf`, and (unless `sf` already has a way back, or `wayBack` says so) `sf` writes
 * `hs`. Both values are checked against the property's options and the picklist's values.
 */
export function setValue(
  t: ValueMapTarget,
  map: ValueMap,
  hsValue: string,
  sfValue: string,
  options: { readonly wayBack?: boolean } = {},
): Result<ValueMap> {
  const hs = checkHubSpotValue(t, hsValue);
  if (!hs.ok) return hs;
  const sf = checkSalesforceValue(t, sfValue);
  if (!sf.ok) return sf;
  return ok(withValue(map, hs.value, sf.value, options.wayBack === true));
}

/**
 * `hs` writes `sf`, and `sf` writes `hs` back unless it has a way back already (or `wayBack`): the
 * entry alone, unchecked (the console edits with it; the service checks the map it is sent).
 */
export function withValue(map: ValueMap, hs: string, sf: string, wayBack: boolean): ValueMap {
  const back = entry(map.toHubSpot, sf);
  return {
    toSalesforce: { ...withoutKey(map.toSalesforce, hs), [hs]: sf },
    toHubSpot: { ...withoutKey(map.toHubSpot, sf), [sf]: wayBack || back === undefined ? hs : back },
  };
}

/**
 * F11: `hs` no longer writes anything (a value with no entry is an error, not a pass-through), and no
 * Salesforce value comes back as it: each such value's way back goes to another HubSpot value that
 * writes it, if there is one, else it is removed too.
 */
export function removeValue(
  t: Pick<ValueMapTarget, 'mapping'>,
  map: ValueMap,
  hsValue: string,
): Result<ValueMap> {
  const hs = Object.keys(map.toSalesforce).find((k) => k.toLowerCase() === hsValue.toLowerCase());
  if (hs === undefined)
    return fail(
      'no_value_map_entry',
      `"${hsValue}" has no entry in the ${mapName(t.mapping)} value map.`,
      `See the map: crosswalk mappings values ${t.mapping.hsProperty}.`,
    );
  const toSalesforce = withoutKey(map.toSalesforce, hs);
  const toHubSpot: Record<string, string> = {};
  for (const [sf, back] of Object.entries(map.toHubSpot)) {
    if (back !== hs) toHubSpot[sf] = back;
    else {
      const other = Object.keys(toSalesforce).find((k) => toSalesforce[k] === sf);
      if (other !== undefined) toHubSpot[sf] = other;
    }
  }
  return ok({ toSalesforce, toHubSpot });
}

function withoutKey(table: Readonly<Record<string, string>>, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(table)) if (k.toLowerCase() !== key.toLowerCase()) out[k] = v;
  return out;
}

/** A suggested map and the values it could not pair (the user pairs them, or leaves them out). */
export interface SuggestedMap {
  readonly map: ValueMap;
  readonly unmatchedHubSpot: readonly string[];
  readonly unmatchedSalesforce: readonly string[];
}

const normal = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
const words = (s: string): Set<string> =>
  new Set(
    s
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length > 1),
  );

/** Share of words two names have in common (0 to 1). */
function overlap(a: string, b: string): number {
  const wa = words(a);
  const wb = words(b);
  if (wa.size === 0 || wb.size === 0) return 0;
  let common = 0;
  for (const w of wa) if (wb.has(w)) common++;
  return common / Math.max(wa.size, wb.size);
}

/**
 * F11: a suggested map for a pair: each HubSpot option paired with the picklist value that has the
 * same internal value or label (ignoring case, spaces and punctuation), else the one sharing most
 * words with it (at least half), when that one is the best by a margin. Pairs both ways, one to one;
 * what is left is listed for the user.
 */
export function suggestValueMap(t: ValueMapTarget): SuggestedMap {
  const hsValues = t.property.options;
  const hsLabel = (v: string) => t.property.optionLabels?.[v] ?? v;
  const sfValues = [...new Set(t.fields.flatMap((f) => f.picklistValues))];
  const sfLabel = (v: string) => t.fields.map((f) => f.picklistLabels?.[v]).find((l) => l !== undefined) ?? v;
  const namesOf = (value: string, label: string) => [...new Set([value, label])];
  const toSalesforce: Record<string, string> = {};
  const toHubSpot: Record<string, string> = {};
  const takenSf = new Set<string>();
  const pair = (hs: string, sf: string) => {
    toSalesforce[hs] = sf;
    toHubSpot[sf] = hs;
    takenSf.add(sf);
  };
  // Exact names first, for every value, so a fuzzy match never takes a value an exact one needs.
  for (const hs of hsValues) {
    const names = namesOf(hs, hsLabel(hs)).map(normal);
    const sf = sfValues.find(
      (v) => !takenSf.has(v) && namesOf(v, sfLabel(v)).some((n) => names.includes(normal(n))),
    );
    if (sf !== undefined) pair(hs, sf);
  }
  for (const hs of hsValues) {
    if (Object.hasOwn(toSalesforce, hs)) continue;
    const scored = sfValues
      .filter((v) => !takenSf.has(v))
      .map((v) => ({
        v,
        score: Math.max(
          ...namesOf(hs, hsLabel(hs)).flatMap((a) => namesOf(v, sfLabel(v)).map((b) => overlap(a, b))),
        ),
      }))
      .sort((a, b) => b.score - a.score);
    const [best, next] = scored;
    if (best && best.score >= 0.5 && (!next || best.score > next.score)) pair(hs, best.v);
  }
  return {
    map: { toSalesforce, toHubSpot },
    unmatchedHubSpot: hsValues.filter((v) => !Object.hasOwn(toSalesforce, v)),
    unmatchedSalesforce: sfValues.filter((v) => !takenSf.has(v)),
  };
}

/** Checks a whole map against the pair (the API gives one): every value known, in its own spelling. */
export function checkValueMap(t: ValueMapTarget, map: ValueMap): Result<ValueMap> {
  const toSalesforce: Record<string, string> = {};
  const toHubSpot: Record<string, string> = {};
  for (const [table, hsFirst] of [
    [map.toSalesforce, true],
    [map.toHubSpot, false],
  ] as const) {
    for (const [key, value] of Object.entries(table)) {
      const hs = checkHubSpotValue(t, hsFirst ? key : value);
      if (!hs.ok) return hs;
      const sf = checkSalesforceValue(t, hsFirst ? value : key);
      if (!sf.ok) return sf;
      if (hsFirst) toSalesforce[hs.value] = sf.value;
      else toHubSpot[sf.value] = hs.value;
    }
  }
  return ok({ toSalesforce, toHubSpot });
}
