/**
 * The HubSpot emulator's Properties API, driven through @hubspot/api-client 13.5.0 unchanged: the
 * standard properties the sync needs, creating one property of every type and then writing valid and
 * invalid values for it, refused definitions, updates, archiving, and bad requests.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Property, PropertyCreate } from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { hsError, problems, startHubSpot, type HubSpotFixture } from '../../helpers/hubspot.ts';
import { HubSpotError, type PropertyProblem } from '../../../src/emulators/hubspot/errors.ts';
import type { ObjectType } from '../../../src/emulators/hubspot/properties.ts';

type Rec = Record<string, unknown>;

/** SPEC F1/K1/K2/O1: contact properties the sync reads or writes. */
const requiredContactProperties = [
  'email',
  'firstname',
  'lastname',
  'salutation',
  'jobtitle',
  'company',
  'phone',
  'fax',
  'address',
  'city',
  'state',
  'zip',
  'country',
  'website',
  'industry',
  'annualrevenue',
  'numemployees',
  'description',
  'leadsource',
  'rating',
  'mailing_city',
  'mailing_country',
  'mailing_state',
  'mailing_street',
  'mailing_zip',
  'hubspot_owner_id',
  'hs_lead_status',
  'lifecyclestage',
  'salesforceleadid',
  'salesforcecontactid',
  'salesforceaccountid',
  'salesforcecampaignids',
  'hs_email_optout',
];

