/** The planner: every rule composed into one plan per contact, scenario by scenario, by SPEC id. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planSync } from '../../src/core/plan.ts';
import { setMappingRule, DEFAULT_MAPPINGS, addCustomMapping } from '../../src/core/mappings.ts';
import { UNKNOWN_VALUE } from '../../src/core/matching.ts';
import type { Mapping, SyncRule } from '../../src/core/model.ts';
import { applyPlan, context, hsContact, inputOf, plan, sfRecord, T0, type PlanWorld } from './world.ts';
import { hsContactProperties, sfField, sfFieldsOf } from './fixtures.ts';
import { planWrites, type SyncPlan } from '../../src/core/sync-plan.ts';

const NOW = T0 + 60_000;

function field(p: SyncPlan, hsProperty: string) {
  const report = p.fields.find((f) => f.hsProperty === hsProperty);
  assert.ok(report, `no report for ${hsProperty}`);
  return report;
}

function withRule(hsProperty: string, rule: SyncRule): Mapping[] {
  const result = setMappingRule(DEFAULT_MAPPINGS, hsProperty, rule);
  assert.ok(result.ok);
  return result.value;
}

/** A linked pair, agreed on `agreed` (HubSpot form), last synced at T0. */
function linked(
  hs: Record<string, string>,
  sf: Record<string, string | number | boolean | null>,
  agreed: Record<string, string | null>,
  object: 'Lead' | 'Contact' = 'Lead',
): PlanWorld {
  const idProperty = object === 'Lead' ? 'salesforceleadid' : 'salesforcecontactid';
  return {
    hubspot: hsContact({ [idProperty]: '00Q1', ...hs }),
    salesforce: [sfRecord(object, '00Q1', sf, { linkedHsContactId: '51' })],
    link: {
      hsContactId: '51',
      sfObject: object,
      sfId: '00Q1',
      snapshot: { values: agreed, optOut: false, accountId: null, sfChangedAt: T0 },
      lastSyncedAt: T0,
    },
  };
}

/** Plans, applies, and checks that planning again writes nothing. */
function settle(world: PlanWorld, step: Parameters<typeof plan>[1], ctx = context()) {
  const first = plan(world, step, ctx);
  const after = applyPlan(world, first, NOW, ctx);
  const again = plan(after, step, ctx);
  assert.equal(planWrites(again), 0, `planning again wrote: ${JSON.stringify(again, null, 1)}`);
  return { first, after };
}

