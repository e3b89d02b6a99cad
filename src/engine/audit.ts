/**
 * The audit log of a plan carried out: one entry per value written on either side, and one for a
 * link made, moved or ended, each with why (V1). Pure: built from the plan and what it was planned from.
 */
import { hsKey, sfKey, type SfValue } from '../core/records.ts';
import type { AuditEntry } from '../store/state-store.ts';
import type { Planned } from './carry-out.ts';

function stringOf(value: SfValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** The audit entries of one plan whose writes all went through. */
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
  const hsProps = { ...(plan.hubspot.create?.properties ?? {}), ...(plan.hubspot.update?.properties ?? {}) };
  for (const [field, value] of Object.entries(hsProps)) {
    out.push({
      at,
      runId,
      record: hsRecord,
      system: 'hubspot',
      field,
      oldValue: unit.hubspot?.properties[field] ?? null,
      newValue: value,
      why: why.get(field) ?? (plan.hubspot.create ? 'created (M8)' : 'link ids (M3)'),
    });
  }
  const sfWrite = plan.salesforce.update ?? plan.salesforce.create;
  const sfId = plan.salesforce.update?.id ?? createdSfId;
  const before = plan.salesforce.update ? input.salesforce.find((r) => r.id === sfId) : undefined;
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
