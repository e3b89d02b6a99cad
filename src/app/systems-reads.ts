/**
 * What the console reads from the systems themselves, live (issue 14): a contact's story with each
 * mapped value as both systems hold it now (two calls), every mapping checked against both systems'
 * metadata (three), and the inclusion segment's size (one). Each read's calls are recorded in the
 * pair's API usage (`counted`, B1). What the console reads from the store is `console-ops.ts`.
 */
import type { ContactView } from '../api/contract.ts';
import { DEFAULT_MAPPINGS, mappingHealth, OPT_OUT, type MappingHealth } from '../core/mappings.ts';
import { fail, ok, type Mapping, type Result } from '../core/model.ts';
import { hsKey, sfKey } from '../core/records.ts';
import { recordCalls } from '../engine/budget.ts';
import { readMappedMetadata } from '../engine/plan-context.ts';
import { resolveSettings } from '../config/settings.ts';
import type { StateStore } from '../store/state-store.ts';
import type { Service } from './service.ts';
import { explain, type ContactKey } from './operations.ts';

/** The key a contact page starts from. */
export type ContactLookup = ContactKey | { readonly sfId: string };

/**
 * Everything the contact page shows: the explanation (V1), the link and its history, the values of
 * every mapped field read live from both systems (two calls) next to the last agreed ones, the
 * opt-out, the timeline of values written, and the errors.
 */
export async function contactView(
  service: Pick<Service, 'store' | 'salesforce' | 'hubspot'> | null,
  store: StateStore,
  lookup: ContactLookup,
): Promise<Result<ContactView>> {
  let key: ContactKey;
  if ('sfId' in lookup) {
    const link = await store.linkBySalesforceId(lookup.sfId);
    const found = link ? null : await store.explanation({ sfId: lookup.sfId });
    if (link) key = { hsContactId: link.hsContactId };
    else if (found?.hsContactId) key = { hsContactId: found.hsContactId };
    else if (found?.email) key = { email: found.email };
    else
      return fail(
        'no_explanation',
        `no sync of the Salesforce record ${lookup.sfId} is recorded yet`,
        'check the id (Salesforce shows it in the record’s URL); the record syncs on its next change, or run `crosswalk import`.',
      );
  } else key = lookup;
  const explained = await explain(store, key);
  if (!explained.ok) return explained;
  const e = explained.value;
  const hsContactId = e.contact.hsContactId;
  const link = hsContactId ? await store.linkByHubSpotId(hsContactId) : null;
  const sfId = link?.sfId ?? e.contact.sfId;
  const sfObject =
    link?.sfObject ?? (sfId?.startsWith('00Q') ? 'Lead' : sfId?.startsWith('003') ? 'Contact' : null);
  const records = [hsContactId ? hsKey(hsContactId) : null, sfId ? sfKey(sfId) : null].filter(
    (r): r is NonNullable<typeof r> => r !== null,
  );
  const audit = (await Promise.all(records.map((r) => store.audit(r, 200))))
    .flat()
    .sort((a, b) => b.at - a.at);
  const mappings: readonly Mapping[] = (await store.mappings()) ?? DEFAULT_MAPPINGS;
  const live = await liveValues(service, mappings, hsContactId, sfObject, sfId);
  const agreed = link?.snapshot.values ?? {};
  const reports = new Map(e.fields.map((f) => [f.hsProperty, f]));
  // F3: a mapping applies to the object that has the field; a Contact shows no Lead-only field.
  const applies = mappings.filter((m) => sfObject === null || m.objects.includes(sfObject));
  const fields = applies.map((m) => {
    const report = reports.get(m.hsProperty);
    return {
      hsProperty: m.hsProperty,
      sfField: m.sfField,
      rule: report?.rule ?? m.rule,
      action: report?.action ?? ('none' as const),
      why: report?.why ?? 'not decided in the last sync (the mapping is newer, or the field did not change)',
      hubspot: live.hubspot?.[m.hsProperty] ?? null,
      salesforce: live.salesforce?.[m.sfField] ?? null,
      agreed: agreed[m.hsProperty] ?? null,
    };
  });
  const optReport = e.fields.find((f) => f.hsProperty === OPT_OUT.hsProperty);
  const skipped = e.lastSync.outcome === 'skipped';
  const outOfScope = skipped && (await store.explanation(key))?.reason === 'out_of_scope';
  return ok({
    contact: { email: e.contact.email, hsContactId, sfId, sfObject },
    link: e.link,
    linkHistory: audit.filter((a) => a.field === 'link'),
    scope: {
      inScope: !outOfScope,
      why: outOfScope ? e.lastSync.why : skipped ? `In scope, but skipped: ${e.lastSync.why}` : 'In scope.',
    },
    lastSync: e.lastSync,
    live: live.status,
    fields,
    optOut: {
      hubspot: live.optOut.hubspot,
      salesforce: live.optOut.salesforce,
      agreed: link?.snapshot.optOut ?? null,
      why:
        optReport?.why ??
        'Opt-outs move both ways and are never undone by the sync (O1): only the contact can resubscribe.',
    },
    timeline: audit.filter((a) => a.field !== 'link').slice(0, 200),
    errors: e.errors.slice(),
  });
}