describe('planner: matching and links (M)', () => {
  it('M1: a first link is made by email, trimmed and case-insensitively', () => {
    const world: PlanWorld = {
      hubspot: hsContact({ email: 'ann@example.com', firstname: 'Ann' }),
      salesforce: [
        sfRecord('Lead', '00Q1', { Email: '  ANN@Example.com ', LastName: 'Lee', Company: 'Acme' }),
      ],
      link: null,
    };
    const p = plan(world, { trigger: 'hs_updated' });
    assert.equal(p.link.action, 'create');
    assert.equal(p.link.action === 'create' && p.link.sfId, '00Q1');
    assert.equal(p.salesforce.create, null);
    assert.deepEqual(p.salesforce.update?.values, { FirstName: 'Ann' });
    assert.equal(p.hubspot.update?.properties.lastname, 'Lee');
    assert.equal(p.hubspot.update?.properties.salesforceleadid, '00Q1');
  });

  it('M2: several records share the email: a Contact before a Lead, then the oldest', () => {
    const world: PlanWorld = {
      hubspot: hsContact({ email: 'a@example.com' }),
      salesforce: [
        sfRecord('Lead', '00Q1', { Email: 'a@example.com', LastName: 'L' }, { createdAt: T0 - 5000 }),
        sfRecord('Contact', '0032', { Email: 'a@example.com', LastName: 'New' }, { createdAt: T0 }),
        sfRecord('Contact', '0031', { Email: 'A@example.com', LastName: 'Old' }, { createdAt: T0 - 1000 }),
      ],
      link: null,
    };
    const p = plan(world, { trigger: 'hs_created' });
    assert.ok(p.link.action === 'create' && p.link.sfId === '0031' && p.link.sfObject === 'Contact');
    assert.equal(p.hubspot.update?.properties.salesforcecontactid, '0031');
  });

  it('M2: a Salesforce trigger on a lead links the contact that comes first, and says why', () => {
    const world: PlanWorld = {
      hubspot: null,
      salesforce: [
        sfRecord('Lead', '00Q1', { Email: 'a@example.com', LastName: 'L' }),
        sfRecord('Contact', '0031', { Email: 'a@example.com', LastName: 'C' }),
      ],
      link: null,
    };
    const p = plan(world, { trigger: 'sf_created', sfRecordId: '00Q1' });
    assert.ok(p.link.action === 'create' && p.link.sfId === '0031');
    assert.equal(p.hubspot.create?.properties.salesforcecontactid, '0031');
    assert.equal(p.skips[0]?.code, 'shares_email');
  });

  it('M3: the link follows the Salesforce id, not the email', () => {
    const world = linked(
      { email: 'old@example.com', lastname: 'Lee' },
      { Email: 'new@example.com', LastName: 'Lee' },
      { email: 'old@example.com', lastname: 'Lee' },
    );
    const { first } = settle(world, { trigger: 'sf_updated', sfRecordId: '00Q1' });
    assert.equal(first.link.action, 'keep');
    assert.equal(first.hubspot.update?.properties.email, 'new@example.com');
  });

  it('M4: several records share the linked email: the link hops to the most recently modified', () => {
    const base = linked(
      { email: 'a@example.com', lastname: 'Old' },
      { Email: 'a@example.com', LastName: 'Old' },
      {
        email: 'a@example.com',
        lastname: 'Old',
      },
    );
    const world: PlanWorld = {
      ...base,
      salesforce: [
        ...base.salesforce,
        sfRecord('Contact', '0039', { Email: 'a@example.com', LastName: 'Newer' }, { modifiedAt: T0 + 10 }),
      ],
    };
    const { first, after } = settle(world, { trigger: 'sf_updated', sfRecordId: '0039' });
    assert.ok(first.link.action === 'move' && first.link.because === 'hopped' && first.link.sfId === '0039');
    assert.match(first.link.why, /M4/);
    assert.equal(first.hubspot.update?.properties.lastname, 'Newer');
    assert.equal(first.hubspot.update?.properties.salesforcecontactid, '0039');
    assert.equal(after.link?.sfId, '0039');
  });

  it('M5: a converted lead is never written again; the link moves to its contact, salesforceleadid stays', () => {
    const world = linked(
      { email: 'a@example.com', lastname: 'Lee', salesforceleadid: '00Q1', jobtitle: 'CTO' },
      { Email: 'a@example.com', LastName: 'Lee' },
      { email: 'a@example.com', lastname: 'Lee', jobtitle: null },
    );
    const converted: PlanWorld = {
      ...world,
      salesforce: [
        { ...world.salesforce[0]!, isConverted: true, convertedContactId: '0031' },
        sfRecord('Contact', '0031', { Email: 'a@example.com', LastName: 'Lee' }),
      ],
    };
    const { first } = settle(converted, { trigger: 'hs_updated' });
    assert.ok(
      first.link.action === 'move' && first.link.because === 'converted' && first.link.sfId === '0031',
    );
    assert.equal(first.salesforce.update?.id, '0031');
    assert.equal(first.salesforce.update?.object, 'Contact');
    assert.equal(first.hubspot.update?.properties.salesforcecontactid, '0031');
    assert.equal(first.hubspot.update?.properties.salesforceleadid, undefined);
  });

  it('M5: an unlinked HubSpot contact whose email is on a converted lead links to the live contact it became', () => {
    const lead = {
      ...sfRecord('Lead', '00Q1', { Email: 'a@example.com', LastName: 'Lee' }),
      isConverted: true,
      convertedContactId: '0031',
    };
    const world: PlanWorld = {
      hubspot: hsContact({ email: 'a@example.com', lastname: 'Lee' }),
      salesforce: [lead, sfRecord('Contact', '0031', { Email: 'lee@work.example', LastName: 'Lee' })],
      link: null,
    };
    const p = plan(world, { trigger: 'hs_updated' });
    assert.equal(p.outcome, 'synced');
    assert.equal(p.salesforce.create, null, 'M7: nothing created');
    assert.ok(p.link.action === 'create' && p.link.sfId === '0031' && p.link.sfObject === 'Contact');
    assert.match(p.link.action === 'create' ? p.link.why : '', /lead 00Q1.*converted into/);
    // Linked to another HubSpot contact already: a Duplicates error, never a second link (M8).
    const taken = plan(
      {
        ...world,
        salesforce: [lead, { ...world.salesforce[1]!, linkedHsContactId: '77' }],
      },
      { trigger: 'hs_updated' },
    );
    assert.equal(taken.outcome, 'failed');
    assert.equal(taken.errors[0]?.code, 'email_in_use');
    // The contact deleted: nothing live holds the email, so the person is created again (C4).
    const gone = plan(
      { ...world, salesforce: [lead, { ...world.salesforce[1]!, isDeleted: true }] },
      { trigger: 'hs_updated' },
    );
    assert.equal(gone.salesforce.create?.object, 'Lead');
    assert.equal(gone.salesforce.create?.values.Email, 'a@example.com');
  });

  it('M6: a record without an email is skipped with the reason, never an error', () => {
    const fromHs = plan(
      { hubspot: hsContact({ firstname: 'NoMail' }), salesforce: [], link: null },
      { trigger: 'hs_created' },
    );
    const fromSf = plan(
      { hubspot: null, salesforce: [sfRecord('Lead', '00Q1', { LastName: 'X', Email: null })], link: null },
      { trigger: 'sf_created', sfRecordId: '00Q1' },
    );
    for (const p of [fromHs, fromSf]) {
      assert.equal(p.outcome, 'skipped');
      assert.equal(p.skips[0]?.code, 'no_email');
      assert.equal(p.errors.length, 0);
      assert.equal(planWrites(p), 0);
    }
  });

  it('M7: never creates in Salesforce when a lead or contact has the email: links instead', () => {
    const world: PlanWorld = {
      hubspot: hsContact({ email: 'a@example.com', lastname: 'Lee' }),
      salesforce: [sfRecord('Contact', '0031', { Email: 'A@EXAMPLE.COM', LastName: 'Lee' })],
      link: null,
    };
    const p = plan(world, { trigger: 'hs_created' }, context({ createAs: 'lead' }));
    assert.equal(p.salesforce.create, null);
    assert.ok(p.link.action === 'create' && p.link.sfId === '0031');
  });

  it('M8: never creates a HubSpot contact when one has the email: links instead', () => {
    const world: PlanWorld = {
      hubspot: hsContact({ email: 'a@example.com' }),
      salesforce: [sfRecord('Lead', '00Q1', { Email: 'a@example.com', LastName: 'Lee', Company: 'Acme' })],
      link: null,
    };
    const p = plan(world, { trigger: 'sf_created', sfRecordId: '00Q1' });
    assert.equal(p.hubspot.create, null);
    assert.ok(p.link.action === 'create' && p.link.hsContactId === '51' && p.link.sfId === '00Q1');
    assert.equal(p.hubspot.update?.properties.lastname, 'Lee');
  });

  it('M8: the email is on a contact linked to a different record: Duplicates, "Email already in use"', () => {
    const base = linked(
      { email: 'a@example.com' },
      { Email: 'other@example.com' },
      { email: 'a@example.com' },
    );
    const world: PlanWorld = {
      ...base,
      salesforce: [...base.salesforce, sfRecord('Lead', '00Q2', { Email: 'a@example.com', LastName: 'Dup' })],
    };
    const p = plan(world, { trigger: 'sf_created', sfRecordId: '00Q2' });
    const error = p.errors.find((e) => e.code === 'email_in_use');
    assert.ok(error);
    assert.equal(error.category, 'duplicates');
    assert.equal(error.sfRecordId, '00Q2');
    assert.match(error.message, /^Email already in use/);
    assert.equal(p.hubspot.create, null);
    assert.notEqual(p.salesforce.update?.id, '00Q2');
  });

  it('M9: an email change after linking flows by the Email rule, and the link survives', () => {
    const prefer = linked(
      { email: 'new@example.com' },
      { Email: 'a@example.com' },
      { email: 'a@example.com' },
    );
    const p1 = plan(prefer, { trigger: 'hs_updated' });
    assert.equal(p1.hubspot.update?.properties.email, 'a@example.com', 'Prefer SF: Salesforce wins');
    assert.equal(p1.link.action, 'keep');

    const ctx = context({}, withRule('email', 'two_way'));
    const { first, after } = settle(prefer, { trigger: 'hs_updated' }, ctx);
    assert.equal(first.salesforce.update?.values.Email, 'new@example.com', 'Two-way: HubSpot changed');
    assert.equal(first.link.action, 'keep');
    assert.equal(after.link?.sfId, '00Q1');
  });
});

