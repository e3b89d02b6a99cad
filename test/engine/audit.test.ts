/**
 * V1, U2: the audit log as a ledger — every value a plan wrote, before and after, with why, and who
 * changed the field last before the write (as the records read said); a record created; an
 * unsubscribe (O1) — kept and read back by the store as written. A plan partly carried out keeps the
 * values of the side whose write went through.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditOf } from '../../src/engine/audit.ts';
import type { CarriedOut, Planned, WriteFailure } from '../../src/engine/carry-out.ts';
import type { EngineDeps } from '../../src/engine/deps.ts';
import { recordOutcomes } from '../../src/engine/record-outcomes.ts';
import type { Counts, Run } from '../../src/engine/run.ts';
import type { SyncPlan } from '../../src/core/sync-plan.ts';
import { RECORD_FIELD } from '../../src/core/undo.ts';
import { openSqliteStore } from '../../src/store/embedded/sqlite-store.ts';
import { hsContact, sfRecord, T0 } from '../core/world.ts';

const plan = (over: Partial<SyncPlan>): SyncPlan => ({
  outcome: 'synced',
  why: 'test',
  hubspot: { create: null, update: null, unsubscribe: false, primaryCompanyId: null, deleteId: null },
  salesforce: { create: null, update: null },
  link: { action: 'keep' },
  snapshot: null,
  fields: [
    { hsProperty: 'jobtitle', sfField: 'Title', rule: 'two_way', action: 'to_hubspot', why: 'SF changed' },
    { hsProperty: 'phone', sfField: 'Phone', rule: 'two_way', action: 'to_salesforce', why: 'HS changed' },
    {
      hsProperty: 'hs_email_optout',
      sfField: 'HasOptedOutOfEmail',
      rule: 'special',
      action: 'to_hubspot',
      why: 'Email Opt Out checked in Salesforce (O1)',
    },
  ],
  skips: [],
  errors: [],
  ...over,
});

describe('V1, U2: the ledger of a plan', () => {
  const contact = hsContact(
    { email: 'ann@x.example', jobtitle: 'Engineer' },
    { changedAt: { jobtitle: T0 + 5 }, changedBy: { jobtitle: 'CRM_UI' } },
  );
  const record = sfRecord('Lead', '00Q1', { Phone: '111' }, { modifiedAt: T0 + 7, lastModifiedById: '005A' });
  const planned: Planned = {
    unit: { key: 'hs:51', trigger: 'hs_updated', hubspot: contact, link: null, sfRecordId: null },
    input: {
      trigger: 'hs_updated',
      hubspot: contact,
      link: null,
      salesforce: [record],
      sfRecordId: null,
      isMember: true,
      campaigns: new Map(),
    },
    plan: plan({
      hubspot: {
        create: null,
        update: { id: '51', properties: { jobtitle: 'CTO' } },
        unsubscribe: true,
        primaryCompanyId: null,
        deleteId: null,
      },
      salesforce: { create: null, update: { object: 'Lead', id: '00Q1', values: { Phone: '222' } } },
    }),
  };

  it('V1: each value with before, after and why; who changed it last and when; the unsubscribe (O1)', () => {
    const entries = auditOf(planned, '51', null, 'run-1-1', T0 + 10);
    assert.deepEqual(
      entries.map((e) => [e.record, e.field, e.oldValue, e.newValue, e.why, e.changedBy, e.changedAt]),
      [
        ['hs:51', 'jobtitle', 'Engineer', 'CTO', 'SF changed', 'CRM_UI', T0 + 5],
        [
          'hs:51',
          'hs_email_optout',
          'false',
          'true',
          'Email Opt Out checked in Salesforce (O1)',
          undefined,
          undefined,
        ],
        ['sf:00Q1', 'Phone', '111', '222', 'HS changed', '005A', T0 + 7],
      ],
    );
  });

  it('U2: a record created is in the ledger, and the store gives every entry back as written', async () => {
    const created: Planned = {
      ...planned,
      plan: plan({
        salesforce: { create: { object: 'Lead', values: { LastName: 'Ng', Company: 'X' } }, update: null },
      }),
    };
    const entries = [
      ...auditOf(planned, '51', null, 'run-1-1', T0 + 10),
      ...auditOf(created, '51', '00Qn', 'run-1-1', T0 + 10),
    ];
    assert.deepEqual(
      entries.filter((e) => e.record === 'sf:00Qn').map((e) => [e.field, e.oldValue, e.newValue]),
      [
        [RECORD_FIELD, null, 'created'],
        ['LastName', null, 'Ng'],
        ['Company', null, 'X'],
      ],
    );
    const store = openSqliteStore(':memory:', { now: () => T0 });
    try {
      await store.migrate();
      await store.appendAudit(entries);
      const read = await store.auditOfRun('run-1-1', { limit: 100, offset: 0 });
      assert.deepEqual(read.entries, entries);
    } finally {
      await store.close();
    }
  });
});

describe('U2: the ledger of a plan partly carried out (carryOut writes Salesforce first)', () => {
  const contact = hsContact({ email: 'ann@x.example', jobtitle: 'Engineer' });
  const record = sfRecord('Lead', '00Q1', { Phone: '111' }, { modifiedAt: T0 + 7 });
  const input = {
    trigger: 'hs_updated' as const,
    hubspot: contact,
    link: null,
    salesforce: [record],
    sfRecordId: null,
    isMember: true,
    campaigns: new Map(),
  };
  const unit = {
    key: 'hs:51' as const,
    trigger: 'hs_updated' as const,
    hubspot: contact,
    link: null,
    sfRecordId: null,
  };
  /** Both sides written: the contact's jobtitle and opt-out, the lead's Phone. */
  const both: Planned = {
    unit,
    input,
    plan: plan({
      hubspot: {
        create: null,
        update: { id: '51', properties: { jobtitle: 'CTO' } },
        unsubscribe: true,
        primaryCompanyId: null,
        deleteId: null,
      },
      salesforce: { create: null, update: { object: 'Lead', id: '00Q1', values: { Phone: '222' } } },
    }),
  };
  /** A contact created, and a Salesforce update (a plan carryOut may half write). */
  const created: Planned = {
    unit: { ...unit, key: 'sf:00Q1' as const, trigger: 'sf_updated', hubspot: null, sfRecordId: '00Q1' },
    input: { ...input, trigger: 'sf_updated', hubspot: null, sfRecordId: '00Q1' },
    plan: plan({
      hubspot: {
        create: { properties: { email: 'ann@x.example', jobtitle: 'CTO' } },
        update: null,
        unsubscribe: false,
        primaryCompanyId: null,
        deleteId: null,
      },
      salesforce: { create: null, update: { object: 'Lead', id: '00Q1', values: { Phone: '222' } } },
      link: {
        action: 'create',
        sfObject: 'Lead',
        sfId: '00Q1',
        hsContactId: null,
        idProperty: 'salesforceleadid',
        why: 'new',
      },
    }),
  };
  const failure = (direction: WriteFailure['direction']): WriteFailure => ({
    direction,
    outcome: { ok: false, code: 'VALIDATION_ERROR', message: 'refused', fields: [] },
  });

  /** What `recordOutcomes` puts in the ledger for `p` carried out as `failures` and `hsCreated` say. */
  async function ledger(p: Planned, failures: WriteFailure[], hsCreated?: string) {
    const store = openSqliteStore(':memory:', { now: () => T0 });
    try {
      await store.migrate();
      const counts = { latency: [] as number[] } as unknown as Counts;
      const run = { id: 'run-2-2', counts, repairs: null, timesLatency: false } as unknown as Run;
      const deps = { store, now: () => T0 + 10 } as unknown as EngineDeps;
      const done: CarriedOut = {
        failures: new Map(failures.length ? [[0, failures]] : []),
        sfCreated: new Map(),
        hsCreated: new Map(hsCreated ? [[0, hsCreated]] : []),
        sfWritten: 0,
        hsWritten: 0,
      };
      await recordOutcomes(deps, run, [p], done);
      const read = await store.auditOfRun('run-2-2', { limit: 100, offset: 0 });
      return read.entries.map((e) => [e.record, e.field, e.oldValue, e.newValue]);
    } finally {
      await store.close();
    }
  }

  it('U2: every write went through: the ledger is auditOf, as before', async () => {
    assert.deepEqual(
      await ledger(both, []),
      auditOf(both, '51', null, 'run-2-2', T0 + 10).map((e) => [e.record, e.field, e.oldValue, e.newValue]),
    );
  });

  it('U2: the HubSpot write failed: the Salesforce update that went through is in the ledger', async () => {
    assert.deepEqual(await ledger(both, [failure('to_hubspot')]), [['sf:00Q1', 'Phone', '111', '222']]);
  });

  it('U2: the Salesforce write failed: nothing is in the ledger (no later write was made)', async () => {
    assert.deepEqual(await ledger(both, [failure('to_salesforce')]), []);
  });

  it('U2: a contact created before a failure is in the ledger; the link it did not make is not', async () => {
    assert.deepEqual(await ledger(created, [failure('to_salesforce')], '77'), [
      ['hs:77', RECORD_FIELD, null, 'created'],
      ['hs:77', 'email', null, 'ann@x.example'],
      ['hs:77', 'jobtitle', null, 'CTO'],
    ]);
    assert.deepEqual(await ledger(created, [failure('to_hubspot')]), [['sf:00Q1', 'Phone', '111', '222']]);
  });
});
