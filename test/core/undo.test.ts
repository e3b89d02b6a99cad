/**
 * U2, the undo of a run, decided by the core: which values go back (only those still holding what the
 * run wrote, compared in each system's form), what is skipped and why, opt-outs never undone (O1),
 * links kept, records the run created deleted only on request and only untouched, and the snapshot
 * the link keeps after.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideUndo, RECORD_FIELD, type LedgerWrite, type UndoPairing } from '../../src/core/undo.ts';
import { sameHubSpotValue, sameSalesforceValue } from '../../src/core/undo-values.ts';
import { countDecision, emptyUndoReport, settled, UNDO_LIST_MAX } from '../../src/core/undo-report.ts';
import { context, hsContact, sfRecord, T0 } from './world.ts';
import { hsContactProperties, sfField, sfFieldsOf } from './fixtures.ts';
import type { Link } from '../../src/core/records.ts';

const ctx = context();
const RUN = 'resync-1-1';
const AT = T0 + 60_000;
const options = { runId: RUN, includeCreates: false };

function write(record: string, field: string, oldValue: string | null, newValue: string | null): LedgerWrite {
  return {
    at: AT,
    record,
    system: record.startsWith('hs:') ? 'hubspot' : 'salesforce',
    field,
    oldValue,
    newValue,
  };
}

const link = (values: Record<string, string | null>): Link => ({
  hsContactId: '51',
  sfObject: 'Lead',
  sfId: '00Q1',
  snapshot: { values, optOut: false, accountId: null, sfChangedAt: T0, hsUpdatedAt: T0 },
  lastSyncedAt: AT,
});

function pairing(over: Partial<UndoPairing>): UndoPairing {
  return {
    hsId: '51',
    sfId: '00Q1',
    link: link({ jobtitle: 'CTO', phone: '555', firstname: 'Ann' }),
    hubspot: hsContact({ email: 'ann@x.example', jobtitle: 'CTO', phone: '555', firstname: 'Ann' }),
    salesforce: sfRecord('Lead', '00Q1', {
      Email: 'ann@x.example',
      Title: 'CTO',
      Phone: '555',
      FirstName: 'Ann',
    }),
    entries: [],
    ...over,
  };
}

describe('U2: which values an undo restores', () => {
  it('U2: restores both systems where the value still holds what the run wrote, in the form each system needs', () => {
    const d = decideUndo(
      pairing({
        entries: [write('hs:51', 'jobtitle', 'Engineer', 'CTO'), write('sf:00Q1', 'Phone', null, '555')],
      }),
      ctx,
      options,
    );
    assert.deepEqual(d.hubspot, { jobtitle: 'Engineer' });
    assert.deepEqual(d.salesforce, { Phone: null }, 'a blank before is a cleared field');
    assert.deepEqual(
      d.items.map((i) => [i.record, i.field, i.action, i.reason]),
      [
        ['hs:51', 'jobtitle', 'restore', null],
        ['sf:00Q1', 'Phone', 'restore', null],
      ],
    );
  });

  it('U2: skips and lists a value changed since the run, with when and by whom; skips one already back', () => {
    const d = decideUndo(
      pairing({
        salesforce: sfRecord(
          'Lead',
          '00Q1',
          { Email: 'ann@x.example', Title: 'Head of IT', Phone: '555', FirstName: 'Ann' },
          { modifiedAt: AT + 5000, lastModifiedById: '005B' },
        ),
        hubspot: hsContact({ email: 'ann@x.example', jobtitle: 'CTO', phone: '111', firstname: 'Ann' }),
        entries: [write('sf:00Q1', 'Title', 'Engineer', 'CTO'), write('hs:51', 'phone', '111', '555')],
      }),
      ctx,
      options,
    );
    assert.deepEqual(d.hubspot, {});
    assert.deepEqual(d.salesforce, {});
    const [title, phone] = d.items;
    assert.equal(title?.reason, 'changed_since');
    assert.equal(title?.current, 'Head of IT');
    assert.equal(title?.changedAt, AT + 5000);
    assert.equal(title?.changedBy, '005B');
    assert.equal(phone?.reason, 'already_restored');
  });

  it('U2: the run wrote a field twice: the value before the first write comes back, if the last still holds', () => {
    const d = decideUndo(
      pairing({
        entries: [write('hs:51', 'jobtitle', 'Engineer', 'Lead'), write('hs:51', 'jobtitle', 'Lead', 'CTO')],
      }),
      ctx,
      options,
    );
    assert.deepEqual(d.hubspot, { jobtitle: 'Engineer' });
    assert.equal(d.items.length, 1);
  });

  it('U2: a record gone since, or a lead converted since (M5), is skipped', () => {
    const gone = decideUndo(
      pairing({ hubspot: null, entries: [write('hs:51', 'jobtitle', 'Engineer', 'CTO')] }),
      ctx,
      options,
    );
    assert.equal(gone.items[0]?.reason, 'record_gone');
    const converted = decideUndo(
      pairing({
        salesforce: sfRecord('Lead', '00Q1', { Title: 'CTO' }, { isConverted: true }),
        entries: [write('sf:00Q1', 'Title', 'Engineer', 'CTO')],
      }),
      ctx,
      options,
    );
    assert.equal(converted.items[0]?.reason, 'converted');
    assert.deepEqual(converted.salesforce, {});
  });
});

describe('O1: an undo never touches an opt-out', () => {
  it('O1: an unsubscribe and a Salesforce opt-out the run wrote stay, listed as skipped, whatever they hold', () => {
    const d = decideUndo(
      pairing({
        hubspot: hsContact({ email: 'ann@x.example', hs_email_optout: 'true' }, { optedOut: true }),
        salesforce: sfRecord('Lead', '00Q1', { Email: 'ann@x.example', HasOptedOutOfEmail: true }),
        entries: [
          write('hs:51', 'hs_email_optout', 'false', 'true'),
          write('sf:00Q1', 'HasOptedOutOfEmail', 'false', 'true'),
        ],
      }),
      ctx,
      options,
    );
    assert.deepEqual([d.hubspot, d.salesforce], [{}, {}], 'nobody is resubscribed');
    assert.deepEqual(
      d.items.map((i) => i.reason),
      ['opt_out', 'opt_out'],
    );
  });

  it('O1: nor is a resubscription undone (the run cleared the Salesforce checkbox: it is not set again)', () => {
    const d = decideUndo(
      pairing({ entries: [write('sf:00Q1', 'HasOptedOutOfEmail', 'true', 'false')] }),
      ctx,
      options,
    );
    assert.deepEqual(d.salesforce, {});
    assert.equal(d.items[0]?.reason, 'opt_out');
  });
});

describe('U2: values compare in the form of their system', () => {
  const lead = sfFieldsOf('Lead');
  const props = hsContactProperties();
  it('U2: Salesforce numbers, booleans, dates, datetimes, multi-picklists and emails', () => {
    assert.ok(sameSalesforceValue(lead.get('AnnualRevenue'), 1500, '1500.0'));
    assert.ok(!sameSalesforceValue(lead.get('AnnualRevenue'), 1500, '1500.5'));
    assert.ok(sameSalesforceValue(lead.get('HasOptedOutOfEmail'), true, 'TRUE'));
    assert.ok(
      sameSalesforceValue(
        sfField({ name: 'Seen__c', type: 'datetime' }),
        '2026-01-01T10:00:00.000+0000',
        '2026-01-01T10:00:00Z',
      ),
    );
    assert.ok(sameSalesforceValue(sfField({ name: 'Day__c', type: 'date' }), '2026-01-01', '2026-01-01'));
    assert.ok(sameSalesforceValue(sfField({ name: 'Tags__c', type: 'multipicklist' }), 'a;b', 'b;a'));
    assert.ok(sameSalesforceValue(lead.get('Email'), 'Ann@X.example', 'ann@x.example'));
    assert.ok(!sameSalesforceValue(lead.get('Title'), 'cto', 'CTO'), 'text is exact');
    assert.ok(sameSalesforceValue(lead.get('Title'), null, ''), 'blanks alike');
    assert.ok(!sameSalesforceValue(lead.get('Title'), null, 'CTO'));
  });
  it('U2: HubSpot numbers, blanks and emails', () => {
    assert.ok(sameHubSpotValue(props.get('annualrevenue'), '1000', '1000.0'));
    assert.ok(sameHubSpotValue(props.get('jobtitle'), undefined, null));
    assert.ok(sameHubSpotValue(props.get('jobtitle'), '', null));
    assert.ok(sameHubSpotValue(props.get('email'), 'Ann@X.example ', 'ann@x.example'));
    assert.ok(!sameHubSpotValue(props.get('jobtitle'), 'CTO', 'Cto'));
  });
  it('U2: a Salesforce number read back restores as a number, a boolean as a boolean', () => {
    const d = decideUndo(
      pairing({
        salesforce: sfRecord('Lead', '00Q1', { AnnualRevenue: 2000, DoNotCall: true }),
        entries: [
          write('sf:00Q1', 'AnnualRevenue', '1500.5', '2000'),
          write('sf:00Q1', 'DoNotCall', 'false', 'true'),
        ],
      }),
      ctx,
      options,
    );
    assert.deepEqual(d.salesforce, { AnnualRevenue: 1500.5, DoNotCall: false });
  });
});

describe('U2: links and the snapshot after an undo', () => {
  it('U2: links made by the run are kept, and the link ids with them (M1, M3)', () => {
    const d = decideUndo(
      pairing({
        hubspot: hsContact({ email: 'ann@x.example', salesforceleadid: '00Q1' }),
        entries: [write('hs:51', 'link', null, '00Q1'), write('hs:51', 'salesforceleadid', null, '00Q1')],
      }),
      ctx,
      options,
    );
    assert.deepEqual(
      d.items.map((i) => i.reason),
      ['link_kept', 'link_id'],
    );
    assert.equal(d.endLink, false);
    assert.deepEqual(d.hubspot, {});
  });

  it('U2: where the two sides differ after the undo, the mapping leaves the snapshot (F7: it moves on the next change); where they agree, that is the value', () => {
    const d = decideUndo(
      pairing({
        // The run wrote HubSpot's jobtitle from Salesforce (they agree after it); HubSpot's firstname
        // the same, and Salesforce holds "Ann" now too, before and after.
        hubspot: hsContact({ email: 'ann@x.example', jobtitle: 'CTO', firstname: 'Anna' }),
        salesforce: sfRecord('Lead', '00Q1', { Email: 'ann@x.example', Title: 'CTO', FirstName: 'Ann' }),
        entries: [write('hs:51', 'jobtitle', 'Engineer', 'CTO'), write('hs:51', 'firstname', 'Ann', 'Anna')],
      }),
      ctx,
      options,
    );
    assert.deepEqual(d.hubspot, { jobtitle: 'Engineer', firstname: 'Ann' });
    const values = d.snapshot?.values ?? {};
    assert.equal('jobtitle' in values, false, 'Engineer ≠ CTO: left out');
    assert.equal(values.firstname, 'Ann', 'both hold Ann');
    assert.equal(values.phone, '555', 'untouched mappings keep their agreed value');
  });
});

describe('U2: records the run created', () => {
  const created = [
    write('sf:00Qn', RECORD_FIELD, null, 'created'),
    write('sf:00Qn', 'LastName', null, 'Ng'),
    write('hs:51', 'link', null, '00Qn'),
    write('hs:51', 'salesforceleadid', null, '00Qn'),
  ];
  const base = {
    sfId: '00Qn',
    link: { ...link({}), sfId: '00Qn' },
    hubspot: hsContact({ email: 'ng@x.example', salesforceleadid: '00Qn' }),
    entries: created,
  };
  const record = (extra: Parameters<typeof sfRecord>[3] = {}) =>
    sfRecord(
      'Lead',
      '00Qn',
      { LastName: 'Ng' },
      { modifiedAt: AT - 1000, lastModifiedById: '005I', ...extra },
    );

  it('U2: kept and listed without --include-creates', () => {
    const d = decideUndo(pairing({ ...base, salesforce: record() }), ctx, options);
    assert.equal(d.deleteSalesforce, null);
    assert.equal(d.items.find((i) => i.field === RECORD_FIELD)?.reason, 'created');
    assert.equal(d.endLink, false);
  });

  it('U2: with --include-creates and untouched since: deleted, its link ends, and the link id the run wrote on the contact goes back', () => {
    const d = decideUndo(pairing({ ...base, salesforce: record() }), ctx, {
      ...options,
      includeCreates: true,
    });
    assert.equal(d.deleteSalesforce, '00Qn');
    assert.equal(d.endLink, true);
    assert.deepEqual(d.hubspot, { salesforceleadid: '' });
    assert.equal(d.items.find((i) => i.field === RECORD_FIELD)?.action, 'delete');
  });

  it('U2: with --include-creates but modified since (a value, a later save, or a person): kept, with why', () => {
    const changed = decideUndo(
      pairing({
        ...base,
        salesforce: sfRecord(
          'Lead',
          '00Qn',
          { LastName: 'Ngo' },
          { modifiedAt: AT - 1000, lastModifiedById: '005I' },
        ),
      }),
      ctx,
      { ...options, includeCreates: true },
    );
    assert.equal(changed.deleteSalesforce, null);
    assert.match(changed.items.find((i) => i.field === RECORD_FIELD)?.why ?? '', /LastName changed since/);
    const later = decideUndo(pairing({ ...base, salesforce: record({ modifiedAt: AT + 1000 }) }), ctx, {
      ...options,
      includeCreates: true,
    });
    assert.equal(later.items.find((i) => i.field === RECORD_FIELD)?.reason, 'created_changed');
    const person = decideUndo(pairing({ ...base, salesforce: record({ lastModifiedById: '005A' }) }), ctx, {
      ...options,
      includeCreates: true,
    });
    assert.equal(person.deleteSalesforce, null);
    const refused = decideUndo(pairing({ ...base, salesforce: record() }), ctx, {
      ...options,
      includeCreates: true,
      refusedDeletes: new Set(['00Qn']),
    });
    assert.equal(refused.deleteSalesforce, null);
    assert.equal(refused.endLink, false);
  });

  it('U2: a record that was there before the run (an upsert met it) is never deleted', () => {
    const options_ = { ...options, includeCreates: true, runStartedAt: AT - 30_000 };
    const before = decideUndo(
      pairing({ ...base, salesforce: record({ createdAt: AT - 60_000 }) }),
      ctx,
      options_,
    );
    assert.equal(before.deleteSalesforce, null);
    assert.match(before.items.find((i) => i.field === RECORD_FIELD)?.why ?? '', /was there before the run/);
    const during = decideUndo(
      pairing({ ...base, salesforce: record({ createdAt: AT - 10_000 }) }),
      ctx,
      options_,
    );
    assert.equal(during.deleteSalesforce, '00Qn');
    const contact = (createdate: string) =>
      decideUndo(
        pairing({
          hubspot: hsContact({ email: 'hs@x.example', createdate }, { updatedAt: AT - 5000 }),
          entries: [
            write('hs:51', RECORD_FIELD, null, 'created'),
            write('hs:51', 'email', null, 'hs@x.example'),
          ],
        }),
        ctx,
        options_,
      ).deleteHubSpot;
    assert.equal(contact(new Date(AT - 60_000).toISOString()), null);
    assert.equal(contact(String(AT - 10_000)), '51');
  });

  it('U2: a record an undo deleted is not brought back by undoing the undo', () => {
    const d = decideUndo(
      pairing({ salesforce: null, entries: [write('sf:00Q1', RECORD_FIELD, 'created', 'deleted')] }),
      ctx,
      options,
    );
    assert.equal(d.items[0]?.reason, 'deleted_record');
  });
});

describe('U2: the report of an undo', () => {
  it('U2: counts restores per system and field, skips by reason, and lists at most UNDO_LIST_MAX', () => {
    const report = emptyUndoReport(RUN, true);
    for (let i = 0; i < UNDO_LIST_MAX + 5; i++)
      countDecision(
        report,
        decideUndo(
          pairing({
            hubspot: hsContact({ jobtitle: 'CTO', phone: `x${i}` }),
            entries: [write('hs:51', 'jobtitle', 'Eng', 'CTO'), write('hs:51', 'phone', '1', '2')],
          }),
          ctx,
          options,
        ),
      );
    const done = settled(report);
    assert.deepEqual(done.restored, { salesforce: 0, hubspot: UNDO_LIST_MAX + 5 });
    assert.deepEqual(done.byField, [{ system: 'hubspot', field: 'jobtitle', count: UNDO_LIST_MAX + 5 }]);
    assert.equal(done.skipped, UNDO_LIST_MAX + 5);
    assert.deepEqual(done.skippedByReason, { changed_since: UNDO_LIST_MAX + 5 });
    assert.equal(done.listed.length, UNDO_LIST_MAX);
  });
});
