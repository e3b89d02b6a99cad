/**
 * Planning: every rule of SPEC.md composed into one `SyncPlan` for one HubSpot contact and the
 * Salesforce lead or contact it is (or becomes) linked to. The engine gathers the input, calls
 * `planSync`, carries the plan out and stores the new snapshot; nothing here does I/O.
 *
 * This file decides the pairing: which record the contact is linked to (M1–M5, D1–D3, M8), whether
 * it syncs at all (scope: C2–C4, G1–G3, T3) and what is created (C1, M7, M8). The values of the
 * pairing are plan-fields.ts; the plan under construction is plan-builder.ts.
 *
 * Terms (docs/glossary.md): the **pairing** is the HubSpot contact and the Salesforce record a plan
 * syncs; either side may be missing before the plan (it then creates it). The **snapshot** holds, per
 * mapped HubSpot property, the value both systems last agreed on, in HubSpot's form; `null` means the
 * mapping is known but nothing was agreed yet, and an absent property means the mapping is newer than
 * the contact's last sync (F7).
 */
import { changedSinceDelete, decideHubSpotDelete, decideSalesforceDelete } from './deletes.ts';
import {
  currentLink,
  decideHubSpotCreate,
  convertedSuccessor,
  decideSalesforceCreate,
  emailKey,
  firstLink,
  idPropertyOf,
  SKIP_NO_EMAIL,
} from './matching.ts';
import type { SfPersonObject } from './model.ts';
import { Builder, text } from './plan-builder.ts';
import { reportAll, syncPairing } from './plan-fields.ts';
import { decideScope } from './scope.ts';
import type { SfRecord } from './records.ts';
import { planWrites, type PlanContext, type PlanInput, type SyncPlan } from './sync-plan.ts';

