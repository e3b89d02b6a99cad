/**
 * U1: the connectors of a preview. Reads go to the systems as the real run's would; writes go
 * nowhere: each is tallied (`WriteTally`) and answered as the system answers a write that succeeds,
 * with an id made up for a record created. What the run created or changed is then read back as a
 * later batch of the same run would find it in the system: a contact created by a contact is found
 * by the lead that shares its email (M2), exactly as in the applied run.
 *
 * A write the system itself would refuse (a value it rejects, a duplicate rule) cannot be foreseen
 * without making it: the preview counts it as written. Errors the plans meet are foreseen.
 */
import { emailKey } from '../core/matching.ts';
import { tallyValues, type WriteTally } from '../core/preview.ts';
import type { HsContact, SfRecord, SfValue } from '../core/records.ts';
import type { HubSpotPort, SalesforcePort, WriteOutcome } from '../connectors/ports.ts';
import { BATCH_MAX, chunks, lowerEmail, uniqueWaves } from '../connectors/hubspot/batches.ts';
import { inLists } from '../connectors/salesforce/soql.ts';
import { HUBSPOT_WRITES, SALESFORCE_WRITES } from './fencing.ts';

/** Records a Salesforce collection call holds (B3). */
const SALESFORCE_BATCH = 200;
/** Contacts a HubSpot batch read holds with property history (HubSpot's limit). */
const HISTORY_BATCH = 50;

const batches = (n: number, size: number) => Math.ceil(n / size);

/** The calls the connector makes for a write of `inputs` in unique waves (`uniqueWaves`). */
const waveCalls = <T>(inputs: readonly T[], key: (input: T) => string) =>
  uniqueWaves(inputs, BATCH_MAX, key).reduce((n, wave) => n + wave.length, 0);

/** The batch reads of `ids` the connector makes (`ids` deduplicated as it does). */
const readCalls = (ids: readonly string[], history: boolean) =>
  chunks([...new Set(ids)], history ? HISTORY_BATCH : BATCH_MAX).length;

/**
 * `target` with `overrides` in place of its members of the same name; the rest the target's own,
 * except a write (`writes`) that has no override: it throws, so that a write added to a port later
 * can never reach a system from a preview.
 */
function overlay<T extends object>(target: T, overrides: Partial<T>, writes: readonly (keyof T)[]): T {
  const refused = new Set<PropertyKey>(writes.filter((w) => !Object.hasOwn(overrides, w)));
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(overrides, prop)) return (overrides as Record<PropertyKey, unknown>)[prop];
      if (refused.has(prop))
        return () =>
          Promise.reject(new Error(`a preview writes nothing, but its run called ${String(prop)}`));
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** Salesforce as a preview sees it: see the file header. */
export function drySalesforce(sf: SalesforcePort, tally: WriteTally, now: () => number): SalesforcePort {
  const created = new Map<string, SfRecord>();
  const changed = new Map<string, Record<string, SfValue>>();
  let next = 0;
  const patched = (r: SfRecord): SfRecord => {
    const values = changed.get(r.id);
    return values ? { ...r, values: { ...r.values, ...values } } : r;
  };
  const side = tally.salesforce;
  return overlay(
    sf,
    {
      async create(object, records) {
        tally.calls.salesforce += batches(records.length, SALESFORCE_BATCH);
        side.created[object] = (side.created[object] ?? 0) + records.length;
        const userId = await sf.integrationUserId();
        return records.map((values): WriteOutcome => {
          tallyValues(side, values, (v) => v === null || v === '');
          // An id of the object's prefix, 18 characters, that no real record has (`preview…`).
          const id = `${object === 'Lead' ? '00Q' : '003'}PREVIEW${String(++next).padStart(8, '0')}`;
          const email = typeof values.Email === 'string' ? values.Email : null;
          const at = now();
          created.set(id, {
            object,
            id,
            email,
            createdAt: at,
            modifiedAt: at,
            isDeleted: false,
            isConverted: false,
            convertedContactId: null,
            masterRecordId: null,
            values,
            linkedHsContactId: null,
            lastModifiedById: userId,
          });
          return { ok: true, id };
        });
      },
      update(object, records) {
        tally.calls.salesforce += batches(records.length, SALESFORCE_BATCH);
        side.updated += records.length;
        return Promise.resolve(
          records.map(({ Id, ...values }): WriteOutcome => {
            tallyValues(side, values, (v) => v === null || v === '');
            changed.set(Id, { ...changed.get(Id), ...values });
            return { ok: true, id: Id };
          }),
        );
      },
      async byIds(ids, fields) {
        const real = ids.filter((id) => !created.has(id));
        // The queries the applied run makes for what it created: one list of ids per object and chunk.
        for (const prefix of ['00Q', '003']) {
          const all = [...new Set(ids.filter((id) => id.startsWith(prefix)))];
          const own = all.filter((id) => !created.has(id));
          tally.calls.salesforce += inLists(all).length - inLists(own).length;
        }
        const found = real.length ? await sf.byIds(real, fields) : [];
        return [...found, ...ids.flatMap((id) => (created.has(id) ? [created.get(id)!] : []))].map(patched);
      },
      async byEmails(emails, fields) {
        const keys = new Set(emails.map(emailKey));
        const mine = [...created.values()].filter((r) => keys.has(emailKey(r.email)));
        return [...(await sf.byEmails(emails, fields)).map(patched), ...mine.map(patched)];
      },
    },
    SALESFORCE_WRITES,
  );
}

