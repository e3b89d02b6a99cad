/**
 * The planner's invariants over random contacts, records, links, settings, rules and triggers
 * (fast-check): no loops or flip-flops, no creation where the email exists, no resubscription,
 * "Prefer Salesforce unless blank" and "Always use Salesforce" kept. Lead Status moves through its
 * value map (F11, many-to-one both ways), so every invariant holds with a value map in play.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allowedRules, DEFAULT_MAPPINGS } from '../../src/core/mappings.ts';
import { isEcho, isSalesforceEcho } from '../../src/core/echo.ts';
import { emailKey, UNKNOWN_VALUE } from '../../src/core/matching.ts';
import type { Mapping, SyncRule } from '../../src/core/model.ts';
import { triggers, type Trigger } from '../../src/core/scope.ts';
import { hsContactProperties, sfFieldsOf } from './fixtures.ts';
import { applyPlan, context, plan, SF_USERS, T0, type Step, type PlanWorld } from './world.ts';
import { planWrites, type PlanSettings, type SyncPlan } from '../../src/core/sync-plan.ts';
import type { HsContact, SfRecord, Snapshot, SfValue } from '../../src/core/records.ts';

const EMAILS = ['a@example.com', ' A@Example.com', 'b@example.com'];
const hsProperties = hsContactProperties();
const fields = { Lead: sfFieldsOf('Lead'), Contact: sfFieldsOf('Contact') };

/** HubSpot-form values a property may hold (a few, so that sides often agree and often differ). */
function hsPool(m: Mapping): string[] {
  if (m.hsProperty === 'email') return ['', ...EMAILS];
  if (m.hsProperty === 'hubspot_owner_id') return ['', '101', '102', '103', '104'];
  if (m.hsProperty === 'salesforceaccountid') return ['', '001A', '001B'];
  // F11: Lead Status goes through its shipped value map, many-to-one both ways.
  if (m.hsProperty === 'hs_lead_status')
    return ['', 'NEW', 'OPEN', 'IN_PROGRESS', 'CONNECTED', 'UNQUALIFIED'];
  const p = hsProperties.get(m.hsProperty)!;
  switch (p.type) {
    case 'enumeration':
      return ['', ...p.options.slice(0, 2)];
    case 'number':
      return ['', '3', '250.0'];
    default:
      return ['', 'x', 'Ünï "q" \\ o\'k'];
  }
}

function sfPool(m: Mapping, object: 'Lead' | 'Contact'): SfValue[] {
  if (m.sfField === 'Email') return [null, ...EMAILS];
  if (m.sfField === 'OwnerId') return SF_USERS.map((u) => u.id);
  if (m.sfField === 'AccountId') return [null, '001A', '001B'];
  if (m.sfField === 'Status') return [null, ...fields.Lead.get('Status')!.picklistValues];
  const f = fields[object].get(m.sfField);
  if (!f) return [null];
  switch (f.type) {
    case 'picklist':
      return [null, ...f.picklistValues.slice(0, 2)];
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return [null, 3, 250];
    default:
      return [null, 'x', 'y'];
  }
}

const time = fc.integer({ min: 0, max: 5 }).map((n) => T0 + n * 1000);

const rulesArb: fc.Arbitrary<SyncRule[]> = fc.tuple(
  ...DEFAULT_MAPPINGS.map((m) => fc.constantFrom(...allowedRules(m.hsProperty, m.sfField))),
);

const hsArb: fc.Arbitrary<HsContact> = fc
  .record({
    values: fc.tuple(...DEFAULT_MAPPINGS.map((m) => fc.constantFrom(...hsPool(m)))),
    times: fc.tuple(...DEFAULT_MAPPINGS.map(() => time)),
    optedOut: fc.boolean(),
    primaryCompanyId: fc.constantFrom(null, '9001', '9002'),
  })
  .map(({ values, times, optedOut, primaryCompanyId }) => {
    const properties: Record<string, string> = {};
    const changedAt: Record<string, number> = {};
    DEFAULT_MAPPINGS.forEach((m, i) => {
      if (values[i] !== '') properties[m.hsProperty] = values[i]!;
      changedAt[m.hsProperty] = times[i]!;
    });
    return { id: '51', properties, changedAt, optedOut, primaryCompanyId };
  });

