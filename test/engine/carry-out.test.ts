/**
 * Carry out (src/engine/carry-out.ts) against the real emulators: the order of a batch's writes, the
 * collection and batch sizes, what a failed write stops, and that carrying out never touches the
 * store (every call here runs with a store that refuses every call). Plans are hand-built where the
 * order of each kind of write matters, and planned by `planSync` from gathered inputs for the sizes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  guardedStore,
  hsCreate,
  hsIdByEmail,
  isWrite,
  sfCreate,
  startEngineWorld,
  type EngineWorld,
  type LoggedRequest,
} from '../helpers/engine.ts';
import { historyFor, hsPropertiesFor, sfFieldsOfBoth } from '../../src/core/mappings.ts';
import { planSync } from '../../src/core/plan.ts';
import { hsKey, type HsContact } from '../../src/core/records.ts';
import type { LinkChange, SyncPlan } from '../../src/core/sync-plan.ts';
import { ConnectorError, type HubSpotPort, type SalesforcePort } from '../../src/connectors/ports.ts';
import { carryOut, type Planned } from '../../src/engine/carry-out.ts';
import type { EngineDeps } from '../../src/engine/deps.ts';
import { gatherLinked, gatherMatches, planInputs } from '../../src/engine/gather.ts';
import { hubspotUnits, salesforceUnits, type Unit } from '../../src/engine/unit.ts';

/** A plan that writes only what `over` says. */
function plan(
  over: {
    hubspot?: Partial<SyncPlan['hubspot']>;
    salesforce?: Partial<SyncPlan['salesforce']>;
    link?: LinkChange;
  } = {},
): SyncPlan {
  return {
    outcome: 'synced',
    why: 'hand-built for the test',
    hubspot: {
      create: null,
      update: null,
      unsubscribe: false,
      primaryCompanyId: null,
      deleteId: null,
      ...over.hubspot,
    },
    salesforce: { create: null, update: null, ...over.salesforce },
    link: over.link ?? { action: 'keep' },
    snapshot: null,
    fields: [],
    skips: [],
    errors: [],
  };
}

/** A HubSpot contact as gathering gives it (only what carrying out reads). */
const contact = (id: string, email: string): HsContact => ({
  id,
  properties: { email },
  changedAt: {},
  optedOut: false,
  primaryCompanyId: null,
});

/** One plan with the unit it was made for. */
function planned(p: SyncPlan, hubspot: HsContact | null = null): Planned {
  const unit: Unit = {
    key: hubspot ? hsKey(hubspot.id) : 'sf:none',
    trigger: 'hs_updated',
    hubspot,
    link: null,
    sfRecordId: null,
  };
  const input = {
    trigger: unit.trigger,
    hubspot,
    link: null,
    salesforce: [],
    sfRecordId: null,
    isMember: true,
    campaigns: new Map(),
  };
  return { unit, input, plan: p };
}

/** A first link to the record the plan creates (M3: its id goes into `idProperty`). */
const linkToCreated = (object: 'Lead' | 'Contact', hsContactId: string): LinkChange => ({
  action: 'create',
  sfObject: object,
  sfId: null,
  hsContactId,
  idProperty: object === 'Lead' ? 'salesforceleadid' : 'salesforcecontactid',
  why: 'hand-built',
});

const pathOf = (r: LoggedRequest) => `${r.method} ${r.path.replace(/\?.*/, '')}`;

