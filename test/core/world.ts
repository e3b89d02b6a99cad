/**
 * A tiny model of both systems for planner tests: one HubSpot contact, the Salesforce records around
 * it and the link. `applyPlan` carries a plan out the way the engine does (creates get new ids, writes
 * stamp the change time, HubSpot's read-only opt-out moves only by unsubscribing, the link becomes
 * `linkAfter`), so that tests can plan again on the result.
 */
import { DEFAULT_MAPPINGS } from '../../src/core/mappings.ts';
import { linkAfter } from '../../src/core/link-after.ts';
import { planSync } from '../../src/core/plan.ts';
import type { Mapping } from '../../src/core/model.ts';
import type { Trigger } from '../../src/core/scope.ts';
import { hsContactProperties, sfFieldsOf } from './fixtures.ts';
import {
  DEFAULT_PLAN_SETTINGS,
  type PlanContext,
  type PlanInput,
  type PlanSettings,
  type SyncPlan,
} from '../../src/core/sync-plan.ts';
import type { HsContact, Link, SfRecord, SfValue, CampaignMembership } from '../../src/core/records.ts';

export const T0 = Date.UTC(2026, 0, 1);

export const SF_USERS = [
  { id: '005A', email: 'ana@corp.example', isActive: true },
  { id: '005B', email: 'ben@corp.example', isActive: true },
  { id: '005C', email: 'cy@corp.example', isActive: false },
  { id: '005I', email: 'integration@corp.example', isActive: true },
];
export const HS_OWNERS = [
  { id: '101', email: 'ana@corp.example', archived: false },
  { id: '102', email: 'BEN@corp.example', archived: false },
  { id: '103', email: 'cy@corp.example', archived: false },
  { id: '104', email: 'dee@corp.example', archived: false },
  { id: '109', email: 'integration@corp.example', archived: false },
];

const hsProperties = hsContactProperties();
const sfFields = { Lead: sfFieldsOf('Lead'), Contact: sfFieldsOf('Contact') };

export function context(
  settings: Partial<PlanSettings> = {},
  mappings: readonly Mapping[] = DEFAULT_MAPPINGS,
  companies: readonly (readonly [account: string, company: string])[] = [],
): PlanContext {
  return {
    settings: { ...DEFAULT_PLAN_SETTINGS, ...settings },
    mappings,
    hsProperties,
    sfFields,
    sfUsers: SF_USERS,
    hsOwners: HS_OWNERS,
    integrationUserId: '005I',
    companyOfAccount: new Map(companies.map(([a, c]) => [a, c])),
    accountOfCompany: new Map(companies.map(([a, c]) => [c, a])),
  };
}

export function hsContact(
  properties: Record<string, string>,
  extra: Partial<Omit<HsContact, 'properties'>> = {},
): HsContact {
  const changedAt: Record<string, number> = {};
  for (const name of Object.keys(properties)) changedAt[name] = T0;
  return { id: '51', properties, changedAt, optedOut: false, primaryCompanyId: null, ...extra };
}

export function sfRecord(
  object: 'Lead' | 'Contact',
  id: string,
  values: Record<string, string | number | boolean | null>,
  extra: Partial<Omit<SfRecord, 'object' | 'id' | 'values'>> = {},
): SfRecord {
  return {
    object,
    id,
    email: typeof values.Email === 'string' ? values.Email : null,
    createdAt: T0,
    modifiedAt: T0,
    isDeleted: false,
    isConverted: false,
    convertedContactId: null,
    masterRecordId: null,
    linkedHsContactId: null,
    lastModifiedById: '005A',
    values: { OwnerId: '005I', HasOptedOutOfEmail: false, ...values },
    ...extra,
  };
}

export interface PlanWorld {
  readonly hubspot: HsContact | null;
  readonly salesforce: readonly SfRecord[];
  readonly link: Link | null;
  readonly campaigns?: ReadonlyMap<string, readonly CampaignMembership[]>;
}

export interface Step {
  readonly trigger: Trigger;
  readonly sfRecordId?: string | null;
  readonly isMember?: boolean;
}