interface LiveValues {
  readonly hubspot: Record<string, string> | null;
  readonly salesforce: Record<string, string> | null;
  readonly optOut: { readonly hubspot: boolean | null; readonly salesforce: boolean | null };
  readonly status: ContactView['live'];
}

/** The mapped values now, one call each side; a side that cannot be read says why, the page still shows. */
async function liveValues(
  service: Pick<Service, 'salesforce' | 'hubspot'> | null,
  mappings: readonly Mapping[],
  hsContactId: string | null,
  sfObject: 'Lead' | 'Contact' | null,
  sfId: string | null,
): Promise<LiveValues> {
  const problems: string[] = [];
  let hubspot: Record<string, string> | null = null;
  let salesforce: Record<string, string> | null = null;
  let hsOptOut: boolean | null = null;
  let sfOptOut: boolean | null = null;
  if (service === null) problems.push('this server has no connection to the systems');
  else {
    if (hsContactId) {
      try {
        const [contact] = await service.hubspot.byIds(
          [hsContactId],
          mappings.map((m) => m.hsProperty),
        );
        if (contact) {
          hubspot = { ...contact.properties };
          hsOptOut = contact.optedOut;
        } else problems.push(`HubSpot has no contact ${hsContactId} any more`);
      } catch (error) {
        problems.push(`HubSpot could not be read: ${(error as Error).message}`);
      }
    }
    if (sfId && sfObject) {
      try {
        const fields = mappings.filter((m) => m.objects.includes(sfObject)).map((m) => m.sfField);
        const [record] = await service.salesforce.byIds([sfId], [...new Set([...fields, OPT_OUT.sfField])]);
        if (record) {
          salesforce = Object.fromEntries(
            Object.entries(record.values)
              .filter(([, v]) => v !== null)
              .map(([k, v]) => [k, String(v)]),
          );
          sfOptOut = record.values[OPT_OUT.sfField] === true;
        } else problems.push(`Salesforce has no record ${sfId} any more`);
      } catch (error) {
        problems.push(`Salesforce could not be read: ${(error as Error).message}`);
      }
    }
  }
  return {
    hubspot,
    salesforce,
    optOut: { hubspot: hsOptOut, salesforce: sfOptOut },
    status: {
      hubspot: hubspot !== null,
      salesforce: salesforce !== null,
      why: problems.length ? problems.join('; ') : null,
    },
  };
}

/**
 * Runs a console read that calls the systems (the contact page's live values, the mappings' check,
 * the segment's size) and records the calls it made in the pair's API usage (B1), as a run's are:
 * the allocation, the pause and the retry gate see them. Run it after the engine work under way, so
 * that no cycle's calls are counted with it.
 */
export async function counted<T>(
  service: Pick<Service, 'salesforce' | 'hubspot' | 'store' | 'now'>,
  work: () => Promise<T>,
): Promise<T> {
  const atStart = { salesforce: service.salesforce.calls, hubspot: service.hubspot.calls };
  try {
    return await work();
  } finally {
    await recordCalls(service, atStart);
  }
}

/** Every mapping checked against both systems' metadata now (three calls). */
export async function mappingStatuses(
  service: Pick<Service, 'store' | 'salesforce' | 'hubspot'>,
): Promise<(Mapping & MappingHealth)[]> {
  const mappings: readonly Mapping[] = (await service.store.mappings()) ?? DEFAULT_MAPPINGS;
  const metadata = await readMappedMetadata(service.salesforce, service.hubspot);
  return mappings.map((m) => ({ ...m, ...mappingHealth(m, metadata) }));
}

/** G1: the inclusion segment and its members now (one call), or nulls without one. */
export async function segmentSize(
  service: Pick<Service, 'store' | 'hubspot'>,
): Promise<Result<{ segmentId: string | null; members: number | null }>> {
  const segmentId = resolveSettings(await service.store.settings()).segmentId;
  if (segmentId === null) return ok({ segmentId: null, members: null });
  try {
    const members = await service.hubspot.listMembers(segmentId);
    return ok({ segmentId, members: members.size });
  } catch (error) {
    return fail(
      'segment_unreadable',
      `HubSpot's list ${segmentId} could not be read: ${(error as Error).message}`,
      'check the list id in HubSpot (Contacts › Lists), or clear segmentId.',
    );
  }
}
