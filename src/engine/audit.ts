/**
 * The audit log of a plan carried out — the ledger (U2): one entry per value written on either side
 * (the opt-out too, O1), one for a record created, and one for a link made, moved or ended, each with
 * why (V1) and, where the records read said, who changed the field last before the write and when.
 * Pure: built from the plan and what it was planned from. A plan partly carried out keeps what went
 * through (`writtenPart`).
 */
import { OPT_OUT } from '../core/mappings.ts';
import { hsKey, sfKey, type SfValue } from '../core/records.ts';
import { RECORD_FIELD } from '../core/undo.ts';
import type { SyncPlan } from '../core/sync-plan.ts';
import type { AuditEntry } from '../store/state-store.ts';
import type { Planned, WriteFailure } from './carry-out.ts';

function stringOf(value: SfValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * The part of a plan that went through when some of its writes failed (`failed`, by direction), for
 * the ledger: `carryOut` writes Salesforce first and gives a plan whose write failed no later write.
 * So the Salesforce write stands unless it failed itself; of HubSpot's, only a contact created
 * (`hsCreated`: the upsert is made whatever Salesforce's write came to) — its update, opt-out and the
 * rest either were not sent or failed (a HubSpot failure does not say which). The link is not changed
 * (`recordOutcomes` changes it only when every write went through).
 */
export function writtenPart(plan: SyncPlan, failed: readonly WriteFailure[], hsCreated: boolean): SyncPlan {
  const sfFailed = failed.some((f) => f.direction === 'to_salesforce');
  return {
    ...plan,
    hubspot: {
      ...plan.hubspot,
      create: hsCreated ? plan.hubspot.create : null,
      update: null,
      unsubscribe: false,
      primaryCompanyId: null,
      deleteId: null,
    },
    salesforce: sfFailed ? { create: null, update: null } : plan.salesforce,
    link: { action: 'none' },
  };
}

/** The audit entries of one plan whose writes all went through (else of its `writtenPart`). */
export function auditOf(
  { plan, unit, input }: Planned,
  hsId: string | null,
  createdSfId: string | null,
  runId: string,
  at: number,
): AuditEntry[] {
  const out: AuditEntry[] = [];
  const why = new Map(plan.fields.map((f) => [f.hsProperty, f.why]));
  const bySf = new Map(plan.fields.map((f) => [f.sfField, f.why]));
  const hsRecord = hsKey(hsId ?? '');
  const hsProps: Record<string, string> = {
    ...(plan.hubspot.create?.properties ?? {}),
    ...(plan.hubspot.update?.properties ?? {}),
  };
  // M3: the id of a record the plan created, which carrying out writes on the contact.
  const link = plan.link;
  if (link.action === 'create' && link.sfId === null && createdSfId !== null)
    hsProps[link.idProperty] = createdSfId;
  const contact = unit.hubspot;
  /** Who changed a HubSpot property last, and when, as the contact read says (U2). */
  const hsLast = (field: string) => {
    const by = contact?.changedBy?.[field];
    const changedAt = contact?.changedAt[field];
    return {
      ...(by !== undefined ? { changedBy: by } : {}),
      ...(changedAt !== undefined ? { changedAt } : {}),
    };
  };
  if (plan.hubspot.create)
    out.push({
      at,
      runId,
      record: hsRecord,
      system: 'hubspot',
      field: RECORD_FIELD,
      oldValue: null,
      newValue: 'created',
      why: 'created (M8)',
    });
  for (const [field, value] of Object.entries(hsProps)) {
    out.push({
      at,
      runId,
      record: hsRecord,
      system: 'hubspot',
      field,
      oldValue: contact?.properties[field] ?? null,
      newValue: value,
      why: why.get(field) ?? (plan.hubspot.create ? 'created (M8)' : 'link ids (M3)'),
      ...hsLast(field),
    });
  }
  if (plan.hubspot.unsubscribe)
    out.push({
      at,
      runId,
      record: hsRecord,
      system: 'hubspot',
      field: OPT_OUT.hsProperty,
      oldValue: contact ? String(contact.optedOut) : null,
      newValue: 'true',
      why: why.get(OPT_OUT.hsProperty) ?? 'unsubscribed from all email (O1)',
      ...hsLast(OPT_OUT.hsProperty),
    });
  const sfWrite = plan.salesforce.update ?? plan.salesforce.create;
  const sfId = plan.salesforce.update?.id ?? createdSfId;
  const before = plan.salesforce.update ? input.salesforce.find((r) => r.id === sfId) : undefined;
  // Salesforce says who saved the record last, not each field (`LastModifiedById`, `LastModifiedDate`).
  const sfLast = before
    ? {
        ...(before.lastModifiedById ? { changedBy: before.lastModifiedById } : {}),
        changedAt: before.modifiedAt,
      }
    : {};
  if (plan.salesforce.create && createdSfId)
    out.push({
      at,
      runId,
      record: sfKey(createdSfId),
      system: 'salesforce',
      field: RECORD_FIELD,
      oldValue: null,
      newValue: 'created',
      why: 'created (C1)',
    });
  for (const [field, value] of Object.entries(sfWrite?.values ?? {})) {
    out.push({
      at,
      runId,
      record: sfKey(sfId ?? ''),
      system: 'salesforce',
      field,
      oldValue: stringOf(before?.values[field]),
      newValue: stringOf(value),
      why: bySf.get(field) ?? (plan.salesforce.create ? 'created (C1)' : 'written'),
      ...sfLast,
    });
  }
  if (plan.link.action !== 'keep' && plan.link.action !== 'none') {
    out.push({
      at,
      runId,
      record: hsRecord,
      system: 'hubspot',
      field: 'link',
      oldValue: unit.link?.sfId ?? null,
      newValue: plan.link.action === 'end' ? null : (plan.link.sfId ?? createdSfId),
      // D2: a contact that comes back says why its old link ended.
      why:
        input.endedLinkWhy && plan.link.action === 'create'
          ? `${plan.link.why}; the contact comes back: ${input.endedLinkWhy}`
          : plan.link.why,
    });
  }
  return out;
}
