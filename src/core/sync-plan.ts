/**
 * The contract between planning and the engine: what `planSync` takes (`PlanInput`, `PlanContext`,
 * `PlanSettings`) and what it gives (`SyncPlan`: the writes to make on each side, the link change, the
 * snapshot to store, and every field's decision and why, V1). Types and small facts about them only;
 * planning itself is `plan.ts`.
 */
import type { SalesforceDeleteSetting } from './deletes.ts';
import type { ErrorCategory } from './errors.ts';
import type { CreateAs, LinkMove } from './matching.ts';
import type { HsProperty, Mapping, SfField, SfPersonObject, SyncRule } from './model.ts';
import type {
  CampaignMembership,
  Direction,
  HsContact,
  HsOwner,
  Link,
  SfRecord,
  SfUser,
  SfValue,
  Snapshot,
} from './records.ts';
import { DEFAULT_SCOPE_SETTINGS, type ScopeSettings, type Trigger } from './scope.ts';

/** The settings planning reads (the store keeps them; `crosswalk settings`). */
export interface PlanSettings extends ScopeSettings {
  /** C1: what a contact created from HubSpot becomes. Default `lead`. */
  readonly createAs: CreateAs;
  /** D1: per object, what a Salesforce delete does in HubSpot. Default `do_nothing`. */
  readonly sfDeletes: Readonly<Record<SfPersonObject, SalesforceDeleteSetting>>;
  /** K1: account sync. Default off. */
  readonly accountSync: boolean;
}

export const DEFAULT_PLAN_SETTINGS: PlanSettings = {
  ...DEFAULT_SCOPE_SETTINGS,
  createAs: 'lead',
  sfDeletes: { Lead: 'do_nothing', Contact: 'do_nothing' },
  accountSync: false,
};

/** What stays the same across the contacts of one run. */
export interface PlanContext {
  readonly settings: PlanSettings;
  readonly mappings: readonly Mapping[];
  readonly hsProperties: ReadonlyMap<string, HsProperty>;
  readonly sfFields: Readonly<Record<SfPersonObject, ReadonlyMap<string, SfField>>>;
  readonly sfUsers: readonly SfUser[];
  readonly hsOwners: readonly HsOwner[];
  /** The Salesforce user Crosswalk writes as: it owns the records Crosswalk creates without an owner. */
  readonly integrationUserId: string | null;
  /** K1: the company links known so far, both ways. */
  readonly companyOfAccount: ReadonlyMap<string, string>;
  readonly accountOfCompany: ReadonlyMap<string, string>;
}

export interface PlanInput {
  readonly trigger: Trigger;
  /** The linked HubSpot contact, or (unlinked) the one with the email; null when there is none. */
  readonly hubspot: HsContact | null;
  /** The link of that contact (or of `sfRecordId`), if any. */
  readonly link: Link | null;
  /**
   * Salesforce leads and contacts that matter: the linked one, every one sharing the email, and
   * conversion or merge targets. Every record with the email must be here (M7 depends on it).
   */
  readonly salesforce: readonly SfRecord[];
  /** For triggers from Salesforce (`sf_created`, `sf_updated`, `import`): the record concerned. */
  readonly sfRecordId: string | null;
  /** G1: whether the contact is a member of the segment (ignored when none is set). */
  readonly isMember: boolean;
  /** K2: campaign memberships by Salesforce record id. */
  readonly campaigns: ReadonlyMap<string, readonly CampaignMembership[]>;
  /**
   * K2: records whose memberships were not read (the engine reads none for a HubSpot change of a
   * linked contact: memberships are Salesforce's, and that change did not move them). Their HubSpot
   * campaigns stay as they are.
   */
  readonly campaignsNotRead?: ReadonlySet<string>;
  /** D2: why this record's previous link ended, when it did (the audit log repeats it). */
  readonly endedLinkWhy?: string;
}

/** For every mapped field: what was decided and why (V1). */
export interface FieldReport {
  readonly hsProperty: string;
  readonly sfField: string;
  readonly rule: SyncRule | 'special';
  readonly action: 'none' | Direction | 'skipped' | 'error';
  readonly why: string;
}

/** E1: a failed record sync, as the error log keeps it. */
export interface PlanError {
  readonly direction: Direction;
  readonly category: ErrorCategory;
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  /** The HubSpot property concerned, for a field's error. */
  readonly hsProperty?: string;
  /** The Salesforce record concerned, when it is not the pairing's. */
  readonly sfRecordId?: string;
}

export interface Skip {
  readonly code: string;
  readonly why: string;
}

export type LinkChange =
  | { readonly action: 'none' }
  | { readonly action: 'keep' }
  /**
   * A first link. A null id is the record this plan creates; the engine writes the new Salesforce
   * id into `idProperty` of the HubSpot contact (M3).
   */
  | {
      readonly action: 'create';
      readonly sfObject: SfPersonObject;
      readonly sfId: string | null;
      readonly hsContactId: string | null;
      readonly idProperty: string;
      readonly why: string;
    }
  | {
      readonly action: 'move';
      readonly from: string;
      readonly sfObject: SfPersonObject;
      readonly sfId: string;
      readonly because: LinkMove;
      readonly why: string;
    }
  | { readonly action: 'end'; readonly why: string };

export interface SyncPlan {
  readonly outcome: 'synced' | 'skipped' | 'failed' | 'link_ended';
  /** Why the contact synced (or did not), in plain words. */
  readonly why: string;
  readonly hubspot: {
    /** Create the contact (the engine upserts by email, so a retry cannot duplicate it). */
    readonly create: { readonly properties: Readonly<Record<string, string>> } | null;
    /** `""` clears a property. */
    readonly update: { readonly id: string; readonly properties: Readonly<Record<string, string>> } | null;
    /** O1: unsubscribe from all email. There is no resubscribe: only the contact can. */
    readonly unsubscribe: boolean;
    /** K1: make this company the contact's primary company. */
    readonly primaryCompanyId: string | null;
    /** D1: delete this contact. */
    readonly deleteId: string | null;
  };
  readonly salesforce: {
    /** Create a record (the engine matches by email again first, so a retry cannot duplicate it). */
    readonly create: {
      readonly object: SfPersonObject;
      readonly values: Readonly<Record<string, SfValue>>;
    } | null;
    readonly update: {
      readonly object: SfPersonObject;
      readonly id: string;
      readonly values: Readonly<Record<string, SfValue>>;
    } | null;
  };
  readonly link: LinkChange;
  /** The snapshot to store with the link after the writes succeed; null when there is no link after. */
  readonly snapshot: Snapshot | null;
  readonly fields: readonly FieldReport[];
  readonly skips: readonly Skip[];
  readonly errors: readonly PlanError[];
  /**
   * A Two-way field both sides changed was decided by which change is later (F9): the plan is only
   * as right as the change times it was given (a search answer has none per property: `needsHistory`).
   */
  readonly byTime?: true;
}

/** How many writes a plan asks for (a plan with none needs no API call). */
export function planWrites(plan: SyncPlan): number {
  const { hubspot: hs, salesforce: sf } = plan;
  return (
    (hs.create ? 1 : 0) +
    (hs.update ? 1 : 0) +
    (hs.unsubscribe ? 1 : 0) +
    (hs.primaryCompanyId !== null ? 1 : 0) +
    (hs.deleteId !== null ? 1 : 0) +
    (sf.create ? 1 : 0) +
    (sf.update ? 1 : 0)
  );
}