describe('HubSpot emulator: Properties API', () => {
  let hs: HubSpotFixture;
  let props: HubSpotFixture['client']['crm']['properties']['coreApi'];

  /** The problems a value write is refused with (through the same check the objects API uses). */
  const refused = (
    type: ObjectType,
    values: Rec,
  ): { status: number; category: string; problems: PropertyProblem[] } => {
    try {
      hs.emulator.portal.checkInput(type, values);
    } catch (error) {
      assert.ok(error instanceof HubSpotError, `expected a HubSpotError, got ${String(error)}`);
      return {
        status: error.status,
        category: error.category,
        problems: problems<PropertyProblem>(error.message),
      };
    }
    throw new Error(`expected ${JSON.stringify(values)} to be refused`);
  };

  /** Creates a contact property from a plain object (so tests can also send what the types forbid). */
  const create = (input: Rec, type = 'contacts') =>
    props.create(type, { groupName: 'contactinformation', ...input } as unknown as PropertyCreate);

  before(async () => {
    hs = await startHubSpot();
    props = hs.client.crm.properties.coreApi;
  });
  beforeEach(async () => {
    await hs.admin('POST', '/reset');
  });
  after(async () => {
    await hs.close();
  });

  describe('standard properties', () => {
    it('lists every contact property the sync needs, with the Property shape', async () => {
      const { results } = await props.getAll('contacts');
      const names = new Set(results.map((p) => p.name));
      const missing = requiredContactProperties.filter((n) => !names.has(n));
      assert.deepEqual(missing, []);
      const email = results.find((p) => p.name === 'email')!;
      assert.equal(email.type, 'string');
      assert.equal(email.fieldType, 'text');
      assert.equal(email.groupName, 'contactinformation');
      assert.equal(email.hubspotDefined, true);
      assert.equal(email.archived, false);
      assert.ok(email.createdAt instanceof Date && !Number.isNaN(email.createdAt.getTime()));
      assert.deepEqual(
        { ...email.modificationMetadata },
        {
          archivable: false,
          readOnlyDefinition: true,
          readOnlyValue: false,
        },
      );
      const lifecycle = results.find((p) => p.name === 'lifecyclestage')!;
      assert.equal(lifecycle.type, 'enumeration');
      assert.ok(lifecycle.options.some((o) => o.value === 'customer' && o.hidden === false));
      const owner = results.find((p) => p.name === 'hubspot_owner_id')!;
      assert.equal(owner.referencedObjectType, 'OWNER');
    });

    it('marks hs_email_optout and the system properties read-only', async () => {
      const optout = await props.getByName('contacts', 'hs_email_optout');
      assert.equal(optout.type, 'bool');
      assert.equal(optout.modificationMetadata?.readOnlyValue, true);
      const r = refused('contacts', { hs_email_optout: 'true' });
      assert.equal(r.problems[0]?.error, 'READ_ONLY_VALUE');
      const created = await props.getByName('contacts', 'createdate');
      assert.equal(created.type, 'datetime');
      assert.equal(created.modificationMetadata?.readOnlyValue, true);
    });

    it('lists company properties under companies and 0-2, with hs_lastmodifieddate', async () => {
      const byName = await props.getAll('companies');
      const byId = await props.getAll('0-2');
      const names = byName.results.map((p) => p.name);
      assert.deepEqual(
        byId.results.map((p) => p.name),
        names,
      );
      for (const n of ['name', 'domain', 'salesforceaccountid', 'hs_lastmodifieddate', 'hubspot_owner_id'])
        assert.ok(names.includes(n), n);
      assert.ok(!names.includes('lastmodifieddate'));
    });

    it('filters the list by the properties parameter', async () => {
      const { results } = await props.getAll('contacts', false, 'email,firstname');
      assert.deepEqual(results.map((p) => p.name).sort(), ['email', 'firstname']);
    });

    it('answers 404 with HubSpot’s body for an unknown property or object type', async () => {
      const missing = await hsError(props.getByName('contacts', 'no_such_property'));
      assert.equal(missing.code, 404);
      assert.equal(missing.body.status, 'error');
      assert.equal(missing.body.category, 'OBJECT_NOT_FOUND');
      assert.match(String(missing.body.message), /no_such_property/);
      assert.match(String(missing.body.correlationId), /^[0-9a-f-]{36}$/);
      const type = await hsError(props.getAll('widgets'));
      assert.equal(type.code, 404);
      assert.match(String(type.body.message), /widgets/);
    });
  });

  describe('creating properties of every type, then writing values', () => {
    it('string (text): 201 with the full shape, then stored as given', async () => {
      const p = await create({
        name: 'favourite_colour',
        label: 'Favourite colour',
        type: 'string',
        fieldType: 'text',
        description: 'What they like',
      });
      assert.equal(p.name, 'favourite_colour');
      assert.equal(p.label, 'Favourite colour');
      assert.equal(p.description, 'What they like');
      assert.equal(p.hubspotDefined, false);
      assert.equal(p.calculated, false);
      assert.equal(p.hasUniqueValue, false);
      assert.equal(p.archived, false);
      assert.deepEqual(p.options, []);
      assert.deepEqual(
        { ...p.modificationMetadata },
        {
          archivable: true,
          readOnlyDefinition: false,
          readOnlyValue: false,
        },
      );
      assert.ok(p.createdAt instanceof Date && p.updatedAt instanceof Date);
      const again = await props.getByName('contacts', 'favourite_colour');
      assert.equal(again.label, 'Favourite colour');
      const values = hs.emulator.portal.checkInput('contacts', { favourite_colour: 'teal' });
      assert.equal(values.get('favourite_colour'), 'teal');
      const stored = hs.emulator.portal.create('contacts', values);
      assert.equal(stored.values.get('favourite_colour'), 'teal');
      const long = refused('contacts', { favourite_colour: 'x'.repeat(65_537) });
      assert.equal(long.problems[0]?.error, 'INVALID_STRING');
    });

    it('number: numbers accepted, text refused with INVALID_LONG inside a VALIDATION_ERROR', async () => {
      await create({
        name: 'lead_score',
        label: 'Lead score',
        type: 'number',
        fieldType: 'number',
      });
      assert.equal(hs.emulator.portal.checkInput('contacts', { lead_score: '42' }).get('lead_score'), '42');
      assert.equal(hs.emulator.portal.checkInput('contacts', { lead_score: 7.5 }).get('lead_score'), '7.5');
      const r = refused('contacts', { lead_score: 'lots' });
      assert.equal(r.status, 400);
      assert.equal(r.category, 'VALIDATION_ERROR');
      assert.deepEqual(
        r.problems.map((p) => [p.name, p.error, p.isValid]),
        [['lead_score', 'INVALID_LONG', false]],
      );
    });

    it('date: YYYY-MM-DD and midnight epoch accepted, other forms refused with INVALID_DATE', async () => {
      await create({
        name: 'renewal_date',
        label: 'Renewal',
        type: 'date',
        fieldType: 'date',
      });
      assert.equal(
        hs.emulator.portal.checkInput('contacts', { renewal_date: '2025-03-01' }).get('renewal_date'),
        '2025-03-01',
      );
      assert.equal(
        hs.emulator.portal
          .checkInput('contacts', { renewal_date: String(Date.UTC(2025, 2, 1)) })
          .get('renewal_date'),
        '2025-03-01',
      );
      assert.equal(refused('contacts', { renewal_date: 'March 1st' }).problems[0]?.error, 'INVALID_DATE');
      assert.equal(
        refused('contacts', { renewal_date: String(Date.UTC(2025, 2, 1, 13)) }).problems[0]?.error,
        'INVALID_DATE',
      );
    });

    it('datetime: ISO and epoch ms accepted, nonsense refused with INVALID_DATETIME', async () => {
      await create({
        name: 'last_demo',
        label: 'Last demo',
        type: 'datetime',
        fieldType: 'date',
      });
      assert.equal(
        hs.emulator.portal.checkInput('contacts', { last_demo: '2025-03-01T10:30:00Z' }).get('last_demo'),
        '2025-03-01T10:30:00.000Z',
      );
      assert.equal(refused('contacts', { last_demo: 'yesterday' }).problems[0]?.error, 'INVALID_DATETIME');
    });

    it('enumeration (select): options rendered, unknown option refused with INVALID_OPTION', async () => {
      const p = await create({
        name: 'tier',
        label: 'Tier',
        type: 'enumeration',
        fieldType: 'select',
        options: [
          { label: 'Gold', value: 'gold', hidden: false, displayOrder: 0 },
          { label: 'Silver', value: 'silver', hidden: false },
        ],
      });
      assert.deepEqual(
        p.options.map((o) => [o.label, o.value, o.displayOrder, o.hidden]),
        [
          ['Gold', 'gold', 0, false],
          ['Silver', 'silver', 1, false],
        ],
      );
      assert.equal(p.modificationMetadata?.readOnlyOptions, false);
      assert.equal(hs.emulator.portal.checkInput('contacts', { tier: 'gold' }).get('tier'), 'gold');
      const r = refused('contacts', { tier: 'platinum', lead_nonexistent: 'x' });
      assert.deepEqual(
        r.problems.map((p) => [p.name, p.error]),
        [
          ['tier', 'INVALID_OPTION'],
          ['lead_nonexistent', 'PROPERTY_DOESNT_EXIST'],
        ],
      );
      assert.match(r.problems[0]!.message, /platinum/);
    });

    it('enumeration (checkbox): several options joined by ";", each one checked', async () => {
      await create({
        name: 'interests',
        label: 'Interests',
        type: 'enumeration',
        fieldType: 'checkbox',
        options: [
          { label: 'A', value: 'a', hidden: false },
          { label: 'B', value: 'b', hidden: false },
        ],
      });
      assert.equal(hs.emulator.portal.checkInput('contacts', { interests: 'a;b' }).get('interests'), 'a;b');
      assert.equal(refused('contacts', { interests: 'a;zzz' }).problems[0]?.error, 'INVALID_OPTION');
    });

    it('bool: gets Yes/No options, accepts true/false, refuses anything else with INVALID_BOOLEAN', async () => {
      const p = await create({
        name: 'is_partner',
        label: 'Partner?',
        type: 'bool',
        fieldType: 'booleancheckbox',
      });
      assert.deepEqual(
        p.options.map((o) => [o.label, o.value]),
        [
          ['Yes', 'true'],
          ['No', 'false'],
        ],
      );
      assert.equal(hs.emulator.portal.checkInput('contacts', { is_partner: true }).get('is_partner'), 'true');
      assert.equal(
        hs.emulator.portal.checkInput('contacts', { is_partner: 'FALSE' }).get('is_partner'),
        'false',
      );
      assert.equal(refused('contacts', { is_partner: 'maybe' }).problems[0]?.error, 'INVALID_BOOLEAN');
    });

    it('a HubSpot user property (enumeration referencing OWNER) needs no options', async () => {
      const p = await create({
        name: 'account_manager',
        label: 'Account manager',
        type: 'enumeration',
        fieldType: 'select',
        referencedObjectType: 'OWNER',
      });
      assert.equal(p.referencedObjectType, 'OWNER');
      assert.equal(p.modificationMetadata?.readOnlyOptions, true);
    });

    it('a calculated number property is listed as calculated and refuses writes', async () => {
      const p = await create({
        name: 'score_doubled',
        label: 'Score ×2',
        type: 'number',
        fieldType: 'calculation_equation',
        calculationFormula: 'lead_score * 2',
      });
      assert.equal(p.calculated, true);
      assert.equal(p.calculationFormula, 'lead_score * 2');
      assert.equal(p.modificationMetadata?.readOnlyValue, true);
      assert.equal(refused('contacts', { score_doubled: '4' }).problems[0]?.error, 'READ_ONLY_VALUE');
    });

    it('a new property is writable through the objects API, and a bad value is a 400 listing the problem', async () => {
      await create({
        name: 'tier',
        label: 'Tier',
        type: 'enumeration',
        fieldType: 'select',
        options: [{ label: 'Gold', value: 'gold', hidden: false }],
      });
      const contacts = hs.client.crm.contacts.basicApi;
      const made = await contacts.create({
        properties: { email: 'tiered@props.example', tier: 'gold' },
        associations: [],
      });
      const read = await contacts.getById(made.id, ['tier']);
      assert.equal(read.properties.tier, 'gold');
      const e = await hsError(
        contacts.create({
          properties: { email: 'bad-tier@props.example', tier: 'platinum' },
          associations: [],
        }),
      );
      assert.equal(e.code, 400);
      assert.equal(e.body.category, 'VALIDATION_ERROR');
      const message = String(e.body.message);
      const list = JSON.parse(message.slice(message.indexOf('['))) as PropertyProblem[];
      assert.deepEqual(
        list.map((p) => [p.name, p.error]),
        [['tier', 'INVALID_OPTION']],
      );
    });

    it('creates company properties too, under companyinformation', async () => {
      const p = await props.create('companies', {
        name: 'credit_limit',
        label: 'Credit limit',
        type: 'number',
        fieldType: 'number',
        groupName: 'companyinformation',
        hasUniqueValue: true,
      } as PropertyCreate);
      assert.equal(p.hasUniqueValue, true);
      assert.equal(
        hs.emulator.portal.checkInput('companies', { credit_limit: '5000' }).get('credit_limit'),
        '5000',
      );
      // Contacts did not get it.
      assert.equal(refused('contacts', { credit_limit: '1' }).problems[0]?.error, 'PROPERTY_DOESNT_EXIST');
    });
  });

  describe('refused definitions', () => {
    const base = { label: 'X', type: 'string', fieldType: 'text' } as const;
    const refusedCreate = async (input: Rec, pattern: RegExp, code = 400) => {
      const e = await hsError(create(input));
      assert.equal(e.code, code, JSON.stringify(e.body));
      assert.equal(e.body.status, 'error');
      assert.match(String(e.body.message), pattern);
      return e.body;
    };

    it('409 OBJECT_ALREADY_EXISTS for a taken name, custom or standard', async () => {
      await create({ name: 'dup_me', ...base });
      const body = await refusedCreate({ name: 'dup_me', ...base }, /dup_me.*already exists/, 409);
      assert.equal(body.category, 'OBJECT_ALREADY_EXISTS');
      await refusedCreate({ name: 'email', ...base }, /already exists/, 409);
    });

    it('bad names: capitals, spaces, leading digits, the hs_ prefix', async () => {
      for (const name of ['BadName', 'bad name', '1st_contact', 'hs_custom', 'a-b', '']) {
        const body = await refusedCreate({ name, ...base }, /Property name|required fields/);
        assert.equal(body.category, 'VALIDATION_ERROR', name);
      }
    });

    it('missing required fields are named', async () => {
      const e = await hsError(props.create('contacts', { name: 'x_only', label: 'X' } as PropertyCreate));
      assert.equal(e.code, 400);
      assert.match(
        String(e.body.message),
        /Some required fields were not set: \[type, fieldType, groupName\]/,
      );
    });

    it('an unknown type, and a field type that does not fit the type', async () => {
      await refusedCreate(
        { name: 'p1', label: 'P', type: 'text', fieldType: 'text' },
        /not one of the values accepted.*string, number/,
      );
      await refusedCreate(
        { name: 'p2', label: 'P', type: 'number', fieldType: 'text' },
        /fieldType "text" does not fit type "number".*number, calculation_equation/,
      );
      await refusedCreate(
        { name: 'p3', label: 'P', type: 'bool', fieldType: 'select' },
        /does not fit type "bool"/,
      );
      await refusedCreate(
        { name: 'p4', label: 'P', type: 'date', fieldType: 'wysiwyg' },
        /fieldType.*not one of the values/,
      );
    });

    it('enumerations need options, with unique non-empty values', async () => {
      const enumeration = { label: 'E', type: 'enumeration', fieldType: 'select' };
      await refusedCreate({ name: 'e1', ...enumeration }, /needs at least one option/);
      await refusedCreate(
        {
          name: 'e2',
          ...enumeration,
          options: [
            { label: 'A', value: 'a', hidden: false },
            { label: 'A again', value: 'a', hidden: false },
          ],
        },
        /unique; repeated: \[a\]/,
      );
      await refusedCreate(
        { name: 'e3', ...enumeration, options: [{ label: 'Blank', value: '', hidden: false }] },
        /empty value/,
      );
      await refusedCreate(
        {
          name: 'b1',
          label: 'B',
          type: 'bool',
          fieldType: 'booleancheckbox',
          options: [{ label: 'Y', value: 'y', hidden: false }],
        },
        /exactly two options/,
      );
    });

    it('unknown groups, empty labels, unique enumerations, formula-less calculations, foreign references', async () => {
      await refusedCreate(
        { name: 'g1', ...base, groupName: 'no_such_group' },
        /Property group "no_such_group" does not exist/,
      );
      await refusedCreate({ name: 'l1', ...base, label: '  ' }, /label must not be empty/);
      await refusedCreate(
        {
          name: 'u1',
          label: 'U',
          type: 'enumeration',
          fieldType: 'select',
          hasUniqueValue: true,
          options: [{ label: 'A', value: 'a', hidden: false }],
        },
        /cannot have unique values/,
      );
      await refusedCreate(
        { name: 'c1', label: 'C', type: 'number', fieldType: 'calculation_equation' },
        /needs a calculationFormula/,
      );
      await refusedCreate(
        { name: 'r1', ...base, referencedObjectType: 'DEAL' },
        /referencedObjectType "DEAL" is not supported/,
      );
    });
  });

  describe('updating and archiving', () => {
    it('updates label, description and options of a custom property; new options become writable', async () => {
      await create({
        name: 'tier',
        label: 'Tier',
        type: 'enumeration',
        fieldType: 'select',
        options: [{ label: 'Gold', value: 'gold', hidden: false }],
      });
      assert.equal(refused('contacts', { tier: 'bronze' }).problems[0]?.error, 'INVALID_OPTION');
      const updated = await props.update('contacts', 'tier', {
        label: 'Customer tier',
        description: 'Set by finance',
        options: [
          { label: 'Gold', value: 'gold', hidden: false },
          { label: 'Bronze', value: 'bronze', hidden: false },
        ],
      });
      assert.equal(updated.label, 'Customer tier');
      assert.equal(updated.description, 'Set by finance');
      assert.equal(updated.type, 'enumeration');
      assert.ok(updated.updatedAt! >= updated.createdAt!);
      assert.equal((await props.getByName('contacts', 'tier')).label, 'Customer tier');
      assert.equal(hs.emulator.portal.checkInput('contacts', { tier: 'bronze' }).get('tier'), 'bronze');
    });

    it('changes a custom property’s type only when every stored value fits the new type', async () => {
      await create({ name: 'seats', label: 'Seats', type: 'string', fieldType: 'text' });
      const { portal } = hs.emulator;
      const one = portal.create('contacts', portal.checkInput('contacts', { seats: 'ten' }));
      const e = await hsError(
        props.update('contacts', 'seats', { type: 'number', fieldType: 'number' } as Rec),
      );
      assert.equal(e.code, 400);
      assert.match(String(e.body.message), new RegExp(`existing values do not fit.*${one.id}`));
      portal.update('contacts', one, portal.checkInput('contacts', { seats: '10' }));
      const ok = await props.update('contacts', 'seats', { type: 'number', fieldType: 'number' } as Rec);
      assert.equal(ok.type, 'number');
      assert.equal(refused('contacts', { seats: 'eleven' }).problems[0]?.error, 'INVALID_LONG');
      const mismatch = await hsError(props.update('contacts', 'seats', { fieldType: 'select' } as Rec));
      assert.match(String(mismatch.body.message), /does not fit type "number"/);
    });

    it('refuses read-only parts of HubSpot-defined properties, allows their options and description', async () => {
      const label = await hsError(props.update('contacts', 'email', { label: 'E-mail' }));
      assert.equal(label.code, 400);
      assert.match(String(label.body.message), /HubSpot-defined property: label cannot be changed/);
      const type = await hsError(
        props.update('contacts', 'lifecyclestage', { type: 'string', fieldType: 'text' } as Rec),
      );
      assert.match(String(type.body.message), /type, fieldType cannot be changed/);
      const optout = await hsError(props.update('contacts', 'hs_email_optout', { description: 'x' }));
      assert.equal(optout.code, 400);
      const owner = await hsError(
        props.update('contacts', 'hubspot_owner_id', {
          options: [{ label: 'X', value: 'x', hidden: false }],
        }),
      );
      assert.match(String(owner.body.message), /options cannot be changed/);
      const status = await props.getByName('contacts', 'hs_lead_status');
      const more = await props.update('contacts', 'hs_lead_status', {
        description: 'Where the lead stands',
        options: [
          ...status.options,
          { label: 'Recycled', value: 'RECYCLED', hidden: false, displayOrder: 99 },
        ],
      });
      assert.equal(more.description, 'Where the lead stands');
      assert.equal(more.label, status.label);
      assert.equal(hs.emulator.portal.checkInput('contacts', { hs_lead_status: 'RECYCLED' }).size, 1);
    });

    it('404 for updating or archiving a property that does not exist', async () => {
      assert.equal((await hsError(props.update('contacts', 'ghost', { label: 'G' }))).code, 404);
      assert.equal((await hsError(props.archive('contacts', 'ghost'))).code, 404);
    });

    it('archives a custom property (204): gone from the list, listed with archived=true, no longer writable', async () => {
      await create({ name: 'temp_flag', label: 'Temp', type: 'string', fieldType: 'text' });
      const info = await props.archiveWithHttpInfo('contacts', 'temp_flag');
      assert.equal(info.httpStatusCode, 204);
      assert.equal((await hsError(props.getByName('contacts', 'temp_flag'))).code, 404);
      assert.ok(!(await props.getAll('contacts')).results.some((p) => p.name === 'temp_flag'));
      const gone: Property = await props.getByName('contacts', 'temp_flag', true);
      assert.equal(gone.archived, true);
      assert.ok(gone.archivedAt instanceof Date);
      const archivedList = await props.getAll('contacts', true);
      assert.deepEqual(
        archivedList.results.map((p) => p.name),
        ['temp_flag'],
      );
      assert.equal(refused('contacts', { temp_flag: 'x' }).problems[0]?.error, 'PROPERTY_DOESNT_EXIST');
      // The name can be used again, even with another type.
      const again = await create({
        name: 'temp_flag',
        label: 'Temp 2',
        type: 'number',
        fieldType: 'number',
      });
      assert.equal(again.type, 'number');
      assert.deepEqual((await props.getAll('contacts', true)).results, []);
    });

    it('refuses to archive HubSpot-defined properties', async () => {
      const e = await hsError(props.archive('contacts', 'email'));
      assert.equal(e.code, 400);
      assert.match(String(e.body.message), /HubSpot-defined property and cannot be archived/);
      assert.equal((await props.getByName('contacts', 'email')).name, 'email');
    });
  });

  describe('bad requests get HubSpot’s error body, never a 500', () => {
    const path = '/crm/v3/properties/contacts';
    const expect4xx = (r: { status: number; contentType: string; body: Rec }, status: number) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.contentType, /^application\/json/);
      assert.equal(r.body.status, 'error');
      assert.equal(typeof r.body.message, 'string');
      assert.equal(typeof r.body.correlationId, 'string');
    };

    it('malformed JSON, empty body, a JSON array', async () => {
      expect4xx(await hs.raw('POST', path, { text: '{"name": "x",', contentType: 'application/json' }), 400);
      expect4xx(await hs.raw('POST', path, { text: '', contentType: 'application/json' }), 400);
      expect4xx(await hs.raw('POST', path, { text: '[]', contentType: 'application/json' }), 400);
      expect4xx(
        await hs.raw('PATCH', `${path}/email`, { text: 'nope', contentType: 'application/json' }),
        400,
      );
    });

    it('a wrong content type', async () => {
      const r = await hs.raw('POST', path, {
        text: 'name=x',
        contentType: 'application/x-www-form-urlencoded',
      });
      expect4xx(r, 415);
    });

    it('an unknown object type in the path, for every verb', async () => {
      expect4xx(await hs.raw('GET', '/crm/v3/properties/widgets'), 404);
      expect4xx(await hs.raw('GET', '/crm/v3/properties/widgets/email'), 404);
      expect4xx(
        await hs.raw('POST', '/crm/v3/properties/widgets', { text: '{}', contentType: 'application/json' }),
        404,
      );
      expect4xx(await hs.raw('DELETE', '/crm/v3/properties/widgets/email'), 404);
    });

    it('wrong JSON types are named', async () => {
      const good = {
        name: 'typed',
        label: 'T',
        type: 'string',
        fieldType: 'text',
        groupName: 'contactinformation',
      };
      const label = await hs.raw('POST', path, { json: { ...good, label: { en: 'T' } } });
      expect4xx(label, 400);
      assert.match(String(label.body.message), /`string` from object value for field "label"/);
      const options = await hs.raw('POST', path, {
        json: { ...good, type: 'enumeration', fieldType: 'select', options: 'a,b' },
      });
      expect4xx(options, 400);
      assert.match(String(options.body.message), /field "options"/);
      const order = await hs.raw('POST', path, { json: { ...good, displayOrder: 'first' } });
      expect4xx(order, 400);
      const item = await hs.raw('POST', path, {
        json: { ...good, type: 'enumeration', fieldType: 'select', options: [7] },
      });
      expect4xx(item, 400);
      assert.match(String(item.body.message), /options\[0\] must be an object/);
      const hidden = await hs.raw('PATCH', `${path}/email`, { json: { hidden: 'sometimes' } });
      expect4xx(hidden, 400);
    });
  });
});