/** HubSpot as a preview sees it: see the file header. */
export function dryHubSpot(hs: HubSpotPort, tally: WriteTally, now: () => number): HubSpotPort {
  const created = new Map<string, HsContact>();
  const byEmail = new Map<string, string>();
  const changed = new Map<string, Record<string, string>>();
  let next = 0;
  const patched = (c: HsContact): HsContact => {
    const properties = changed.get(c.id);
    return properties ? { ...c, properties: { ...c.properties, ...properties } } : c;
  };
  const side = tally.hubspot;
  const ok = (id: string): WriteOutcome => ({ ok: true, id });
  return overlay(
    hs,
    {
      upsertByEmail(inputs) {
        tally.calls.hubspot += waveCalls(inputs, (i) => lowerEmail(i.email));
        return Promise.resolve(
          inputs.map(({ email, properties }) => {
            const key = emailKey(email) ?? email;
            let id = byEmail.get(key);
            if (id) {
              changed.set(id, { ...changed.get(id), ...properties });
              return ok(id);
            }
            id = `preview-${++next}`;
            byEmail.set(key, id);
            side.created.contact = (side.created.contact ?? 0) + 1;
            tallyValues(side, properties, (v) => v === '');
            const at = now();
            created.set(id, {
              id,
              properties,
              changedAt: {},
              optedOut: false,
              primaryCompanyId: null,
              updatedAt: at,
            });
            return ok(id);
          }),
        );
      },
      update(inputs) {
        tally.calls.hubspot += waveCalls(inputs, (i) => i.id);
        side.updated += inputs.length;
        return Promise.resolve(
          inputs.map(({ id, properties }) => {
            tallyValues(side, properties, (v) => v === '');
            changed.set(id, { ...changed.get(id), ...properties });
            return ok(id);
          }),
        );
      },
      unsubscribeAll(email) {
        tally.calls.hubspot += 1;
        side.optOuts++;
        return Promise.resolve(ok(email));
      },
      unsubscribeAllMany(emails) {
        // Each email once, as the connector sends it.
        const distinct = new Set(emails.map(lowerEmail));
        tally.calls.hubspot += readCalls([...distinct], false);
        side.optOuts += distinct.size;
        return Promise.resolve(emails.map(ok));
      },
      archive(id) {
        tally.calls.hubspot += 1;
        side.deleted++;
        return Promise.resolve(ok(id));
      },
      setPrimaryCompany(contactId) {
        tally.calls.hubspot += 1;
        side.primaryCompanies++;
        return Promise.resolve(ok(contactId));
      },
      createCompanies(inputs) {
        tally.calls.hubspot += batches(inputs.length, BATCH_MAX);
        side.created.company = (side.created.company ?? 0) + inputs.length;
        return Promise.resolve(inputs.map(() => ok(`preview-company-${++next}`)));
      },
      async byIds(ids, properties, historyFor) {
        const real = ids.filter((id) => !created.has(id));
        const history = (historyFor?.length ?? 0) > 0;
        tally.calls.hubspot += readCalls(ids, history) - readCalls(real, history);
        const found = real.length ? await hs.byIds(real, properties, historyFor) : [];
        return [...found, ...ids.flatMap((id) => (created.has(id) ? [created.get(id)!] : []))].map(patched);
      },
      async byEmails(emails, properties, historyFor) {
        const mine = emails.flatMap((e) => {
          const id = byEmail.get(emailKey(e) ?? e);
          return id ? [created.get(id)!] : [];
        });
        const real = emails.filter((e) => !byEmail.has(emailKey(e) ?? e));
        const history = (historyFor?.length ?? 0) > 0;
        const keys = (list: readonly string[]) => list.map(lowerEmail).filter((e) => e !== '');
        tally.calls.hubspot += readCalls(keys(emails), history) - readCalls(keys(real), history);
        const found = real.length ? await hs.byEmails(real, properties, historyFor) : [];
        return [...found, ...mine].map(patched);
      },
    },
    HUBSPOT_WRITES,
  );
}