describe('planner: creation settings (C)', () => {
  for (const createAs of ['lead', 'contact'] as const) {
    it(`C1: HubSpot → Salesforce creates a ${createAs}, never both`, () => {
      const world: PlanWorld = {
        hubspot: hsContact({ email: 'n@example.com', firstname: 'Nia' }),
        salesforce: [],
        link: null,
      };
      const { first, after } = settle(world, { trigger: 'hs_created' }, context({ createAs }));
      const object = createAs === 'lead' ? 'Lead' : 'Contact';
      assert.equal(first.salesforce.create?.object, object);
      assert.equal(after.salesforce.length, 1);
      assert.ok(
        first.link.action === 'create' &&
          first.link.sfId === null &&
          first.link.idProperty.includes(createAs),
      );
      assert.equal(after.hubspot?.properties[`salesforce${createAs}id`], 'sf-new');
    });
  }

  it('C1: a new lead with no last name or company gets [[unknown]], which never comes back to HubSpot', () => {
    const world: PlanWorld = { hubspot: hsContact({ email: 'n@example.com' }), salesforce: [], link: null };
    const { first, after } = settle(world, { trigger: 'hs_created' });
    assert.deepEqual(first.salesforce.create?.values, {
      Email: 'n@example.com',
      LastName: UNKNOWN_VALUE,
      Company: UNKNOWN_VALUE,
    });
    assert.equal(after.hubspot?.properties.lastname, undefined);
    assert.equal(after.hubspot?.properties.company, undefined);
  });

  it('C2: Salesforce updates "do nothing" leaves HubSpot alone', () => {
    const world = linked(
      { email: 'a@example.com', lastname: 'Old' },
      { Email: 'a@example.com', LastName: 'New' },
      {
        email: 'a@example.com',
        lastname: 'Old',
      },
    );
    assert.equal(
      plan(world, { trigger: 'sf_updated', sfRecordId: '00Q1' }).hubspot.update?.properties.lastname,
      'New',
    );
    const p = plan(
      world,
      { trigger: 'sf_updated', sfRecordId: '00Q1' },
      context({ sfUpdates: 'do_nothing' }),
    );
    assert.equal(planWrites(p), 0);
    assert.match(p.why, /C2/);
  });

  it('C3: a new Salesforce record creates the HubSpot contact whatever the segment; updates then need the segment', () => {
    const ctx = context({ segmentId: '7' });
    const world: PlanWorld = {
      hubspot: null,
      salesforce: [sfRecord('Lead', '00Q1', { Email: 'n@example.com', LastName: 'Ng', Company: 'Acme' })],
      link: null,
    };
    const { first, after } = settle(
      world,
      { trigger: 'sf_created', sfRecordId: '00Q1', isMember: false },
      ctx,
    );
    assert.equal(first.hubspot.create?.properties.lastname, 'Ng');
    assert.equal(first.hubspot.create?.properties.email, 'n@example.com');
    assert.equal(first.link.action, 'create');
    const changed: PlanWorld = {
      ...after,
      salesforce: after.salesforce.map((r) => ({
        ...r,
        values: { ...r.values, LastName: 'Ngo' },
        modifiedAt: NOW + 1,
      })),
    };
    assert.equal(
      planWrites(plan(changed, { trigger: 'sf_updated', sfRecordId: '00Q1', isMember: false }, ctx)),
      0,
    );
    assert.equal(
      plan(changed, { trigger: 'sf_updated', sfRecordId: '00Q1', isMember: true }, ctx).hubspot.update
        ?.properties.lastname,
      'Ngo',
    );
    const off = plan(
      world,
      { trigger: 'sf_created', sfRecordId: '00Q1' },
      context({ createFromNewSalesforce: false }),
    );
    assert.equal(planWrites(off), 0);
  });

  it('C4: every HubSpot contact syncs when triggered, unless a segment is set (then members only)', () => {
    const world: PlanWorld = {
      hubspot: hsContact({ email: 'n@example.com', lastname: 'N' }),
      salesforce: [],
      link: null,
    };
    assert.ok(plan(world, { trigger: 'hs_updated' }).salesforce.create);
    assert.equal(
      plan(world, { trigger: 'hs_updated', isMember: false }, context({ segmentId: '7' })).salesforce.create,
      null,
    );
    assert.ok(
      plan(world, { trigger: 'hs_updated', isMember: true }, context({ segmentId: '7' })).salesforce.create,
    );
  });
});

describe('planner: the segment (G)', () => {
  const world = linked(
    { email: 'a@example.com', jobtitle: 'CTO', lastname: 'Lee' },
    { Email: 'a@example.com', Title: null, LastName: 'Li' },
    { email: 'a@example.com', jobtitle: null, lastname: 'Lee' },
  );
  const ctx = context({ segmentId: '7' });

  it('G1: a non-member keeps its link but nothing flows, either way; every field says why (V1)', () => {
    for (const trigger of ['hs_updated', 'sf_updated'] as const) {
      const p = plan(
        world,
        { trigger, sfRecordId: trigger === 'sf_updated' ? '00Q1' : null, isMember: false },
        ctx,
      );
      assert.equal(planWrites(p), 0);
      assert.equal(p.link.action, 'keep');
      assert.deepEqual(p.snapshot, world.link!.snapshot);
      assert.match(field(p, 'jobtitle').why, /skipped: not in the segment/);
    }
    const member = plan(world, { trigger: 'hs_updated', isMember: true }, ctx);
    assert.equal(member.salesforce.update?.values.Title, 'CTO');
    assert.equal(member.hubspot.update?.properties.lastname, 'Li');
  });

  it('G2: joining the segment is a full sync, so a mapping newer than the last sync backfills', () => {
    const fresh: PlanWorld = {
      ...world,
      link: {
        ...world.link!,
        snapshot: { ...world.link!.snapshot, values: { email: 'a@example.com', lastname: 'Lee' } },
      },
    };
    const partial = plan(fresh, { trigger: 'hs_updated', isMember: true }, ctx);
    assert.equal(partial.salesforce.update?.values.Title, undefined);
    assert.match(field(partial, 'jobtitle').why, /F7/);
    const joined = plan(fresh, { trigger: 'segment_joined', isMember: true }, ctx);
    assert.equal(joined.salesforce.update?.values.Title, 'CTO');
  });

  it('G3: a segment resync syncs every member fully, and nothing for non-members', () => {
    const fresh: PlanWorld = {
      ...world,
      link: { ...world.link!, snapshot: { ...world.link!.snapshot, values: {} } },
    };
    assert.equal(
      plan(fresh, { trigger: 'segment_resync', isMember: true }, ctx).salesforce.update?.values.Title,
      'CTO',
    );
    assert.equal(planWrites(plan(fresh, { trigger: 'segment_resync', isMember: false }, ctx)), 0);
  });
});

