/** SPEC M1–M6 and D3: first links by email, and where an existing link points as records change. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP_NO_EMAIL,
  currentLink,
  decideHubSpotCreate,
  convertedSuccessor,
  decideSalesforceCreate,
  emailKey,
  firstLink,
} from '../../src/core/matching.ts';
import type { Result } from '../../src/core/model.ts';
import type { SfPerson } from '../../src/core/records.ts';

const T = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function person(id: string, overrides: Partial<SfPerson> = {}): SfPerson {
  return {
    object: id.startsWith('003') ? 'Contact' : 'Lead',
    id,
    email: 'ada@example.com',
    createdAt: T,
    modifiedAt: T,
    isDeleted: false,
    isConverted: false,
    convertedContactId: null,
    masterRecordId: null,
    ...overrides,
  };
}

function target(result: Result<{ record: SfPerson; moved?: { from: string; because: string } }>) {
  assert.ok(result.ok, result.ok ? '' : result.problem.message);
  return { id: result.value.record.id, moved: result.value.moved };
}

describe('M1: email is the only key for a first link', () => {
  it('M1: compares emails trimmed and case-insensitively', () => {
    assert.equal(emailKey('  Ada@Example.COM '), 'ada@example.com');
    const lead = person('00Q1', { email: 'ADA@example.com ' });
    assert.equal(firstLink(' ada@EXAMPLE.com', [lead])?.id, '00Q1');
    assert.equal(firstLink('ada@example.org', [lead]), undefined);
  });

  it('M1: ignores records with another email even if they are older contacts', () => {
    const other = person('0031', { email: 'bob@example.com', createdAt: T - DAY });
    const lead = person('00Q1');
    assert.equal(firstLink('ada@example.com', [other, lead])?.id, '00Q1');
  });
});

describe('M2: several Salesforce records share the email at first link', () => {
  const cases: [string, SfPerson[], string][] = [
    [
      'a Contact before a Lead, even an older lead',
      [person('00Q1', { createdAt: T - 5 * DAY }), person('0031')],
      '0031',
    ],
    [
      'the oldest CreatedDate among contacts',
      [
        person('0032', { createdAt: T }),
        person('0031', { createdAt: T + DAY }),
        person('0033', { createdAt: T - DAY }),
      ],
      '0033',
    ],
    ['the oldest CreatedDate among leads', [person('00Q2'), person('00Q1', { createdAt: T - DAY })], '00Q1'],
    ['the lower id when created at once', [person('0039'), person('0035')], '0035'],
    ['never a deleted record', [person('0031', { isDeleted: true }), person('00Q1')], '00Q1'],
    [
      'never a converted lead',
      [
        person('00Q1', { isConverted: true, convertedContactId: '0039' }),
        person('00Q2', { createdAt: T + DAY }),
      ],
      '00Q2',
    ],
  ];
  for (const [name, candidates, expected] of cases) {
    it(`M2: ${name}`, () => {
      assert.equal(firstLink('ada@example.com', candidates)?.id, expected);
      assert.equal(
        firstLink('ada@example.com', [...candidates].reverse())?.id,
        expected,
        'order of input does not matter',
      );
    });
  }
});

describe('M6: records without an email', () => {
  it('M6: never link, and are skipped with a reason', () => {
    assert.equal(firstLink(null, [person('00Q1', { email: null })]), undefined);
    assert.equal(firstLink('   ', [person('00Q1', { email: '  ' })]), undefined);
    assert.equal(emailKey(''), null);
    assert.equal(SKIP_NO_EMAIL.code, 'no_email');
    assert.match(SKIP_NO_EMAIL.reason, /no email/);
  });
});

describe('M3–M5, D3: where an existing link points', () => {
  it('M3: the link follows the Salesforce id, not the email', () => {
    const moved = person('00Q1', { email: 'new@example.com', modifiedAt: T + DAY });
    const other = person('0031', { email: 'ada@example.com', modifiedAt: T + 2 * DAY });
    assert.deepEqual(target(currentLink('00Q1', [moved, other])), { id: '00Q1', moved: undefined });
  });

  it('M4: the link hops to the most recently modified record sharing the linked email', () => {
    const linked = person('00Q1', { modifiedAt: T });
    const newer = person('0031', { email: ' ADA@example.com', modifiedAt: T + DAY });
    assert.deepEqual(target(currentLink('00Q1', [linked, newer])), {
      id: '0031',
      moved: { from: '00Q1', because: 'hopped' },
    });
  });

  it("M4: only a record changed since the last sync takes the link over (M2's pick holds until then)", () => {
    const linked = person('00Q1', { modifiedAt: T });
    const newer = person('0031', { email: 'ada@example.com', modifiedAt: T + DAY });
    assert.equal(target(currentLink('00Q1', [linked, newer], T + DAY)).moved, undefined);
    assert.equal(target(currentLink('00Q1', [linked, newer], T + DAY - 1)).id, '0031');
  });

  it('M4: no hop when the linked record is the newest, or as new as any other', () => {
    const linked = person('0031', { modifiedAt: T + DAY });
    assert.equal(target(currentLink('0031', [linked, person('00Q1', { modifiedAt: T })])).moved, undefined);
    assert.equal(
      target(currentLink('0031', [linked, person('00Q1', { modifiedAt: T + DAY })])).moved,
      undefined,
    );
    assert.equal(
      target(currentLink('0031', [linked, person('00Q1', { modifiedAt: T + 2 * DAY, isDeleted: true })]))
        .moved,
      undefined,
    );
  });

  it('M4: between two others equally newer, the lower id, whatever the order', () => {
    const records = [
      person('00Q1'),
      person('0039', { modifiedAt: T + DAY }),
      person('0035', { modifiedAt: T + DAY }),
    ];
    assert.equal(target(currentLink('00Q1', records)).id, '0035');
    assert.equal(target(currentLink('00Q1', [...records].reverse())).id, '0035');
  });

  it('M5: a converted lead hands the link to its contact', () => {
    const lead = person('00Q1', { isConverted: true, convertedContactId: '0031', modifiedAt: T + DAY });
    const contact = person('0031', { createdAt: T + DAY, modifiedAt: T + DAY });
    assert.deepEqual(target(currentLink('00Q1', [lead, contact])), {
      id: '0031',
      moved: { from: '00Q1', because: 'converted' },
    });
  });

  it('D3: a merge loser hands the link to its master, through chains', () => {
    const loser = person('0031', { isDeleted: true, masterRecordId: '0032' });
    const master = person('0032', { email: 'other@example.com' });
    assert.deepEqual(target(currentLink('0031', [loser, master])), {
      id: '0032',
      moved: { from: '0031', because: 'merged' },
    });
    // A lead converted into a contact that was later merged away.
    const lead = person('00Q1', { isConverted: true, convertedContactId: '0031' });
    assert.deepEqual(target(currentLink('00Q1', [lead, loser, master])), {
      id: '0032',
      moved: { from: '00Q1', because: 'merged' },
    });
  });

  it('fails, with a fix, when the linked record is deleted or missing', () => {
    for (const [records, code] of [
      [[person('0031', { isDeleted: true })], 'linked_record_deleted'],
      [[], 'linked_record_missing'],
      [[person('00Q1', { isConverted: true, convertedContactId: '0039' })], 'linked_record_missing'],
    ] as const) {
      const result = currentLink(records[0]?.id ?? '0031', records);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.problem.code, code);
        assert.match(result.problem.fix, /resync/i);
      }
    }
  });
});

describe('M7, C1: creating in Salesforce', () => {
  const values = { LastName: 'Lovelace', Company: 'Analytical Engines' };
  it('M7: never creates when any Salesforce lead or contact has the email: links instead', () => {
    const lead = person('00Q1', { email: 'ADA@example.com' });
    const d = decideSalesforceCreate({
      email: 'ada@example.com',
      values,
      createAs: 'lead',
      sameEmail: [lead],
    });
    assert.equal(d.action, 'link');
    if (d.action === 'link') assert.equal(d.record.id, '00Q1');
    const both = decideSalesforceCreate({
      email: 'ada@example.com',
      values,
      createAs: 'contact',
      sameEmail: [lead, person('0031')],
    });
    assert.equal(both.action === 'link' && both.record.id, '0031', 'M2 decides which');
  });

  it('C1: creates a lead by default, a contact when set, never both', () => {
    const asLead = decideSalesforceCreate({
      email: 'new@example.com',
      values,
      createAs: 'lead',
      sameEmail: [],
    });
    assert.deepEqual(asLead.action === 'create' && [asLead.object, asLead.filled], ['Lead', {}]);
    const asContact = decideSalesforceCreate({
      email: 'new@example.com',
      values,
      createAs: 'contact',
      sameEmail: [],
    });
    assert.deepEqual(asContact.action === 'create' && [asContact.object, asContact.filled], ['Contact', {}]);
  });

  it('C1: a new lead with no last name or company gets [[unknown]] for them (inferred)', () => {
    const d = decideSalesforceCreate({
      email: 'new@example.com',
      values: { FirstName: 'Ada', Company: '  ' },
      createAs: 'lead',
      sameEmail: [],
    });
    assert.deepEqual(d.action === 'create' && d.filled, { LastName: '[[unknown]]', Company: '[[unknown]]' });
    const contact = decideSalesforceCreate({
      email: 'new@example.com',
      values: {},
      createAs: 'contact',
      sameEmail: [],
    });
    assert.deepEqual(contact.action === 'create' && contact.filled, { LastName: '[[unknown]]' });
  });

  it('M6: a contact without email is skipped, not created', () => {
    const d = decideSalesforceCreate({ email: ' ', values, createAs: 'lead', sameEmail: [] });
    assert.deepEqual(d.action === 'skip' && d.code, 'no_email');
  });

  it('M5: a converted lead with the email stands for the live contact it became: linked, not created', () => {
    const converted = person('00Q1', { isConverted: true, convertedContactId: '0031' });
    const contact = person('0031', { email: 'ada.lovelace@engines.example' });
    const d = decideSalesforceCreate({
      email: 'ada@example.com',
      values,
      createAs: 'lead',
      sameEmail: [converted, contact],
    });
    assert.equal(d.action === 'link' && d.record.id, '0031');
    assert.match(d.why, /00Q1.*converted into contact 0031/);
    // The contact merged away since: the link goes to its master (D3).
    const merged = decideSalesforceCreate({
      email: 'ada@example.com',
      values,
      createAs: 'lead',
      sameEmail: [
        converted,
        person('0031', { isDeleted: true, masterRecordId: '0032' }),
        person('0032', { email: 'lovelace@example.com' }),
      ],
    });
    assert.equal(merged.action === 'link' && merged.record.id, '0032');
  });

  it("M5, C4: a converted lead whose contact was deleted holds nobody's place: the contact is created again (inferred)", () => {
    const converted = person('00Q1', { isConverted: true, convertedContactId: '0031' });
    for (const sameEmail of [[converted, person('0031', { isDeleted: true })], [converted]]) {
      const d = decideSalesforceCreate({ email: 'ada@example.com', values, createAs: 'lead', sameEmail });
      assert.deepEqual(d.action === 'create' && d.object, 'Lead');
    }
  });

  it('M5: convertedSuccessor picks among several converted leads by M2 and ignores other emails', () => {
    const a = person('00Q1', { isConverted: true, convertedContactId: '0032' });
    const b = person('00Q2', { isConverted: true, convertedContactId: '0031' });
    const other = person('00Q3', { email: 'bob@example.com', isConverted: true, convertedContactId: '0033' });
    const records = [a, b, other, person('0031', { createdAt: T + DAY }), person('0032', { createdAt: T })];
    assert.deepEqual(
      [
        convertedSuccessor(' ADA@example.com', records)?.contact.id,
        convertedSuccessor(' ADA@example.com', records)?.lead.id,
      ],
      ['0032', '00Q1'],
    );
    assert.equal(
      convertedSuccessor('bob@example.com', [...records, person('0033', { isDeleted: true })]),
      undefined,
    );
    assert.equal(convertedSuccessor(null, records), undefined);
  });
});

describe('M8: creating in HubSpot', () => {
  it('M8: creates when no HubSpot contact has the email', () => {
    assert.equal(
      decideHubSpotCreate({ sfRecordId: '00Q1', email: 'ada@example.com', existing: undefined }).action,
      'create',
    );
  });

  it('M8: links to the contact that has the email, unlinked or linked to this record', () => {
    for (const linkedSfId of [null, '00Q1']) {
      const d = decideHubSpotCreate({
        sfRecordId: '00Q1',
        email: 'ada@example.com',
        existing: { id: '101', linkedSfId },
      });
      assert.deepEqual(d.action === 'link' && d.hsContactId, '101');
    }
  });

  it('M8: a contact linked to a different Salesforce record is a Duplicates error "Email already in use"', () => {
    const d = decideHubSpotCreate({
      sfRecordId: '00Q2',
      email: 'ada@example.com',
      existing: { id: '101', linkedSfId: '00Q1' },
    });
    assert.equal(d.action, 'error');
    if (d.action === 'error') {
      assert.equal(d.category, 'duplicates');
      assert.match(d.message, /^Email already in use/);
      assert.match(d.message, /00Q1/);
      assert.ok(d.fix.length > 20);
    }
  });

  it('M6: a record without email is skipped', () => {
    assert.equal(
      decideHubSpotCreate({ sfRecordId: '00Q1', email: null, existing: undefined }).action,
      'skip',
    );
  });
});