/** Plans the sync of one contact. See the file header and docs/rules.md for the rules it applies. */
export function planSync(input: PlanInput, ctx: PlanContext): SyncPlan {
  const b = new Builder();
  const { link, hubspot } = input;
  const settings = ctx.settings;
  const inSegment = settings.segmentId === null || input.isMember;

  // D2: the linked HubSpot contact is gone. Salesforce keeps its record; the link ends.
  if (link && !hubspot) {
    const why = decideHubSpotDelete().why;
    b.link = { action: 'end', why };
    return b.done('link_ended', why, null, null);
  }

  // Which Salesforce record the contact is (or becomes) linked to.
  let target: SfRecord | null = null;
  if (link) {
    // A record linked to another contact is never taken over (M4 with M8: one record, one contact).
    const candidates = input.salesforce.filter(
      (r) => r.linkedHsContactId === null || r.linkedHsContactId === link.hsContactId || r.id === link.sfId,
    );
    const found = currentLink(link.sfId, candidates, link.lastSyncedAt);
    if (!found.ok) {
      const deleted = input.salesforce.find((r) => r.id === link.sfId && r.isDeleted);
      if (deleted && found.problem.code === 'linked_record_deleted') {
        // D1 (a merge would have moved the link: D3). Deletes reach HubSpot only for contacts in scope.
        const decision = decideSalesforceDelete(settings.sfDeletes[deleted.object]);
        const act = decision.action === 'delete_hubspot' && inSegment;
        if (act) b.deleteId = link.hsContactId;
        const why =
          act || decision.action === 'none'
            ? decision.why
            : `${decision.why}; not in the segment, so kept (G1)`;
        if (!act && hubspot && input.sfRecordId === null && changedSinceDelete(hubspot, deleted.modifiedAt)) {
          // Changed in HubSpot since the delete: the contact's own change, planned as with no link (C4).
          const own = planSync({ ...input, link: null }, ctx);
          const ownWhy = `${why}; changed in HubSpot since, so it syncs as a contact with no link (C4): ${own.why}`;
          return {
            ...own,
            why: ownWhy,
            link: own.link.action === 'none' ? { action: 'end', why } : own.link,
          };
        }
        b.link = { action: 'end', why };
        return b.done('link_ended', why, null, null);
      }
      b.errors.push({ direction: 'to_salesforce', category: 'associations', ...found.problem });
      return b.done('failed', found.problem.message, null, null);
    }
    target = found.value.record as SfRecord;
    const moved = found.value.moved;
    if (moved) {
      const why =
        moved.because === 'converted'
          ? `the lead ${moved.from} was converted: the link moves to contact ${target.id} (M5)`
          : moved.because === 'merged'
            ? `${moved.from} was merged into ${target.id}: the link moves to the master (D3)`
            : `${target.id} is the most recently modified record with this email: the link hops to it (M4)`;
      b.link = {
        action: 'move',
        from: link.sfId,
        sfObject: target.object,
        sfId: target.id,
        because: moved.because,
        why,
      };
    } else b.link = { action: 'keep' };
  }

  // A trigger from Salesforce names a record; it may not be the one the contact is linked to.
  const origin =
    input.sfRecordId === null ? undefined : input.salesforce.find((r) => r.id === input.sfRecordId);
  if (input.sfRecordId !== null && !origin) {
    b.skips.push({ code: 'record_not_found', why: `Salesforce record ${input.sfRecordId} was not found.` });
    return b.done('skipped', 'the Salesforce record was not found', null, null);
  }
  if (origin && !link) {
    if (origin.isDeleted) {
      b.skips.push({
        code: 'deleted',
        why: `Salesforce record ${origin.id} is deleted and was never linked.`,
      });
      return b.done('skipped', 'deleted in Salesforce', null, null);
    }
    if (emailKey(origin.email) === null) {
      b.skips.push({ code: SKIP_NO_EMAIL.code, why: SKIP_NO_EMAIL.reason });
      return b.done('skipped', SKIP_NO_EMAIL.reason, null, null);
    }
  }
  if (origin && target && origin.id !== target.id) {
    // M8: the contact with this email is linked to another record. Sharing that record's email is M2/M4
    // at work (the contact stays with one record); a different email means a duplicate.
    if (emailKey(origin.email) === emailKey(target.email)) {
      b.skips.push({
        code: 'shares_email',
        why: `Salesforce record ${origin.id} shares its email with ${target.id}, which the contact is linked to (M2, M4).`,
      });
    } else {
      const decision = decideHubSpotCreate({
        sfRecordId: origin.id,
        email: origin.email,
        existing: { id: link!.hsContactId, linkedSfId: target.id },
      });
      if (decision.action === 'error') {
        b.errors.push({
          direction: 'to_hubspot',
          category: decision.category,
          code: decision.code,
          message: decision.message,
          fix: decision.fix,
          sfRecordId: origin.id,
        });
      }
    }
  }

  const scope = decideScope({
    trigger: input.trigger,
    settings,
    isMember: input.isMember,
    linked: link !== null,
  });
  const why =
    input.endedLinkWhy && !link && !hubspot
      ? `${scope.why}; the contact comes back: ${input.endedLinkWhy}`
      : scope.why;
  if (!scope.sync) {
    b.skips.push({ code: 'out_of_scope', why: scope.why });
    if (link && target) reportAll(b, ctx, target.object, `skipped: ${scope.why}`);
    // Nothing flows, so nothing moves: the link (even one that would hop or follow a conversion) waits.
    b.link = link ? { action: 'keep' } : { action: 'none' };
    b.snapshot = link ? link.snapshot : null;
    return b.done('skipped', scope.why, null, null);
  }

  // A first link: by email, Contact before Lead, then the oldest (M1, M2).
  let createObject: SfPersonObject | null = null;
  let firstVia = 'has this email';
  if (!link) {
    if (!hubspot && !origin) {
      b.skips.push({
        code: 'nothing_to_sync',
        why: 'Neither a HubSpot contact nor a Salesforce record was given.',
      });
      return b.done('skipped', 'nothing to sync', null, null);
    }
    const email = hubspot ? text(hubspot.properties.email) : origin!.email;
    if (emailKey(email) === null) {
      b.skips.push({ code: SKIP_NO_EMAIL.code, why: SKIP_NO_EMAIL.reason });
      return b.done('skipped', SKIP_NO_EMAIL.reason, null, null);
    }
    // A converted lead with the email stands for the contact it became, if that is live (M5).
    const byEmail = firstLink(email, input.salesforce);
    const successor = hubspot && !byEmail ? convertedSuccessor(email, input.salesforce) : undefined;
    const first = byEmail ?? successor?.contact;
    if (successor) firstVia = `is what lead ${successor.lead.id}, which has this email, was converted into`;
    if (first && first.linkedHsContactId !== null && first.linkedHsContactId !== hubspot?.id) {
      if (!hubspot) {
        b.skips.push({
          code: 'linked_elsewhere',
          why: `Salesforce record ${first.id} is linked to HubSpot contact ${first.linkedHsContactId}, and syncs with it.`,
        });
        return b.done('skipped', 'the record syncs with the HubSpot contact it is linked to', null, null);
      }
      b.errors.push({
        direction: 'to_salesforce',
        category: 'duplicates',
        code: 'email_in_use',
        message: `Email already in use: Salesforce ${first.object} ${first.id} has this email and is linked to HubSpot contact ${first.linkedHsContactId}, not ${hubspot.id}.`,
        fix: 'Merge the duplicate HubSpot contacts, or give one of them another email.',
      });
      return b.done('failed', 'Email already in use', null, null);
    }
    if (first) {
      target = first;
      if (origin && origin.id !== first.id) {
        b.skips.push({
          code: 'shares_email',
          why: `Salesforce record ${origin.id} shares its email with ${first.id}, which comes first (M2).`,
        });
      }
    } else if (hubspot) {
      if (!scope.toSalesforce) {
        b.skips.push({ code: 'out_of_scope', why: scope.why });
        return b.done('skipped', scope.why, null, null);
      }
      // M7 + C1: create in Salesforce (values are filled in by the field loop below).
      const decision = decideSalesforceCreate({
        email,
        values: {},
        createAs: settings.createAs,
        sameEmail: input.salesforce,
      });
      if (decision.action === 'skip') {
        b.skips.push({ code: decision.code, why: decision.why });
        return b.done('skipped', decision.why, null, null);
      }
      if (decision.action === 'create') createObject = decision.object;
    }
  }

  const object: SfPersonObject = target?.object ?? createObject ?? 'Lead';
  if (!hubspot) {
    // M8: no HubSpot contact has this email (the engine looked): create one.
    if (!target) {
      // Only a converted lead had the email: its contact is the record that syncs (M5).
      b.skips.push({
        code: 'converted_lead',
        why: `Salesforce lead ${origin!.id} is converted: its contact syncs instead (M5).`,
      });
      return b.done('skipped', 'a converted lead is never synced again (M5)', null, null);
    }
    const decision = decideHubSpotCreate({ sfRecordId: target.id, email: target.email, existing: undefined });
    if (decision.action !== 'create') {
      b.skips.push({ code: SKIP_NO_EMAIL.code, why: SKIP_NO_EMAIL.reason });
      return b.done('skipped', SKIP_NO_EMAIL.reason, null, null);
    }
    b.hsCreate = {};
  } else if (!target && createObject) {
    b.sfCreate = { object: createObject, values: {} };
  }
  if (!link) {
    b.link = {
      action: 'create',
      sfObject: object,
      sfId: target?.id ?? null,
      hsContactId: hubspot?.id ?? null,
      idProperty: idPropertyOf(object),
      why: hubspot
        ? target
          ? `a Salesforce ${object} ${firstVia}: linked (M1, M7)`
          : `no Salesforce lead or contact has this email: created as a ${object} (C1, M7)`
        : `no HubSpot contact has this email: created (M8)`,
    };
  }

  syncPairing(b, input, ctx, scope, { hubspot, target, object, link });

  const plan = b.done('synced', why, hubspot?.id ?? null, target);
  return b.errors.length > 0 && planWrites(plan) === 0 ? { ...plan, outcome: 'failed' } : plan;
}
