/**
 * The engine's decisions, as core functions: which records wait for their retry (E2), which units
 * need the records sharing their email (M1–M5, D3), which polled records are new (C3), and which
 * fields and properties a sync reads (F3, F4, F9, M3, O1, K2).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pendingRetries, waitsForRetry, type PendingRetry } from '../../src/core/errors.ts';
import {
  DEFAULT_MAPPINGS,
  historyFor,
  hsPropertiesFor,
  mappingsFor,
  setMappingRule,
  sfFieldsFor,
  sfFieldsOfBoth,
} from '../../src/core/mappings.ts';
import { needsEmailMatch } from '../../src/core/matching.ts';
import type { Mapping, SfField, SfPersonObject } from '../../src/core/model.ts';
import type { HsContact, Link, SfRecord } from '../../src/core/records.ts';
import { pollTrigger, triggers, type Trigger } from '../../src/core/scope.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const DAY = 86_400_000;
const INTEGRATION = '005I';

function record(overrides: Partial<SfRecord> = {}): SfRecord {
  return {
    object: 'Lead',
    id: '00Q1',
    email: 'ada@example.com',
    createdAt: T0,
    modifiedAt: T0,
    isDeleted: false,
    isConverted: false,
    convertedContactId: null,
    masterRecordId: null,
    values: {},
    linkedHsContactId: null,
    lastModifiedById: '005A',
    ...overrides,
  };
}

function contact(changedAt: Record<string, number>): HsContact {
  return {
    id: '51',
    properties: { email: 'ada@example.com' },
    changedAt,
    optedOut: false,
    primaryCompanyId: null,
  };
}

const link: Link = {
  hsContactId: '51',
  sfObject: 'Lead',
  sfId: '00Q1',
  snapshot: { values: {}, optOut: false, accountId: null, sfChangedAt: T0 },
  lastSyncedAt: T0,
};

describe('E2: a record with an error waits for its retry', () => {
  it('E2: per record, the earliest next attempt and the latest time seen of its errors', () => {
    const pending = pendingRetries([
      { record: 'hs:51', nextAttempt: T0 + 30 * MINUTE, lastSeen: T0 + 5 * MINUTE },
      { record: 'sf:00Q1', nextAttempt: T0 + 25 * MINUTE, lastSeen: T0 },
      { record: 'hs:51', nextAttempt: T0 + 25 * MINUTE, lastSeen: T0 + 2 * MINUTE },
      { record: 'hs:51', nextAttempt: T0 + 40 * MINUTE, lastSeen: T0 + 9 * MINUTE },
    ]);
    assert.deepEqual(
      [...pending],
      [
        ['hs:51', { nextAttempt: T0 + 25 * MINUTE, lastSeen: T0 + 9 * MINUTE }],
        ['sf:00Q1', { nextAttempt: T0 + 25 * MINUTE, lastSeen: T0 }],
      ],
    );
    assert.equal(pendingRetries([]).size, 0);
  });

  const wait: PendingRetry = { nextAttempt: T0 + 25 * MINUTE, lastSeen: T0 + 1500 };
  const base = {
    wait,
    retriesAllowed: true,
    hubspot: null,
    record: undefined,
    integrationUserId: INTEGRATION,
    at: T0 + 10 * MINUTE,
  } as const;

  it('E2: a record without an error never waits', () => {
    assert.equal(waitsForRetry({ ...base, wait: undefined }), false);
  });

  it('E2: until its retry is due, a record that did not change waits; once due, it is retried', () => {
    assert.equal(waitsForRetry(base), true);
    assert.equal(waitsForRetry({ ...base, at: wait.nextAttempt - 1 }), true);
    assert.equal(waitsForRetry({ ...base, at: wait.nextAttempt }), false);
    assert.equal(waitsForRetry({ ...base, at: wait.nextAttempt + DAY }), false);
  });

  it('E2, E3: a due retry still waits while automatic retries are stopped', () => {
    assert.equal(waitsForRetry({ ...base, at: wait.nextAttempt, retriesAllowed: false }), true);
    // A change wakes it all the same (E3 stops retries, not new changes).
    const changed = contact({ firstname: wait.lastSeen + 1 });
    assert.equal(
      waitsForRetry({ ...base, at: wait.nextAttempt, retriesAllowed: false, hubspot: changed }),
      false,
    );
  });

  it('E2: a HubSpot contact changed after the error was last seen syncs at once; not changed since, it waits', () => {
    assert.equal(
      waitsForRetry({ ...base, hubspot: contact({ email: T0, firstname: wait.lastSeen + 1 }) }),
      false,
    );
    assert.equal(waitsForRetry({ ...base, hubspot: contact({ email: T0, firstname: wait.lastSeen }) }), true);
    assert.equal(waitsForRetry({ ...base, hubspot: contact({}) }), true);
  });

  it('E2: the HubSpot contact decides when there is one, whatever the Salesforce record', () => {
    const changedRecord = record({ modifiedAt: T0 + 5 * MINUTE });
    assert.equal(waitsForRetry({ ...base, hubspot: contact({ email: T0 }), record: changedRecord }), true);
  });

  it('E2: Salesforce keeps whole seconds, so a change in the second of the error counts as after it', () => {
    // lastSeen is T0 + 1.5 s: Salesforce stamps a change made after it at T0 + 1 s.
    assert.equal(waitsForRetry({ ...base, record: record({ modifiedAt: T0 + 1000 }) }), false);
    assert.equal(waitsForRetry({ ...base, record: record({ modifiedAt: T0 + 5000 }) }), false);
    assert.equal(waitsForRetry({ ...base, record: record({ modifiedAt: T0 + 999 }) }), true);
    assert.equal(waitsForRetry({ ...base, record: record({ modifiedAt: T0 }) }), true);
  });

  it('E2, F10: our own write to the Salesforce record does not wake it', () => {
    const ours = record({ modifiedAt: T0 + 5 * MINUTE, lastModifiedById: INTEGRATION });
    assert.equal(waitsForRetry({ ...base, record: ours }), true);
    assert.equal(waitsForRetry({ ...base, record: { ...ours, lastModifiedById: '005A' } }), false);
    // Once due, even a record we wrote last is retried.
    assert.equal(waitsForRetry({ ...base, record: ours, at: wait.nextAttempt }), false);
  });

  it('E2: a Salesforce record that was not read waits', () => {
    assert.equal(waitsForRetry({ ...base, record: undefined }), true);
  });
});

describe('M1–M5, D3: which units need the records sharing their email', () => {
  const unit = (over: { link?: Link | null; sfRecordId?: string | null; trigger?: Trigger } = {}) => ({
    link: link as Link | null,
    sfRecordId: null as string | null,
    trigger: 'hs_updated' as Trigger,
    ...over,
  });
  const live = record();

  it('M1, M7, M8: a unit not linked yet matches by email', () => {
    assert.equal(needsEmailMatch(unit({ link: null }), undefined), true);
    assert.equal(
      needsEmailMatch(unit({ link: null, sfRecordId: '00Q1', trigger: 'sf_updated' }), undefined),
      true,
    );
  });

  it('M3: an update of the linked record itself, on either side, needs no email match', () => {
    assert.equal(needsEmailMatch(unit(), live), false);
    assert.equal(needsEmailMatch(unit({ sfRecordId: '00Q1', trigger: 'sf_updated' }), live), false);
  });

  it('M2, M4: a change of another record than the linked one matches by email', () => {
    assert.equal(needsEmailMatch(unit({ sfRecordId: '00Q2', trigger: 'sf_updated' }), live), true);
    assert.equal(needsEmailMatch(unit({ sfRecordId: '00Q2' }), live), true);
  });

  it('T1, G2, G3, T3: every trigger but an update matches by email (creations, joins, resyncs, imports)', () => {
    for (const trigger of triggers) {
      const expected = trigger !== 'hs_updated' && trigger !== 'sf_updated';
      assert.equal(needsEmailMatch(unit({ trigger }), live), expected, trigger);
    }
  });

  it('M5, D3, D1: a linked record missing, converted, merged away or deleted matches by email', () => {
    assert.equal(needsEmailMatch(unit(), undefined), true);
    assert.equal(needsEmailMatch(unit(), record({ isConverted: true, convertedContactId: '0031' })), true);
    assert.equal(needsEmailMatch(unit(), record({ isDeleted: true, masterRecordId: '00Q9' })), true);
    assert.equal(needsEmailMatch(unit(), record({ masterRecordId: '00Q9' })), true);
    assert.equal(needsEmailMatch(unit(), record({ isDeleted: true })), true);
  });
});

describe('C3: which polled Salesforce records are new', () => {
  const from = T0;
  const base = {
    firstPoll: false,
    record: record({ createdAt: from + 1 }),
    linked: false,
    from,
    seenBefore: false,
  };

  it('C3: a record created after the poll start, unlinked and never seen is new', () => {
    assert.equal(pollTrigger(base), 'sf_created');
  });

  it('C3: on the very first poll nothing is new (records made before Crosswalk ran exist already)', () => {
    assert.equal(pollTrigger({ ...base, firstPoll: true }), 'sf_updated');
  });

  it('C3: a record created at or before the poll start is an update', () => {
    assert.equal(pollTrigger({ ...base, record: record({ createdAt: from }) }), 'sf_updated');
    assert.equal(pollTrigger({ ...base, record: record({ createdAt: from - 1 }) }), 'sf_updated');
  });

  it('C3, G1: a new record whose email has a linked contact is an update of that contact', () => {
    assert.equal(pollTrigger({ ...base, linked: true }), 'sf_updated');
  });

  it('C3: a record an earlier poll saw within the overlap is not new again', () => {
    assert.equal(pollTrigger({ ...base, seenBefore: true }), 'sf_updated');
  });
});

describe('F3, F4, F9, M3, O1, K2: what a sync reads', () => {
  const field = (name: string): SfField => ({
    name,
    type: 'string',
    length: 0,
    integerDigits: 0,
    scale: 0,
    updateable: true,
    createable: true,
    calculated: false,
    nillable: true,
    picklistValues: [],
    restrictedPicklist: false,
  });
  const described = (object: SfPersonObject, except: readonly string[] = []) =>
    new Map(
      [
        ...mappingsFor(DEFAULT_MAPPINGS, object).map((m) => m.sfField),
        'HasOptedOutOfEmail',
        'LastModifiedDate',
      ]
        .filter((name) => !except.includes(name))
        .map((name) => [name, field(name)]),
    );
  const sfFields = { Lead: described('Lead', ['Fax']), Contact: described('Contact') };
  const withRule = (hsProperty: string, rule: Mapping['rule']) => {
    const result = setMappingRule(DEFAULT_MAPPINGS, hsProperty, rule);
    assert.ok(result.ok);
    return result.value;
  };

  it('F3: the Salesforce fields of an object are those of its mappings that it has, in mapping order', () => {
    const lead = sfFieldsFor({ mappings: DEFAULT_MAPPINGS, sfFields }, 'Lead');
    assert.deepEqual(
      lead,
      mappingsFor(DEFAULT_MAPPINGS, 'Lead')
        .map((m) => m.sfField)
        .filter((f) => f !== 'Fax'),
    );
    assert.ok(!lead.includes('AccountId') && !lead.includes('MailingCity'));
    const contact = sfFieldsFor({ mappings: DEFAULT_MAPPINGS, sfFields }, 'Contact');
    assert.ok(contact.includes('AccountId') && contact.includes('Fax') && !contact.includes('Company'));
    // Not mapped: not read (the connector adds the system fields and the opt-out itself).
    assert.ok(!contact.includes('HasOptedOutOfEmail') && !contact.includes('LastModifiedDate'));
  });

  it("F4: a mapping set to Don't sync is not read", () => {
    const mappings = withRule('phone', 'none');
    assert.ok(!sfFieldsFor({ mappings, sfFields }, 'Lead').includes('Phone'));
    assert.ok(!sfFieldsOfBoth({ mappings, sfFields }).includes('Phone'));
    assert.ok(!hsPropertiesFor({ mappings }).includes('phone'));
  });

  it('F3: both objects together: each field once, Lead first', () => {
    const both = sfFieldsOfBoth({ mappings: DEFAULT_MAPPINGS, sfFields });
    assert.equal(new Set(both).size, both.length);
    assert.deepEqual(
      both.slice(0, 3),
      sfFieldsFor({ mappings: DEFAULT_MAPPINGS, sfFields }, 'Lead').slice(0, 3),
    );
    assert.ok(both.includes('Fax') && both.includes('AccountId') && both.includes('Company'));
    // A field two mappings name is read once.
    const twice: Mapping = {
      hsProperty: 'mobilephone',
      sfField: 'Phone',
      rule: 'two_way',
      isDefault: false,
      objects: ['Lead'],
    };
    const fields = sfFieldsFor({ mappings: [...DEFAULT_MAPPINGS, twice], sfFields }, 'Lead');
    assert.equal(fields.filter((f) => f === 'Phone').length, 1);
  });

  it('M3, O1, K2: HubSpot reads the email, opt-out, link ids and campaigns first, then the synced mappings once each', () => {
    const properties = hsPropertiesFor({ mappings: DEFAULT_MAPPINGS });
    assert.deepEqual(properties.slice(0, 5), [
      'email',
      'hs_email_optout',
      'salesforceleadid',
      'salesforcecontactid',
      'salesforcecampaignids',
    ]);
    assert.equal(new Set(properties).size, properties.length);
    assert.deepEqual(
      new Set(properties.slice(5)),
      new Set(DEFAULT_MAPPINGS.map((m) => m.hsProperty).filter((p) => p !== 'email')),
    );
    // Even with no mapping at all, the rules' own properties are read.
    assert.deepEqual(hsPropertiesFor({ mappings: [] }), properties.slice(0, 5));
  });

  it('F9: the properties read with their history are those of the Two-way mappings', () => {
    assert.deepEqual(historyFor({ mappings: DEFAULT_MAPPINGS }), ['hubspot_owner_id']);
    assert.deepEqual(historyFor({ mappings: withRule('jobtitle', 'two_way') }), [
      'hubspot_owner_id',
      'jobtitle',
    ]);
    assert.deepEqual(historyFor({ mappings: withRule('jobtitle', 'always_salesforce') }), [
      'hubspot_owner_id',
    ]);
  });
});