describe('carry out: a batch of plans written to the two CRMs', () => {
  let w: EngineWorld;
  /** The port methods carrying out called, in order (the real connectors do the work). */
  let portCalls: string[];
  /** The arguments of each of `portCalls`. */
  let portArgs: unknown[][];
  let deps: EngineDeps;
  let storeUses: string[];
  let company: string;

  /** Records every port method called, with its object for Salesforce writes, and delegates. */
  function recording<T extends object>(port: T, system: string): T {
    return new Proxy(port, {
      get(object, name, receiver) {
        const value = Reflect.get(object, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const what =
            system === 'sf' && (name === 'create' || name === 'update') ? ` ${String(args[0])}` : '';
          portCalls.push(`${system}.${String(name)}${what}`);
          portArgs.push(args);
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  }

  const hsProps = async (id: string, names: string[]) =>
    (await w.hs.client.crm.contacts.basicApi.getById(id, names)).properties;

  before(async () => {
    w = await startEngineWorld();
    portCalls = [];
    portArgs = [];
    const guarded = guardedStore(w.store, 'all');
    storeUses = guarded.refused;
    deps = w.depsWith({
      salesforce: recording<SalesforcePort>(w.salesforce, 'sf'),
      hubspot: recording<HubSpotPort>(w.hubspot, 'hs'),
      store: guarded.store,
    });
    company = (
      await w.hs.client.crm.companies.basicApi.create({ properties: { name: 'Acme' }, associations: [] })
    ).id;
  });
  after(() => w?.close());

  it('the order of writes within a batch is unchanged: Salesforce creates then updates, Lead then Contact; then HubSpot upserts, updates, opt-outs, then primary companies and deletes plan by plan', async () => {
    const hsP = await hsCreate(w, { email: 'p@example.com', lastname: 'P' });
    const hsQ = await hsCreate(w, { email: 'q@example.com', lastname: 'Q' });
    const hsU = await hsCreate(w, { email: 'u@example.com', lastname: 'U' });
    const hsO = await hsCreate(w, { email: 'o@example.com', lastname: 'O' });
    const hsK = await hsCreate(w, { email: 'k@example.com', lastname: 'K' });
    const hsD = await hsCreate(w, { email: 'd@example.com', lastname: 'D' });
    const lead = await sfCreate(w, 'Lead', { LastName: 'L', Company: 'Acme', Email: 'l@example.com' });
    const sfContact = await sfCreate(w, 'Contact', { LastName: 'C', Email: 'c@example.com' });
    // Listed against the order they must be written in.
    const batch: Planned[] = [
      planned(plan({ hubspot: { deleteId: hsD } }), contact(hsD, 'd@example.com')),
      planned(plan({ hubspot: { primaryCompanyId: company } }), contact(hsK, 'k@example.com')),
      planned(plan({ hubspot: { unsubscribe: true } }), contact(hsO, 'o@example.com')),
      planned(plan({ hubspot: { update: { id: hsU, properties: { jobtitle: 'Updated' } } } })),
      planned(plan({ hubspot: { create: { properties: { email: 'r@example.com', lastname: 'R' } } } })),
      planned(
        plan({ salesforce: { update: { object: 'Contact', id: sfContact, values: { Title: 'Updated' } } } }),
      ),
      planned(
        plan({
          salesforce: { create: { object: 'Contact', values: { LastName: 'Q', Email: 'q@example.com' } } },
          link: linkToCreated('Contact', hsQ),
        }),
        contact(hsQ, 'q@example.com'),
      ),
      planned(plan({ salesforce: { update: { object: 'Lead', id: lead, values: { Title: 'Updated' } } } })),
      planned(
        plan({
          salesforce: {
            create: { object: 'Lead', values: { LastName: 'P', Company: 'Acme', Email: 'p@example.com' } },
          },
          link: linkToCreated('Lead', hsP),
        }),
        contact(hsP, 'p@example.com'),
      ),
    ];
    portCalls.length = 0;
    portArgs.length = 0;
    const cost = await w.measure(() => carryOut(deps, batch));
    const done = cost.result;

    assert.deepEqual(
      portCalls,
      [
        'sf.create Lead',
        'sf.update Lead',
        'sf.create Contact',
        'sf.update Contact',
        'hs.upsertByEmail',
        'hs.update',
        'hs.unsubscribeAllMany',
        // Primary companies and deletes, one call each, go plan by plan (here the delete's plan is first).
        'hs.archive',
        'hs.setPrimaryCompany',
      ],
      'one call per kind of write, in the fixed order',
    );
    assert.deepEqual(cost.sfRequests.map(pathOf), [
      'POST /services/data/v60.0/composite/sobjects',
      'PATCH /services/data/v60.0/composite/sobjects',
      'POST /services/data/v60.0/composite/sobjects',
      'PATCH /services/data/v60.0/composite/sobjects',
    ]);
    const hsWrites = cost.hsRequests.map(pathOf);
    assert.equal(hsWrites[0], 'POST /crm/v3/objects/contacts/batch/upsert');
    assert.equal(hsWrites[1], 'POST /crm/v3/objects/contacts/batch/update');
    assert.match(hsWrites[2]!, /^POST \/communication-preferences\/v4\/statuses\/.*unsubscribe-all$/);
    // The last two, one call each, go out together (issue 15): started in plan order (`portCalls`), in
    // flight at once, so either may be answered first.
    const singles = hsWrites.slice(-2).sort();
    assert.equal(singles[0], `DELETE /crm/v3/objects/contacts/${hsD}`);
    assert.match(singles[1]!, new RegExp(`^PUT /crm/v4/objects/contacts?/${hsK}/associations/`));
    const lastSfWrite = Date.parse(cost.sfRequests.at(-1)!.at);
    const firstHsWrite = Date.parse(cost.hsRequests[0]!.at);
    assert.ok(lastSfWrite <= firstHsWrite, 'every Salesforce write before any HubSpot write');

    assert.deepEqual(done.failures, new Map(), 'every write went through');
    assert.match(done.sfCreated.get(8)!, /^00Q/, 'the lead was created');
    assert.match(done.sfCreated.get(6)!, /^003/, 'the contact was created');
    assert.deepEqual(
      [done.sfWritten, done.hsWritten],
      [4, 4],
      'creates and updates counted (upsert, 3 updates)',
    );
    // M3: the update after the creates carries the new Salesforce ids.
    assert.equal((await hsProps(hsP, ['salesforceleadid'])).salesforceleadid, done.sfCreated.get(8));
    assert.equal((await hsProps(hsQ, ['salesforcecontactid'])).salesforcecontactid, done.sfCreated.get(6));
    assert.deepEqual(storeUses, [], 'carrying out never touches the store');
  });

  it('B3: 250 Salesforce creates go in 2 collections (≤ 200), 250 HubSpot upserts and 250 updates in 3 batches each (≤ 100)', async () => {
    const hsInputs = Array.from({ length: 250 }, (_, i) => ({
      properties: { email: `hs-bulk-${i}@example.com`, lastname: `Bulk ${i}` },
      associations: [],
    }));
    const hsIds: string[] = [];
    for (let i = 0; i < 250; i += 100)
      hsIds.push(
        ...(
          await w.hs.client.crm.contacts.batchApi.create({ inputs: hsInputs.slice(i, i + 100) })
        ).results.map((r) => r.id),
      );
    const leads: string[] = [];
    for (let i = 0; i < 250; i += 200) {
      const values = Array.from({ length: Math.min(200, 250 - i) }, (_, k) => ({
        LastName: `Bulk ${i + k}`,
        Company: 'Acme',
        Email: `sf-bulk-${i + k}@example.com`,
      }));
      const saved = await w.sf.person.sobject('Lead').create(values, { allOrNone: true });
      leads.push(...saved.map((s) => (assert.ok(s.success), s.id)));
    }
    await w.run('run', async (run) => {
      const contacts = await w.hubspot.byIds(hsIds, hsPropertiesFor(run.ctx), historyFor(run.ctx));
      const records = await w.salesforce.byIds(leads, sfFieldsOfBoth(run.ctx));
      const units = [
        ...(await hubspotUnits(w.store, contacts, 'hs_updated')),
        ...(await salesforceUnits(w.store, records, () => 'sf_created')),
      ];
      await gatherLinked(w.deps, run, units);
      const g = await gatherMatches(w.deps, run, units, new Map(records.map((r) => [r.id, r])));
      const batch = (await planInputs(w.deps, run, g)).map(({ unit, input }) => ({
        unit,
        input,
        plan: planSync(input, run.ctx),
      }));
      assert.equal(
        batch.filter((p) => p.plan.salesforce.create?.object === 'Lead').length,
        250,
        'C1: 250 leads to create',
      );
      assert.equal(batch.filter((p) => p.plan.hubspot.create).length, 250, '250 contacts to create');

      portCalls.length = 0;
      portArgs.length = 0;
      const cost = await w.measure(() => carryOut(deps, batch));
      assert.deepEqual(
        cost.sfRequests.map(pathOf),
        Array<string>(2).fill('POST /services/data/v60.0/composite/sobjects'),
      );
      assert.deepEqual(cost.hsRequests.map(pathOf), [
        ...Array<string>(3).fill('POST /crm/v3/objects/contacts/batch/upsert'),
        ...Array<string>(3).fill('POST /crm/v3/objects/contacts/batch/update'),
      ]);
      const done = cost.result;
      assert.deepEqual(done.failures, new Map());
      assert.deepEqual([done.sfCreated.size, done.hsCreated.size], [250, 250]);
      assert.deepEqual([done.sfWritten, done.hsWritten], [250, 500]);
    });
    assert.deepEqual(storeUses, []);
  });

  it('E1: a failed write gets no later write for its plan; each failure comes back in `failures` and the rest succeed', async () => {
    const hsF1 = await hsCreate(w, { email: 'f1@example.com', lastname: 'F1' });
    const hsF3 = await hsCreate(w, { email: 'f3@example.com', lastname: 'F3' });
    const hsOk1 = await hsCreate(w, { email: 'ok1@example.com', lastname: 'Ok1' });
    const hsOk3 = await hsCreate(w, { email: 'ok3@example.com', lastname: 'Ok3' });
    const batch: Planned[] = [
      // 0. The Salesforce create fails (no LastName): its HubSpot update, opt-out and company never go.
      planned(
        plan({
          salesforce: { create: { object: 'Lead', values: { Company: 'Acme', Email: 'f1@example.com' } } },
          hubspot: {
            update: { id: hsF1, properties: { jobtitle: 'must not arrive' } },
            unsubscribe: true,
            primaryCompanyId: company,
          },
          link: linkToCreated('Lead', hsF1),
        }),
        contact(hsF1, 'f1@example.com'),
      ),
      // 1. The HubSpot create fails (a value HubSpot refuses): no opt-out, no company.
      planned(
        plan({
          hubspot: {
            create: { properties: { email: 'f2@example.com', lastname: 'F2', numemployees: 'a great many' } },
            unsubscribe: true,
            primaryCompanyId: company,
          },
        }),
      ),
      // 2. The HubSpot update fails: no opt-out, no company, no delete.
      planned(
        plan({
          hubspot: {
            update: { id: hsF3, properties: { numemployees: 'a great many' } },
            unsubscribe: true,
            primaryCompanyId: company,
          },
        }),
        contact(hsF3, 'f3@example.com'),
      ),
      // 3–5 succeed.
      planned(
        plan({
          salesforce: {
            create: {
              object: 'Lead',
              values: { LastName: 'Ok1', Company: 'Acme', Email: 'ok1@example.com' },
            },
          },
          link: linkToCreated('Lead', hsOk1),
        }),
        contact(hsOk1, 'ok1@example.com'),
      ),
      planned(
        plan({
          hubspot: {
            create: { properties: { email: 'ok2@example.com', lastname: 'Ok2' } },
            unsubscribe: true,
          },
        }),
      ),
      planned(
        plan({
          hubspot: { update: { id: hsOk3, properties: { jobtitle: 'Arrived' } }, primaryCompanyId: company },
        }),
        contact(hsOk3, 'ok3@example.com'),
      ),
    ];
    portCalls.length = 0;
    portArgs.length = 0;
    const cost = await w.measure(() => carryOut(deps, batch));
    const done = cost.result;

    assert.deepEqual(
      [...done.failures.keys()].sort(),
      [0, 1, 2],
      'exactly the three plans whose write failed',
    );
    const only = (i: number) => {
      const failures = done.failures.get(i)!;
      assert.equal(failures.length, 1, `plan ${i}: one failure, no later write to fail`);
      return [failures[0]!.direction, failures[0]!.outcome.code];
    };
    assert.deepEqual(only(0), ['to_salesforce', 'REQUIRED_FIELD_MISSING']);
    assert.deepEqual(only(1), ['to_hubspot', 'INVALID_LONG']);
    assert.deepEqual(only(2), ['to_hubspot', 'INVALID_LONG']);
    assert.deepEqual([...done.sfCreated.keys()], [3]);
    assert.deepEqual([...done.hsCreated.keys()], [4]);

    // What reached HubSpot: only the plans that had not failed.
    assert.equal(
      (await hsProps(hsF1, ['jobtitle'])).jobtitle ?? null,
      null,
      'no update after a failed create',
    );
    assert.equal(await hsIdByEmail(w, 'f2@example.com'), null, 'the refused contact was not created');
    assert.equal(await hsIdByEmail(w, 'ok2@example.com'), done.hsCreated.get(4));
    assert.equal((await hsProps(hsOk1, ['salesforceleadid'])).salesforceleadid, done.sfCreated.get(3));
    assert.equal((await hsProps(hsOk3, ['jobtitle'])).jobtitle, 'Arrived');
    const unsubscribes = cost.hsRequests.filter((r) => /unsubscribe-all/.test(r.path));
    assert.equal(unsubscribes.length, 1, 'one opt-out call');
    assert.deepEqual(portArgs[portCalls.indexOf('hs.unsubscribeAllMany')], [['ok2@example.com']]);
    const associations = cost.hsRequests.filter((r) => /associations/.test(r.path));
    assert.deepEqual(
      associations.map((r) => r.path.split('/')[5]),
      [hsOk3],
      'a primary company only for the plan with no failure',
    );
    assert.deepEqual(
      portArgs.filter((_, k) => portCalls[k] === 'hs.setPrimaryCompany'),
      [[hsOk3, company]],
    );
    assert.ok(!cost.hsRequests.some((r) => r.method === 'DELETE'));
    assert.ok(
      cost.sfRequests.every((r) => isWrite(r, 'salesforce')),
      'carrying out reads nothing',
    );
    assert.deepEqual(storeUses, [], 'carrying out never touches the store');
  });

  it('E2: step 3 sends several single calls at once; one failing for good is thrown once the others are done', async () => {
    const ids = await Promise.all(
      ['k1', 'k2', 'd1', 'k3', 'd2', 'dx'].map((n) => hsCreate(w, { email: `${n}@example.com` })),
    );
    const [k1, k2, d1, k3, d2, dx] = ids as [string, string, string, string, string, string];
    const batch: Planned[] = [
      planned(plan({ hubspot: { primaryCompanyId: company } }), contact(k1, 'k1@example.com')),
      planned(plan({ hubspot: { primaryCompanyId: company } }), contact(k2, 'k2@example.com')),
      planned(plan({ hubspot: { deleteId: d1 } }), contact(d1, 'd1@example.com')),
      planned(plan({ hubspot: { primaryCompanyId: company } }), contact(k3, 'k3@example.com')),
      planned(plan({ hubspot: { deleteId: d2 } }), contact(d2, 'd2@example.com')),
      // Last in plan order, so every other call has started before it fails.
      planned(plan({ hubspot: { deleteId: dx } }), contact(dx, 'dx@example.com')),
    ];
    // The archive of dx answers 503 to each of its 3 attempts.
    await w.hs.admin('POST', '/faults', { kind: 'status', status: 503, count: 3, pathContains: dx });
    const before = { calls: w.hubspot.calls, logged: (await w.hsLog()).length };
    await assert.rejects(carryOut(deps, batch), (error: unknown) => {
      assert.ok(error instanceof ConnectorError);
      assert.equal(error.status, 503);
      return true;
    });
    const log = (await w.hsLog()).slice(before.logged);
    assert.equal(w.hubspot.calls - before.calls, log.length, 'every request counted, none left running');
    assert.equal(log.filter((r) => r.status === 503).length, 3);
    // The others were written: the primary companies set and the other contacts archived.
    assert.deepEqual(
      await w.hubspot.primaryCompanies([k1, k2, k3]),
      new Map([k1, k2, k3].map((k) => [k, company])),
    );
    for (const gone of [d1, d2]) assert.equal(w.hs.emulator.portal.get('contacts', gone), undefined);
    assert.ok(w.hs.emulator.portal.get('contacts', dx));
    assert.deepEqual(storeUses, [], 'carrying out never touches the store');
  });
});