function sfArb(index: number): fc.Arbitrary<SfRecord> {
  return fc.constantFrom('Lead' as const, 'Contact' as const).chain((object) =>
    fc
      .record({
        values: fc.tuple(...DEFAULT_MAPPINGS.map((m) => fc.constantFrom(...sfPool(m, object)))),
        optOut: fc.boolean(),
        createdAt: time,
        modifiedAt: time,
        linkedElsewhere: fc.boolean().map((b) => b && index === 2),
        byUs: fc.boolean(),
        placeholder: fc.boolean(),
      })
      .map(({ values, optOut, createdAt, modifiedAt, linkedElsewhere, placeholder, byUs }) => {
        const record: Record<string, SfValue> = { HasOptedOutOfEmail: optOut };
        DEFAULT_MAPPINGS.forEach((m, i) => {
          if (m.objects.includes(object)) record[m.sfField] = values[i]!;
        });
        if (placeholder) record.LastName = UNKNOWN_VALUE;
        const id = `${object === 'Lead' ? '00Q' : '003'}${index}`;
        return {
          object,
          id,
          email: typeof record.Email === 'string' ? record.Email : null,
          createdAt,
          modifiedAt: Math.max(createdAt, modifiedAt),
          isDeleted: false,
          isConverted: false,
          convertedContactId: null,
          masterRecordId: null,
          linkedHsContactId: linkedElsewhere ? '77' : null,
          lastModifiedById: byUs ? '005I' : '005A',
          values: record,
        };
      }),
  );
}

const snapshotArb: fc.Arbitrary<Snapshot> = fc
  .record({
    values: fc.tuple(
      ...DEFAULT_MAPPINGS.map((m) =>
        fc.oneof(fc.constant(undefined), fc.constant(null), fc.constantFrom(...hsPool(m))),
      ),
    ),
    optOut: fc.constantFrom(null, true, false),
    accountId: fc.constantFrom(null, '001A', '001B'),
    sfChangedAt: fc.option(time, { nil: null }),
  })
  .map(({ values, optOut, accountId, sfChangedAt }) => {
    const agreed: Record<string, string | null> = {};
    DEFAULT_MAPPINGS.forEach((m, i) => {
      if (values[i] !== undefined) agreed[m.hsProperty] = values[i]!;
    });
    return { values: agreed, optOut, accountId, sfChangedAt };
  });

interface Case {
  readonly world: PlanWorld;
  readonly step: Step;
  readonly settings: Partial<PlanSettings>;
  /** The rule of each default mapping, in `DEFAULT_MAPPINGS` order. */
  readonly rules: readonly SyncRule[];
}

const COMPANIES = [
  ['001A', '9001'],
  ['001B', '9002'],
] as const;

function ctxOf(c: Case) {
  return context(
    c.settings,
    DEFAULT_MAPPINGS.map((m, i) => ({ ...m, rule: c.rules[i]! })),
    COMPANIES,
  );
}