describe('planner: fields (F)', () => {
  it('F3: a mapping applies to whichever object has the field; company goes only to a lead', () => {
    const hs = { email: 'a@example.com', company: 'Acme', mailing_city: 'Oslo', city: 'Bergen' };
    const lead = plan(linked(hs, { Email: 'a@example.com' }, { email: 'a@example.com' }), {
      trigger: 'record_resync',
    });
    assert.deepEqual(lead.salesforce.update?.values, { Company: 'Acme', City: 'Bergen' });
    const contact = plan(linked(hs, { Email: 'a@example.com' }, { email: 'a@example.com' }, 'Contact'), {
      trigger: 'record_resync',
    });
    assert.deepEqual(contact.salesforce.update?.values, { MailingCity: 'Oslo' });
    assert.equal(
      contact.fields.some((f) => f.hsProperty === 'company'),
      false,
    );
  });

  // [rule, HubSpot, Salesforce, agreed, HubSpot write, Salesforce write]
  const table: [
    SyncRule,
    string,
    string | null,
    string | null,
    string | undefined,
    string | null | undefined,
  ][] = [
    ['prefer_salesforce_unless_blank', 'h', 's', 's', 's', undefined],
    ['prefer_salesforce_unless_blank', 'h', null, null, undefined, 'h'],
    ['prefer_salesforce_unless_blank', 'h', null, 'h', '', undefined],
    ['always_salesforce', 'h', 's', 's', 's', undefined],
    ['always_salesforce', 'h', null, null, undefined, undefined],
    ['always_salesforce', 'h', null, 'h', '', undefined],
    ['two_way', 'h', 's', 's', undefined, 'h'],
    ['two_way', 's', 'n', 's', 'n', undefined],
    ['two_way', '', 's', 's', undefined, null],
    ['two_way', 's', null, 's', '', undefined],
    ['none', 'h', 's', 's', undefined, undefined],
  ];
  for (const [rule, hs, sf, agreed, toHs, toSf] of table) {
    it(`F4: ${rule} through the planner: HubSpot "${hs}", Salesforce ${JSON.stringify(sf)}, agreed ${JSON.stringify(agreed)}`, () => {
      const world = linked(
        { email: 'a@example.com', jobtitle: hs },
        { Email: 'a@example.com', Title: sf },
        {
          email: 'a@example.com',
          jobtitle: agreed,
        },
      );
      const ctx = context({}, withRule('jobtitle', rule));
      const { first } = settle(world, { trigger: 'record_resync' }, ctx);
      assert.equal(first.hubspot.update?.properties.jobtitle, toHs);
      assert.equal(first.salesforce.update?.values.Title, toSf);
    });
  }

  it('F6: an HS owner goes to Salesforce only when an active user has its email; otherwise it reverts', () => {
    const agreed = { email: 'a@example.com', hubspot_owner_id: '101' };
    const matched = linked(
      { email: 'a@example.com', hubspot_owner_id: '102' },
      { Email: 'a@example.com', OwnerId: '005A' },
      agreed,
    );
    const { first } = settle(matched, { trigger: 'hs_updated' });
    assert.equal(first.salesforce.update?.values.OwnerId, '005B');

    const inactive = linked(
      { email: 'a@example.com', hubspot_owner_id: '103' },
      { Email: 'a@example.com', OwnerId: '005A' },
      agreed,
    );
    const reverted = settle(inactive, { trigger: 'hs_updated' }).first;
    assert.equal(reverted.salesforce.update, null);
    assert.equal(reverted.hubspot.update?.properties.hubspot_owner_id, '101');
    assert.match(field(reverted, 'hubspot_owner_id').why, /F6/);

    const fromSf = linked(
      { email: 'a@example.com', hubspot_owner_id: '101' },
      { Email: 'a@example.com', OwnerId: '005B' },
      agreed,
    );
    assert.equal(
      settle(fromSf, { trigger: 'sf_updated', sfRecordId: '00Q1' }).first.hubspot.update?.properties
        .hubspot_owner_id,
      '102',
    );
  });

  it('F6: a record Crosswalk creates without a matching owner belongs to the integration user, and HubSpot follows', () => {
    const world: PlanWorld = {
      hubspot: hsContact({ email: 'n@example.com', lastname: 'N', hubspot_owner_id: '104' }),
      salesforce: [],
      link: null,
    };
    const { first } = settle(world, { trigger: 'hs_created' });
    assert.equal(first.salesforce.create?.values.OwnerId, undefined);
    assert.equal(first.hubspot.update?.properties.hubspot_owner_id, '109');
  });

  describe('F6: a lead owned by a queue (Lead.OwnerId is a Group, 00G)', () => {
    const QUEUE = '00G8c0000000001AAA';

    it('F6: Salesforce moved the lead to a queue: HubSpot’s owner is cleared, once, with the queue named', () => {
      const world = linked(
        { email: 'a@example.com', hubspot_owner_id: '101' },
        { Email: 'a@example.com', OwnerId: QUEUE },
        { email: 'a@example.com', hubspot_owner_id: '101' },
      );
      const { first } = settle(world, { trigger: 'sf_updated', sfRecordId: '00Q1' });
      assert.equal(first.hubspot.update?.properties.hubspot_owner_id, '');
      assert.equal(first.salesforce.update, null, 'the queue stays');
      assert.deepEqual(first.errors, []);
      const report = field(first, 'hubspot_owner_id');
      assert.equal(report.action, 'to_hubspot');
      assert.match(report.why, new RegExp(`queue ${QUEUE}.*\\(F6\\)`));
    });

    it('F6: while the queue keeps the lead, nothing moves and nothing fails, sync after sync', () => {
      const world = linked(
        { email: 'a@example.com' },
        { Email: 'a@example.com', OwnerId: QUEUE },
        { email: 'a@example.com', hubspot_owner_id: '' },
      );
      for (const step of [
        { trigger: 'sf_updated', sfRecordId: '00Q1' },
        { trigger: 'hs_updated' },
      ] as const) {
        const p = plan(world, step);
        assert.equal(planWrites(p), 0);
        assert.deepEqual(p.errors, []);
        assert.equal(field(p, 'hubspot_owner_id').action, 'none');
        assert.match(field(p, 'hubspot_owner_id').why, /queue/);
      }
    });

    it('F6: an owner set in HubSpot goes to Salesforce as the active user with its email, replacing the queue', () => {
      const world = linked(
        { email: 'a@example.com', hubspot_owner_id: '102' },
        { Email: 'a@example.com', OwnerId: QUEUE },
        { email: 'a@example.com', hubspot_owner_id: '' },
      );
      const { first } = settle(world, { trigger: 'hs_updated' });
      assert.equal(first.salesforce.update?.values.OwnerId, '005B');
      assert.match(field(first, 'hubspot_owner_id').why, new RegExp(`replaces queue ${QUEUE}`));
    });

    it('F6: an owner set in HubSpot that no active user has reverts to the queue’s: none', () => {
      const world = linked(
        { email: 'a@example.com', hubspot_owner_id: '104' },
        { Email: 'a@example.com', OwnerId: QUEUE },
        { email: 'a@example.com', hubspot_owner_id: '' },
      );
      const { first } = settle(world, { trigger: 'hs_updated' });
      assert.equal(first.salesforce.update, null);
      assert.equal(first.hubspot.update?.properties.hubspot_owner_id, '');
      assert.deepEqual(first.errors, []);
      assert.match(field(first, 'hubspot_owner_id').why, /dee@corp\.example.*queue/);
    });

    it('F6 + F9: on the first link the queue counts as Salesforce’s value: the later change wins', () => {
      const queued = (modifiedAt: number): PlanWorld => ({
        hubspot: hsContact({ email: 'q@example.com', hubspot_owner_id: '101' }),
        salesforce: [
          sfRecord(
            'Lead',
            '00Q1',
            { Email: 'q@example.com', LastName: 'Q', Company: 'Q', OwnerId: QUEUE },
            { modifiedAt },
          ),
        ],
        link: null,
      });
      const sfLater = settle(queued(T0 + 5000), { trigger: 'sf_updated', sfRecordId: '00Q1' }).first;
      assert.equal(sfLater.hubspot.update?.properties.hubspot_owner_id, '');
      assert.equal(sfLater.salesforce.update?.values.OwnerId, undefined);
      const hsLater = settle(queued(T0 - 5000), { trigger: 'hs_updated' }).first;
      assert.equal(hsLater.salesforce.update?.values.OwnerId, '005A');
    });
  });

  it('F7: a mapping newer than the last sync moves nothing until the record changes or is resynced', () => {
    const world = linked(
      { email: 'a@example.com', jobtitle: 'CTO' },
      { Email: 'a@example.com' },
      { email: 'a@example.com' },
    );
    const quiet = plan(world, { trigger: 'hs_updated' });
    assert.equal(planWrites(quiet), 0);
    assert.match(field(quiet, 'jobtitle').why, /newer than the last sync/);
    assert.equal(quiet.snapshot?.values.jobtitle, undefined);
    const changed: PlanWorld = { ...world, hubspot: { ...world.hubspot!, changedAt: { jobtitle: T0 + 5 } } };
    assert.equal(plan(changed, { trigger: 'hs_updated' }).salesforce.update?.values.Title, 'CTO');
    for (const trigger of ['record_resync', 'import'] as const)
      assert.equal(
        plan(world, { trigger, sfRecordId: trigger === 'import' ? '00Q1' : null }).salesforce.update?.values
          .Title,
        'CTO',
      );
  });

  it('F8: a value the target refuses is a Property value error for that field; the others still sync', () => {
    const world = linked(
      { email: 'a@example.com', lastname: 'x'.repeat(81), jobtitle: 'CTO' },
      { Email: 'a@example.com', LastName: null },
      { email: 'a@example.com', lastname: null, jobtitle: null },
    );
    const p = plan(world, { trigger: 'hs_updated' });
    assert.equal(p.outcome, 'synced');
    assert.equal(p.salesforce.update?.values.Title, 'CTO');
    assert.equal(p.salesforce.update?.values.LastName, undefined);
    const error = p.errors[0];
    assert.ok(error);
    assert.deepEqual(
      [error.direction, error.category, error.hsProperty],
      ['to_salesforce', 'property_value', 'lastname'],
    );
    assert.match(error.fix, /Shorten/);
    assert.equal(field(p, 'lastname').action, 'error');
    assert.equal(p.snapshot?.values.lastname, null, 'the refused value is not agreed');
  });

  it('F8: a Salesforce value HubSpot refuses is an error in that direction, recorded rather than cut', () => {
    const world = linked(
      { email: 'a@example.com' },
      { Email: 'a@example.com', Status: 'Open - Not Contacted' },
      { email: 'a@example.com' },
    );
    // Without Lead Status's value map (F11), the value goes by internal value, which HubSpot lacks.
    const unmapped = DEFAULT_MAPPINGS.map((m) =>
      m.hsProperty === 'hs_lead_status' ? { ...m, valueMap: null } : m,
    );
    const p = plan(world, { trigger: 'record_resync' }, context({}, unmapped));
    const error = p.errors.find((e) => e.hsProperty === 'hs_lead_status');
    assert.ok(error);
    assert.equal(error.direction, 'to_hubspot');
    assert.equal(p.hubspot.update?.properties.hs_lead_status, undefined);
  });

  it('F9: Two-way, both changed: the later change wins; a tie goes to Salesforce', () => {
    const ctx = context({}, withRule('jobtitle', 'two_way'));
    const make = (hsAt: number, sfAt: number): PlanWorld => {
      const w = linked(
        { email: 'a@example.com', jobtitle: 'H' },
        { Email: 'a@example.com', Title: 'S' },
        { email: 'a@example.com', jobtitle: 'old' },
      );
      return {
        ...w,
        hubspot: { ...w.hubspot!, changedAt: { jobtitle: hsAt } },
        salesforce: [{ ...w.salesforce[0]!, modifiedAt: sfAt }],
      };
    };
    assert.equal(
      settle(make(T0 + 2, T0 + 1), { trigger: 'hs_updated' }, ctx).first.salesforce.update?.values.Title,
      'H',
    );
    assert.equal(
      settle(make(T0 + 1, T0 + 2), { trigger: 'hs_updated' }, ctx).first.hubspot.update?.properties.jobtitle,
      'S',
    );
    const tie = settle(make(T0 + 1, T0 + 1), { trigger: 'hs_updated' }, ctx).first;
    assert.equal(tie.hubspot.update?.properties.jobtitle, 'S');
    assert.match(field(tie, 'jobtitle').why, /tie goes to Salesforce/);
  });

  it('F10: our own write coming back in another spelling is in sync, not a change', () => {
    const world = linked(
      { email: 'Ann@Example.com', numemployees: '250.0', annualrevenue: '1000' },
      { Email: 'ann@example.com', NumberOfEmployees: 250, AnnualRevenue: 1000 },
      { email: 'ann@example.com', numemployees: '250', annualrevenue: '1000' },
    );
    const p = plan(world, { trigger: 'hs_updated' });
    assert.equal(planWrites(p), 0);
    assert.equal(field(p, 'numemployees').why, 'in sync');
    const unmapped = plan(world, { trigger: 'unmapped_change' });
    assert.equal(planWrites(unmapped), 0);
    assert.match(unmapped.why, /F10/);
  });

  it('F2 + F8: a custom mapping flows with conversion (multi-checkbox ⇄ multipicklist)', () => {
    const properties = new Map(hsContactProperties());
    properties.set('interests', {
      name: 'interests',
      type: 'enumeration',
      fieldType: 'checkbox',
      options: ['a', 'b', 'c'],
      referencesUsers: false,
      readOnlyValue: false,
    });
    const leadFields = new Map(sfFieldsOf('Lead'));
    leadFields.set(
      'Interests__c',
      sfField({
        name: 'Interests__c',
        type: 'multipicklist',
        picklistValues: ['A', 'B', 'C'],
        restrictedPicklist: true,
      }),
    );
    const base = context();
    const added = addCustomMapping(
      { hsProperty: 'interests', sfField: 'Interests__c', rule: 'two_way' },
      {
        mappings: DEFAULT_MAPPINGS,
        hsProperties: properties,
        sfFields: { Lead: leadFields, Contact: base.sfFields.Contact },
      },
    );
    assert.ok(added.ok);
    const ctx = {
      ...base,
      mappings: [...DEFAULT_MAPPINGS, added.value],
      hsProperties: properties,
      sfFields: { Lead: leadFields, Contact: base.sfFields.Contact },
    };
    const world = linked(
      { email: 'a@example.com', interests: 'c;a' },
      { Email: 'a@example.com', Interests__c: 'A' },
      { email: 'a@example.com', interests: 'a' },
    );
    const { first } = settle(world, { trigger: 'hs_updated' }, ctx);
    assert.equal(first.salesforce.update?.values.Interests__c, 'C;A');
  });
});