export function inputOf(world: PlanWorld, step: Step): PlanInput {
  return {
    trigger: step.trigger,
    hubspot: world.hubspot,
    link: world.link,
    salesforce: world.salesforce,
    sfRecordId: step.sfRecordId ?? null,
    isMember: step.isMember ?? false,
    campaigns: world.campaigns ?? new Map(),
  };
}

export function plan(world: PlanWorld, step: Step, ctx: PlanContext = context()): SyncPlan {
  return planSync(inputOf(world, step), ctx);
}

/** Carries a plan out at time `now`, as the engine will. New records get ids `hs-new` and `sf-new`. */
export function applyPlan(
  world: PlanWorld,
  p: SyncPlan,
  now: number,
  ctx: PlanContext = context(),
): PlanWorld {
  let hubspot = world.hubspot;
  let salesforce = [...world.salesforce];
  const write = (contact: HsContact, properties: Readonly<Record<string, string>>): HsContact => {
    const next = { ...contact.properties };
    const changedAt = { ...contact.changedAt };
    for (const [name, value] of Object.entries(properties)) {
      next[name] = value;
      changedAt[name] = now;
    }
    return { ...contact, properties: next, changedAt };
  };
  if (p.hubspot.create) {
    hubspot = write(
      { id: 'hs-new', properties: {}, changedAt: {}, optedOut: false, primaryCompanyId: null },
      p.hubspot.create.properties,
    );
  }
  if (p.hubspot.update && hubspot) hubspot = write(hubspot, p.hubspot.update.properties);
  if (p.hubspot.unsubscribe && hubspot) hubspot = { ...hubspot, optedOut: true };
  if (p.hubspot.primaryCompanyId !== null && hubspot)
    hubspot = { ...hubspot, primaryCompanyId: p.hubspot.primaryCompanyId };
  if (p.hubspot.deleteId !== null) hubspot = null;

  let createdSfId: string | null = null;
  if (p.salesforce.create) {
    createdSfId = 'sf-new';
    const values: Record<string, SfValue> = {
      OwnerId: ctx.integrationUserId,
      HasOptedOutOfEmail: false,
      ...p.salesforce.create.values,
    };
    salesforce.push({
      object: p.salesforce.create.object,
      id: createdSfId,
      email: typeof values.Email === 'string' ? values.Email : null,
      createdAt: now,
      modifiedAt: now,
      isDeleted: false,
      isConverted: false,
      convertedContactId: null,
      masterRecordId: null,
      linkedHsContactId: null,
      lastModifiedById: ctx.integrationUserId,
      values,
    });
  }
  const update = p.salesforce.update;
  if (update) {
    salesforce = salesforce.map((r) => {
      if (r.id !== update.id) return r;
      const values = { ...r.values, ...update.values };
      const email = typeof values.Email === 'string' ? values.Email : null;
      return { ...r, values, email, modifiedAt: now, lastModifiedById: ctx.integrationUserId };
    });
  }

  // M3: a record the plan created gets its id written into the contact (the engine does it with the writes).
  const change = p.link;
  if (change.action === 'create' && change.sfId === null && createdSfId !== null && hubspot)
    hubspot = write(hubspot, { [change.idProperty]: createdSfId });
  // The link as the engine stores it once the writes succeeded.
  const hsId = p.hubspot.update?.id ?? (p.hubspot.create ? 'hs-new' : null) ?? world.hubspot?.id ?? null;
  const after = linkAfter(p, world.link, hsId, createdSfId, now);
  const link = after.action === 'save' ? after.link : after.action === 'end' ? null : world.link;
  if (link) {
    const { sfId, hsContactId } = link;
    salesforce = salesforce.map((r) =>
      r.id === sfId
        ? { ...r, linkedHsContactId: hsContactId }
        : r.linkedHsContactId === hsContactId
          ? { ...r, linkedHsContactId: null }
          : r,
    );
  } else if (world.link) {
    const ended = world.link.sfId;
    salesforce = salesforce.map((r) => (r.id === ended ? { ...r, linkedHsContactId: null } : r));
  }
  return { ...world, hubspot, salesforce, link };
}