/** A world as the engine would hand it over: consistent links, and the contact found by email. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    mappings: rulesArb,
    segment: fc.boolean(),
    isMember: fc.boolean(),
    createAs: fc.constantFrom('lead' as const, 'contact' as const),
    sfUpdates: fc.constantFrom('create_or_update' as const, 'do_nothing' as const),
    createFromNewSalesforce: fc.boolean(),
    accountSync: fc.boolean(),
    hubspot: fc.option(hsArb, { nil: null }),
    salesforce: fc.tuple(sfArb(0), sfArb(1), sfArb(2)).chain((all) => fc.subarray(all)),
    converted: fc.boolean(),
    linkTo: fc.option(fc.nat(2), { nil: null }),
    snapshot: snapshotArb,
    trigger: fc.constantFrom(...triggers),
    origin: fc.nat(2),
  })
  .map((c): Case => {
    let salesforce = c.salesforce;
    // Sometimes the first lead was converted into a contact of the list (M5).
    const contact = salesforce.find((r) => r.object === 'Contact');
    if (c.converted && contact) {
      salesforce = salesforce.map((r) =>
        r.object === 'Lead' && r === salesforce.find((l) => l.object === 'Lead')
          ? { ...r, isConverted: true, convertedContactId: contact.id }
          : r,
      );
    }
    const fromSalesforce = ['sf_created', 'sf_updated', 'import'].includes(c.trigger);
    const origin = fromSalesforce ? salesforce[c.origin % Math.max(salesforce.length, 1)] : undefined;
    let hubspot = c.hubspot;
    let link: PlanWorld['link'] = null;
    const target = c.linkTo === null ? undefined : salesforce[c.linkTo % Math.max(salesforce.length, 1)];
    if (
      hubspot &&
      target &&
      target.linkedHsContactId === null &&
      !(target.object === 'Lead' && target.isConverted)
    ) {
      link = {
        hsContactId: '51',
        sfObject: target.object,
        sfId: target.id,
        snapshot: c.snapshot,
        lastSyncedAt: T0 + 2500,
      };
      salesforce = salesforce.map((r) => (r.id === target.id ? { ...r, linkedHsContactId: '51' } : r));
    } else if (origin && hubspot) {
      // Unlinked and triggered from Salesforce: the engine hands over the contact that has the email.
      hubspot =
        origin.email === null
          ? null
          : { ...hubspot, properties: { ...hubspot.properties, email: origin.email.trim().toLowerCase() } };
    }
    const trigger: Trigger = !hubspot && !origin ? 'sf_updated' : c.trigger;
    const step: Step = {
      trigger,
      sfRecordId: origin?.id ?? (trigger === 'sf_updated' ? (salesforce[0]?.id ?? null) : null),
      isMember: c.isMember,
    };
    const settings: Partial<PlanSettings> = {
      segmentId: c.segment ? '7' : null,
      createAs: c.createAs,
      sfUpdates: c.sfUpdates,
      createFromNewSalesforce: c.createFromNewSalesforce,
      accountSync: c.accountSync,
    };
    return { world: { hubspot, salesforce, link }, step, settings, rules: c.mappings };
  })
  .filter((c) => c.step.sfRecordId !== null || c.world.hubspot !== null);

const NOW = T0 + 60_000;
/** `CROSSWALK_FC_RUNS=20000 npm test` searches harder; a failure prints both plans. */
const runs = { numRuns: Number(process.env.CROSSWALK_FC_RUNS ?? 3000), includeErrorInReport: true };

function describePlan(p: SyncPlan): string {
  return JSON.stringify(
    { outcome: p.outcome, why: p.why, hubspot: p.hubspot, salesforce: p.salesforce, link: p.link },
    null,
    1,
  );
}