describe('planner: opt-out (O)', () => {
  const base = linked({ email: 'a@example.com' }, { Email: 'a@example.com' }, { email: 'a@example.com' });

  it('O1: unsubscribed in HubSpot ⇒ the Salesforce checkbox is set', () => {
    const world: PlanWorld = { ...base, hubspot: { ...base.hubspot!, optedOut: true } };
    const { first } = settle(world, { trigger: 'hs_updated' });
    assert.equal(first.salesforce.update?.values.HasOptedOutOfEmail, true);
  });

  it('O1: the Salesforce checkbox ⇒ HubSpot unsubscribed from all email', () => {
    const world: PlanWorld = {
      ...base,
      salesforce: [
        { ...base.salesforce[0]!, values: { ...base.salesforce[0]!.values, HasOptedOutOfEmail: true } },
      ],
    };
    const { first, after } = settle(world, { trigger: 'sf_updated', sfRecordId: '00Q1' });
    assert.equal(first.hubspot.unsubscribe, true);
    assert.equal(after.hubspot?.optedOut, true);
  });

  it('O1: clearing the checkbox never resubscribes; the next sync sets it again', () => {
    const world: PlanWorld = {
      ...base,
      hubspot: { ...base.hubspot!, optedOut: true },
      link: { ...base.link!, snapshot: { ...base.link!.snapshot, optOut: true } },
    };
    const { first, after } = settle(world, { trigger: 'sf_updated', sfRecordId: '00Q1' });
    assert.equal(first.hubspot.unsubscribe, false);
    assert.equal(first.salesforce.update?.values.HasOptedOutOfEmail, true);
    assert.match(field(first, 'hs_email_optout').why, /never resubscribes/);
    assert.equal(after.hubspot?.optedOut, true);
  });

  it('O1: a new Salesforce record that opted out creates an unsubscribed HubSpot contact', () => {
    const world: PlanWorld = {
      hubspot: null,
      salesforce: [
        sfRecord('Lead', '00Q1', { Email: 'n@example.com', LastName: 'N', HasOptedOutOfEmail: true }),
      ],
      link: null,
    };
    const { first, after } = settle(world, { trigger: 'sf_created', sfRecordId: '00Q1' });
    assert.equal(first.hubspot.unsubscribe, true);
    assert.equal(after.hubspot?.optedOut, true);
  });

  it('O2: opt-out does not move for a contact out of the segment', () => {
    const world: PlanWorld = { ...base, hubspot: { ...base.hubspot!, optedOut: true } };
    const p = plan(world, { trigger: 'hs_updated', isMember: false }, context({ segmentId: '7' }));
    assert.equal(planWrites(p), 0);
    const created = plan(
      {
        hubspot: null,
        salesforce: [
          sfRecord('Lead', '00Q1', { Email: 'n@example.com', LastName: 'N', HasOptedOutOfEmail: true }),
        ],
        link: null,
      },
      { trigger: 'sf_created', sfRecordId: '00Q1', isMember: false },
      context({ segmentId: '7' }),
    );
    assert.ok(created.hubspot.create);
    assert.equal(created.hubspot.unsubscribe, false);
    assert.match(field(created, 'hs_email_optout').why, /O2/);
  });
});