describe('planner invariants (fast-check)', () => {
  it('F10: applying a plan and planning again writes nothing (no loops, no flip-flops)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { world, step } = c;
        const ctx = ctxOf(c);
        const first = plan(world, step, ctx);
        const after = applyPlan(world, first, NOW, ctx);
        const again = plan(after, step, ctx);
        assert.equal(planWrites(again), 0, `first: ${describePlan(first)}\nagain: ${describePlan(again)}`);
      }),
      runs,
    );
  });

  it('F10: a linked pair both of whose sides echo what they agreed plans no write, whichever side triggers', () => {
    let echoes = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const ctx = ctxOf(c);
        const after = applyPlan(c.world, plan(c.world, c.step, ctx), NOW, ctx);
        const { link, hubspot } = after;
        const record = after.salesforce.find((r) => r.id === link?.sfId);
        if (!link || !isSalesforceEcho(record, link, ctx) || !isEcho(hubspot, link, ctx)) return;
        echoes++;
        for (const trigger of ['sf_updated', 'hs_updated'] as const) {
          const again = plan(after, { ...c.step, trigger, sfRecordId: record!.id }, ctx);
          assert.equal(planWrites(again), 0, `${trigger}: ${describePlan(again)}`);
        }
      }),
      runs,
    );
    // Not vacuous: the rule recognises many of the pairs a plan leaves behind.
    assert.ok(echoes > runs.numRuns / 50, `only ${echoes} echoes in ${runs.numRuns} runs`);
  });

  it('M7, M8: a plan never creates a record on a side where that email already exists', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { world, step } = c;
        const ctx = ctxOf(c);
        const p = plan(world, step, ctx);
        if (p.salesforce.create) {
          const key = emailKey(String(p.salesforce.create.values.Email ?? ''));
          assert.ok(key !== null);
          assert.equal(
            world.salesforce.some((r) => !r.isDeleted && emailKey(r.email) === key),
            false,
            `created ${key} in Salesforce where it exists`,
          );
        }
        if (p.hubspot.create) {
          assert.equal(world.hubspot, null, 'created in HubSpot where the contact exists');
          assert.ok(emailKey(p.hubspot.create.properties.email) !== null);
        }
      }),
      runs,
    );
  });

  it('O1: a HubSpot opt-out never becomes a resubscription', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { world, step } = c;
        const ctx = ctxOf(c);
        if (!world.hubspot?.optedOut) return;
        const p = plan(world, step, ctx);
        assert.equal(p.hubspot.update?.properties.hs_email_optout, undefined);
        const after = applyPlan(world, p, NOW, ctx);
        assert.equal(after.hubspot?.optedOut ?? true, true);
        // And when it moves, Salesforce ends up opted out too.
        if (p.fields.some((f) => f.hsProperty === 'hs_email_optout' && f.action === 'to_salesforce'))
          assert.equal(
            p.salesforce.update?.values.HasOptedOutOfEmail ?? p.salesforce.create?.values.HasOptedOutOfEmail,
            true,
          );
      }),
      runs,
    );
  });

  it('F4: "Prefer Salesforce unless blank" never overwrites a non-blank Salesforce value', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { world, step } = c;
        const ctx = ctxOf(c);
        const p = plan(world, step, ctx);
        const update = p.salesforce.update;
        if (!update) return;
        const record = world.salesforce.find((r) => r.id === update.id)!;
        for (const m of ctx.mappings) {
          if (m.rule !== 'prefer_salesforce_unless_blank' || !(m.sfField in update.values)) continue;
          const before = record.values[m.sfField];
          // The C1 placeholder stands for "no value": filling it is filling a blank.
          const blank = before === null || before === undefined || before === '' || before === UNKNOWN_VALUE;
          assert.ok(blank, `${m.sfField} was "${String(before)}" and was overwritten`);
        }
      }),
      runs,
    );
  });

  it('F4: "Always use Salesforce" never writes Salesforce', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { world, step } = c;
        const ctx = ctxOf(c);
        const p = plan(world, step, ctx);
        for (const m of ctx.mappings) {
          if (m.rule !== 'always_salesforce') continue;
          assert.equal(p.salesforce.update?.values[m.sfField], undefined, m.sfField);
          const created = p.salesforce.create?.values[m.sfField];
          // A required field HubSpot cannot fill gets the C1 placeholder, never HubSpot's value.
          assert.ok(
            created === undefined || created === UNKNOWN_VALUE,
            `${m.sfField} created as ${String(created)}`,
          );
        }
      }),
      runs,
    );
  });

  it('V1: a plan that syncs a pair explains every mapped field of the record', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { world, step } = c;
        const ctx = ctxOf(c);
        const p = plan(world, step, ctx);
        if (p.outcome !== 'synced') return;
        const object = p.salesforce.create?.object ?? p.salesforce.update?.object;
        if (!object) return;
        for (const m of ctx.mappings.filter((x) => x.objects.includes(object)))
          assert.ok(
            p.fields.some((f) => f.hsProperty === m.hsProperty && f.why !== ''),
            m.hsProperty,
          );
      }),
      runs,
    );
  });

  it('planning is deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { world, step } = c;
        const ctx = ctxOf(c);
        assert.deepEqual(plan(world, step, ctx), plan(world, step, ctxOf(c)));
      }),
      { numRuns: 100 },
    );
  });
});