describe('planner: accounts and campaigns (K)', () => {
  it("K1: account sync on: the contact's account becomes its primary company, and back", () => {
    const ctx = context({ accountSync: true }, DEFAULT_MAPPINGS, [
      ['001A', '9001'],
      ['001B', '9002'],
    ]);
    const world = linked(
      { email: 'a@example.com', salesforceaccountid: '001A' },
      { Email: 'a@example.com', AccountId: '001A' },
      { email: 'a@example.com', salesforceaccountid: '001A' },
      'Contact',
    );
    const toHs = settle(world, { trigger: 'sf_updated', sfRecordId: '00Q1' }, ctx).first;
    assert.equal(toHs.hubspot.primaryCompanyId, '9001');

    const moved: PlanWorld = {
      ...world,
      hubspot: { ...world.hubspot!, primaryCompanyId: '9002' },
      link: { ...world.link!, snapshot: { ...world.link!.snapshot, accountId: '001A' } },
    };
    // The Account ID mapping's rule decides: Prefer Salesforce keeps the account, and HubSpot goes back.
    const kept = settle(moved, { trigger: 'hs_updated' }, ctx).first;
    assert.equal(kept.salesforce.update, null);
    assert.equal(kept.hubspot.primaryCompanyId, '9001');
    assert.match(field(kept, 'associations.company').why, /Salesforce's account wins/);
    const twoWay = { ...ctx, mappings: withRule('salesforceaccountid', 'two_way') };
    const { first } = settle(moved, { trigger: 'hs_updated' }, twoWay);
    assert.equal(first.salesforce.update?.values.AccountId, '001B');
    assert.equal(first.hubspot.update?.properties.salesforceaccountid, '001B');
    assert.equal(
      plan(world, { trigger: 'sf_updated', sfRecordId: '00Q1' }).hubspot.primaryCompanyId,
      null,
      'off by default',
    );
  });

  it("K2: the record's live campaigns become salesforcecampaignids, Salesforce → HubSpot only", () => {
    const world: PlanWorld = {
      ...linked(
        { email: 'a@example.com', salesforcecampaignids: '701X' },
        { Email: 'a@example.com' },
        { email: 'a@example.com' },
      ),
      campaigns: new Map([
        [
          '00Q1',
          [
            { campaignId: '701B', isDeleted: false },
            { campaignId: '701A', isDeleted: false },
            { campaignId: '701Z', isDeleted: true },
          ],
        ],
      ]),
    };
    const { first } = settle(world, { trigger: 'sf_updated', sfRecordId: '00Q1' });
    assert.equal(first.hubspot.update?.properties.salesforcecampaignids, '701A;701B');
    assert.equal(first.salesforce.update, null);
  });

  it('K2: a record whose memberships were not read keeps its HubSpot campaigns as they are', () => {
    const world = linked(
      { email: 'a@example.com', salesforcecampaignids: '701X', lastname: 'Lee' },
      { Email: 'a@example.com', LastName: 'Lee' },
      { email: 'a@example.com', lastname: 'Lee', fax: '' },
    );
    const edited: PlanWorld = {
      ...world,
      hubspot: { ...world.hubspot!, properties: { ...world.hubspot!.properties, fax: '+1 555 0100' } },
    };
    const read = planSync({ ...inputOf(edited, { trigger: 'hs_updated' }) }, context());
    assert.equal(read.hubspot.update?.properties.salesforcecampaignids, '', 'read as none: cleared');
    const notRead = planSync(
      { ...inputOf(edited, { trigger: 'hs_updated' }), campaignsNotRead: new Set(['00Q1']) },
      context(),
    );
    assert.equal(notRead.hubspot.update?.properties.salesforcecampaignids, undefined);
    assert.equal(notRead.salesforce.update?.values.Fax, '+1 555 0100', 'the change itself still flows');
  });
});

describe('planner: deletes and merges (D)', () => {
  const base = linked(
    { email: 'a@example.com', lastname: 'Lee' },
    { Email: 'a@example.com', LastName: 'Lee' },
    { email: 'a@example.com', lastname: 'Lee' },
  );
  const deleted: PlanWorld = { ...base, salesforce: [{ ...base.salesforce[0]!, isDeleted: true }] };

  it('D1: a Salesforce delete does nothing in HubSpot by default; the link ends', () => {
    const p = plan(deleted, { trigger: 'sf_updated', sfRecordId: '00Q1' });
    assert.equal(p.outcome, 'link_ended');
    assert.equal(p.hubspot.deleteId, null);
    assert.equal(p.link.action, 'end');
  });

  it("D1, C4: a HubSpot change after the Salesforce delete is the contact's own: the link ends and it is created again (inferred)", () => {
    const deletedAt = T0 + 10_000;
    const world: PlanWorld = {
      ...deleted,
      hubspot: {
        ...deleted.hubspot!,
        changedAt: { ...deleted.hubspot!.changedAt, lastname: deletedAt + 5_000 },
      },
      salesforce: [{ ...deleted.salesforce[0]!, modifiedAt: deletedAt }],
    };
    const p = plan(world, { trigger: 'hs_updated' });
    assert.equal(p.outcome, 'synced');
    assert.equal(p.salesforce.create?.object, 'Lead', 'created again (C1, C4)');
    assert.equal(p.salesforce.create?.values.Email, 'a@example.com');
    assert.ok(p.link.action === 'create' && p.link.sfId === null, 'the new record takes the link');
    assert.match(p.why, /deleted in Salesforce.*changed in HubSpot since.*\(C4\)/);
    // A change from before the delete (a reconciliation reading the contact again) only ends the link.
    const before: PlanWorld = {
      ...world,
      hubspot: { ...world.hubspot!, changedAt: { lastname: deletedAt - 1 } },
    };
    const q = plan(before, { trigger: 'hs_updated' });
    assert.deepEqual([q.outcome, q.link.action, q.salesforce.create], ['link_ended', 'end', null]);
    // Out of the segment: nothing is created, and the link still ends.
    const out = plan(world, { trigger: 'hs_updated', isMember: false }, context({ segmentId: '9' }));
    assert.deepEqual([out.salesforce.create, out.link.action], [null, 'end']);
    // Set to delete the HubSpot contact: D1 deletes it whatever changed since.
    const ctx = context({ sfDeletes: { Lead: 'delete_hubspot', Contact: 'do_nothing' } });
    assert.equal(plan(world, { trigger: 'hs_updated' }, ctx).hubspot.deleteId, '51');
  });

  it('D1: set to delete, the HubSpot contact is deleted (for a lead and a contact setting apart)', () => {
    const ctx = context({ sfDeletes: { Lead: 'delete_hubspot', Contact: 'do_nothing' } });
    assert.equal(plan(deleted, { trigger: 'sf_updated', sfRecordId: '00Q1' }, ctx).hubspot.deleteId, '51');
    const contactCtx = context({ sfDeletes: { Lead: 'do_nothing', Contact: 'delete_hubspot' } });
    assert.equal(
      plan(deleted, { trigger: 'sf_updated', sfRecordId: '00Q1' }, contactCtx).hubspot.deleteId,
      null,
    );
  });

  it('D2: a HubSpot delete never deletes in Salesforce; the link ends; a later Salesforce change brings the contact back and says why', () => {
    const gone: PlanWorld = { ...base, hubspot: null };
    const p = plan(gone, { trigger: 'hs_updated' });
    assert.equal(p.link.action, 'end');
    assert.equal(p.salesforce.update, null);
    assert.equal(planWrites(p), 0);
    const after = applyPlan(gone, p, NOW);
    assert.equal(after.link, null);
    const changed: PlanWorld = {
      ...after,
      salesforce: after.salesforce.map((r) => ({ ...r, modifiedAt: NOW + 1 })),
    };
    const back = planSync(
      {
        ...inputOf(changed, { trigger: 'sf_updated', sfRecordId: '00Q1' }),
        endedLinkWhy: p.link.action === 'end' ? p.link.why : '',
      },
      context(),
    );
    assert.equal(back.hubspot.create?.properties.lastname, 'Lee');
    assert.match(back.why, /comes back: deleted in HubSpot/);
    const doNothing = plan(
      changed,
      { trigger: 'sf_updated', sfRecordId: '00Q1' },
      context({ sfUpdates: 'do_nothing' }),
    );
    assert.equal(doNothing.hubspot.create, null);
  });

  it('D3: a link to a merged-away record moves to the master', () => {
    const merged: PlanWorld = {
      ...base,
      salesforce: [
        { ...base.salesforce[0]!, isDeleted: true, masterRecordId: '00Q9' },
        sfRecord('Lead', '00Q9', { Email: 'a@example.com', LastName: 'Lee-Master' }),
      ],
    };
    const { first } = settle(merged, { trigger: 'sf_updated', sfRecordId: '00Q9' });
    assert.ok(first.link.action === 'move' && first.link.because === 'merged' && first.link.sfId === '00Q9');
    assert.equal(first.hubspot.deleteId, null);
    assert.equal(first.hubspot.update?.properties.lastname, 'Lee-Master');
  });
});

describe('planner: triggers and import (T)', () => {
  const hsOnly: PlanWorld = {
    hubspot: hsContact({ email: 'a@example.com', lastname: 'Lee' }),
    salesforce: [],
    link: null,
  };

  it('T1: each trigger syncs (or not) as its rule says, and the plan says why', () => {
    const cases: [Parameters<typeof plan>[1], boolean, RegExp][] = [
      [{ trigger: 'hs_created' }, true, /C4/],
      [{ trigger: 'hs_updated' }, true, /C4/],
      [{ trigger: 'record_resync' }, true, /manual resync/],
      [{ trigger: 'segment_resync', isMember: true }, true, /G3/],
      [{ trigger: 'segment_joined', isMember: true }, true, /G2/],
      [{ trigger: 'unmapped_change' }, false, /F10/],
    ];
    for (const [step, syncs, why] of cases) {
      const p = plan(hsOnly, step);
      assert.equal(p.salesforce.create !== null, syncs, step.trigger);
      assert.match(p.why, why);
    }
  });

  it('T3: an import creates the HubSpot contact and syncs values for records in scope', () => {
    const world: PlanWorld = {
      hubspot: null,
      salesforce: [sfRecord('Contact', '0031', { Email: 'Imp@Example.com', LastName: 'Imp', Title: 'CEO' })],
      link: null,
    };
    const { first } = settle(world, { trigger: 'import', sfRecordId: '0031' });
    assert.deepEqual(first.hubspot.create?.properties, {
      email: 'Imp@Example.com',
      lastname: 'Imp',
      jobtitle: 'CEO',
      hubspot_owner_id: '109',
      salesforcecontactid: '0031',
    });
  });

  it('T3: out of the segment, an import creates the contact with the email only', () => {
    const world: PlanWorld = {
      hubspot: null,
      salesforce: [
        sfRecord('Contact', '0031', { Email: 'imp@example.com', LastName: 'Imp', HasOptedOutOfEmail: true }),
      ],
      link: null,
    };
    const ctx = context({ segmentId: '7' });
    const { first } = settle(world, { trigger: 'import', sfRecordId: '0031', isMember: false }, ctx);
    assert.deepEqual(first.hubspot.create?.properties, {
      email: 'imp@example.com',
      salesforcecontactid: '0031',
    });
    assert.match(field(first, 'lastname').why, /email only/);
  });

  it('T3: existing contacts are linked, not duplicated; duplicate emails give one contact', () => {
    const existing: PlanWorld = {
      hubspot: hsContact({ email: 'imp@example.com' }),
      salesforce: [sfRecord('Lead', '00Q1', { Email: 'imp@example.com', LastName: 'Imp' })],
      link: null,
    };
    const linkedPlan = plan(existing, { trigger: 'import', sfRecordId: '00Q1' });
    assert.equal(linkedPlan.hubspot.create, null);
    assert.equal(linkedPlan.link.action, 'create');
    const after = applyPlan(existing, linkedPlan, NOW);
    const twin: PlanWorld = {
      ...after,
      salesforce: [
        ...after.salesforce,
        sfRecord('Lead', '00Q2', { Email: 'IMP@example.com', LastName: 'Twin' }, { createdAt: T0 + 1 }),
      ],
    };
    const second = plan(twin, { trigger: 'import', sfRecordId: '00Q2' });
    assert.equal(second.hubspot.create, null);
    assert.equal(second.errors.length, 0);
    assert.equal(second.skips[0]?.code, 'shares_email');
  });

  it('T3: a record without email is skipped, never imported', () => {
    const p = plan(
      { hubspot: null, salesforce: [sfRecord('Lead', '00Q1', { LastName: 'X' })], link: null },
      { trigger: 'import', sfRecordId: '00Q1' },
    );
    assert.equal(p.skips[0]?.code, 'no_email');
  });
});

describe('planner: errors and reasons (E1, V1)', () => {
  it('E1: a plan error carries the direction, category, code, message and a fix', () => {
    const world: PlanWorld = {
      hubspot: hsContact({ email: 'a@example.com', numemployees: '123456789' }),
      salesforce: [],
      link: null,
    };
    const p = plan(world, { trigger: 'hs_created' });
    const error = p.errors[0];
    assert.ok(error);
    assert.equal(error.direction, 'to_salesforce');
    assert.equal(error.category, 'property_value');
    assert.equal(error.code, 'property_value');
    assert.match(error.message, /digits/);
    assert.ok(error.fix.length > 10);
    assert.ok(p.salesforce.create, 'the record is still created, without the refused value');
  });

  it('E1: the linked record vanished with nowhere to go: a failed plan with a fix', () => {
    const world = linked({ email: 'a@example.com' }, { Email: 'a@example.com' }, { email: 'a@example.com' });
    const p = plan({ ...world, salesforce: [] }, { trigger: 'hs_updated' });
    assert.equal(p.outcome, 'failed');
    assert.equal(p.errors[0]?.code, 'linked_record_missing');
  });

  it('V1: every mapped field of the record gets a decision and a reason', () => {
    const world = linked(
      { email: 'a@example.com', jobtitle: 'CTO' },
      { Email: 'a@example.com', Title: 'CEO' },
      { email: 'a@example.com', jobtitle: 'CTO' },
    );
    const p = plan(world, { trigger: 'record_resync' });
    const leadMappings = DEFAULT_MAPPINGS.filter((m) => m.objects.includes('Lead'));
    for (const m of leadMappings) assert.ok(field(p, m.hsProperty).why.length > 3, m.hsProperty);
    assert.equal(field(p, 'jobtitle').why, 'Salesforce wins: Prefer Salesforce unless blank');
    assert.equal(field(p, 'jobtitle').action, 'to_hubspot');
    assert.equal(field(p, 'hs_email_optout').why, 'in sync');
  });
});

describe('planner: cases found in review', () => {
  const base = linked(
    { email: 'a@example.com', phone: '555', jobtitle: 'CEO', firstname: 'Ann' },
    { Email: 'a@example.com', Phone: '555', Title: 'CEO', FirstName: 'Ann' },
    { email: 'a@example.com', phone: '555', jobtitle: 'CEO', firstname: 'Ann' },
    'Contact',
  );
  const newLead = sfRecord(
    'Lead',
    '00QN',
    { Email: 'a@example.com', LastName: 'Web' },
    { modifiedAt: T0 + 10 },
  );

  it('M4 + M8: the link never hops onto a record linked to another contact', () => {
    const other = { ...newLead, linkedHsContactId: '77' };
    const p = plan({ ...base, salesforce: [...base.salesforce, other] }, { trigger: 'hs_updated' });
    assert.equal(p.link.action, 'keep');
    assert.equal(p.hubspot.update?.properties.salesforceleadid, undefined);
  });

  it("M4: after a hop, the new record's blanks do not clear HubSpot: nothing was agreed with it yet", () => {
    const { first } = settle(
      { ...base, salesforce: [...base.salesforce, newLead] },
      { trigger: 'sf_updated', sfRecordId: '00QN' },
    );
    assert.ok(first.link.action === 'move' && first.link.sfId === '00QN');
    assert.equal(first.hubspot.update?.properties.phone, undefined);
    assert.equal(first.hubspot.update?.properties.jobtitle, undefined);
    assert.equal(first.salesforce.update?.values.Phone, '555', 'HubSpot fills the blanks of the new record');
  });

  it('G1 + C3: a new record sharing the email of a linked non-member changes nothing; the link waits', () => {
    const p = plan(
      { ...base, salesforce: [...base.salesforce, newLead] },
      { trigger: 'sf_created', sfRecordId: '00QN', isMember: false },
      context({ segmentId: '7' }),
    );
    assert.equal(planWrites(p), 0);
    assert.equal(p.link.action, 'keep');
  });

  it('F8: clearing a field Salesforce requires is a Property value error for it alone; the rest syncs', () => {
    const ctx = context(
      {},
      withRule('lastname', 'two_way').map((m) =>
        m.hsProperty === 'phone' ? { ...m, rule: 'two_way' as const } : m,
      ),
    );
    const world = linked(
      { email: 'a@example.com', phone: '2' },
      { Email: 'a@example.com', LastName: 'Lee', Phone: '1' },
      { email: 'a@example.com', lastname: 'Lee', phone: '1' },
    );
    const p = plan(world, { trigger: 'hs_updated' }, ctx);
    assert.deepEqual(p.salesforce.update?.values, { Phone: '2' });
    assert.match(p.errors[0]?.message ?? '', /LastName is required/);
  });

  it('C2: "do nothing" keeps Salesforce values from HubSpot even when HubSpot triggered the sync; opt-outs still move', () => {
    const world = linked(
      { email: 'a@example.com', phone: 'old', jobtitle: 'New' },
      { Email: 'a@example.com', Phone: 'NEW', HasOptedOutOfEmail: true },
      { email: 'a@example.com', phone: 'old', jobtitle: null },
    );
    const p = plan(world, { trigger: 'hs_updated' }, context({ sfUpdates: 'do_nothing' }));
    assert.equal(p.hubspot.update?.properties.phone, undefined);
    assert.equal(p.salesforce.update?.values.Title, 'New');
    assert.equal(p.hubspot.unsubscribe, true);
  });

  it('M1: an email with spaces creates the record trimmed, without a false error', () => {
    const p = plan(
      { hubspot: hsContact({ email: ' Ann@Example.com ' }), salesforce: [], link: null },
      { trigger: 'hs_created' },
    );
    assert.equal(p.salesforce.create?.values.Email, 'Ann@Example.com');
    assert.deepEqual(p.errors, []);
  });
});
