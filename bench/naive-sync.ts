/**
 * Issue 15's baseline: a naive record-at-a-time sync, as a hand-written script or a no-code flow
 * does it, written with the official clients only — jsforce and @hubspot/api-client, unchanged — so
 * the benchmark can put Crosswalk beside it on the same emulator data.
 *
 * - **Import**: read every lead and contact (a query, then `queryMore` for each `nextRecordsUrl`);
 *   for each record with an email, search HubSpot by email, then create or update that one contact.
 * - **Changes**: poll Salesforce by `LastModifiedDate` and HubSpot by `lastmodifieddate` (both polls
 *   before any write, so the script's own writes wait for its next run); for each Salesforce change,
 *   search HubSpot by email and update (or create) the contact; for each HubSpot change, query
 *   Salesforce by email (an open lead, else a contact) and update that record.
 *
 * It maps a handful of fields (`FIELDS`), skips blank values, and sends one request at a time. Its
 * SOQL literals go through the project's escaping helpers, never concatenated. The HubSpot client
 * retries 429s itself (`numberOfApiCallRetries`: attempts, at most 6). That setting lives in a
 * process-wide slot that each `new Client()` overwrites (docs/architecture.md, "Known gotchas"), and
 * the client applies it when it builds an API object: `clientsOf` builds the contacts APIs at once.
 */
import { Connection } from 'jsforce';
import { Client } from '@hubspot/api-client';
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { soqlDateTime, soqlString } from '../src/connectors/salesforce/soql.ts';

/** Where the two systems answer, as a script is configured. */
export interface NaiveSystems {
  readonly salesforce: { readonly url: string; readonly accessToken: string };
  readonly hubspot: { readonly url: string; readonly accessToken: string };
}

/** What one run of the script did. */
export interface NaiveRun {
  /** Records read: Salesforce leads and contacts, and HubSpot contacts (changes only). */
  readonly read: { readonly salesforce: number; readonly hubspot: number };
  /** Records written, one request each. */
  readonly written: {
    readonly hubspotCreated: number;
    readonly hubspotUpdated: number;
    readonly salesforce: number;
  };
  /** Records passed over: no email, or (HubSpot → Salesforce) no lead or contact with that email. */
  readonly skipped: number;
  /** Writes refused, and the first refusal's message. */
  readonly failed: number;
  readonly firstFailure: string | null;
  /** Wall time of the run. */
  readonly seconds: number;
}

/** The fields the script maps: HubSpot property ← Salesforce field, on leads and contacts. */
const FIELDS = [
  ['email', 'Email'],
  ['firstname', 'FirstName'],
  ['lastname', 'LastName'],
  ['phone', 'Phone'],
  ['jobtitle', 'Title'],
  ['description', 'Description'],
] as const;
/** Leads have `Company`; a contact's company is its account's name. */
const LEAD_SELECT = `Id, ${FIELDS.map(([, f]) => f).join(', ')}, Company`;
const CONTACT_SELECT = `Id, ${FIELDS.map(([, f]) => f).join(', ')}, Account.Name`;
const HUBSPOT_PROPERTIES = [...FIELDS.map(([p]) => p), 'company'];
const API_VERSION = '60.0';
/** The client's attempts for a request (it retries 429s and 5xx): its maximum. */
const HUBSPOT_ATTEMPTS = 6;
/** HubSpot's largest search page. */
const SEARCH_PAGE = 200;

interface SfPerson {
  readonly Id: string;
  readonly Email?: string | null;
  readonly Company?: string | null;
  readonly Account?: { readonly Name?: string | null } | null;
  readonly [field: string]: unknown;
}

function clientsOf(systems: NaiveSystems) {
  const conn = new Connection({
    instanceUrl: systems.salesforce.url,
    accessToken: systems.salesforce.accessToken,
    version: API_VERSION,
  });
  const hubspot = new Client({
    accessToken: systems.hubspot.accessToken,
    basePath: systems.hubspot.url.replace(/\/+$/, ''),
    numberOfApiCallRetries: HUBSPOT_ATTEMPTS,
  });
  return { conn, contacts: hubspot.crm.contacts };
}

type Clients = ReturnType<typeof clientsOf>;

/** Every record of a query: the first page, then `queryMore` while Salesforce gives a `nextRecordsUrl`. */
async function queryAll<T extends SfPerson>(conn: Connection, soql: string): Promise<T[]> {
  let page = await conn.query<T>(soql);
  const records = [...page.records];
  while (!page.done && page.nextRecordsUrl) {
    page = await conn.queryMore<T>(page.nextRecordsUrl);
    records.push(...page.records);
  }
  return records;
}

/** The mapped properties of a Salesforce lead or contact, blank values left out. */
function propertiesOf(record: SfPerson): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [property, field] of FIELDS) {
    const value = record[field];
    if (typeof value === 'string' && value !== '') out[property] = value;
  }
  const company = record.Company ?? record.Account?.Name;
  if (typeof company === 'string' && company !== '') out['company'] = company;
  return out;
}

/** Counts of what a run did, filled in as it goes. */
class Tally {
  hubspotCreated = 0;
  hubspotUpdated = 0;
  salesforce = 0;
  skipped = 0;
  failed = 0;
  firstFailure: string | null = null;

  fail(what: string, error: unknown): void {
    this.failed++;
    this.firstFailure ??= `${what}: ${error instanceof Error ? error.message : String(error)}`;
  }

  result(read: NaiveRun['read'], started: number): NaiveRun {
    return {
      read,
      written: {
        hubspotCreated: this.hubspotCreated,
        hubspotUpdated: this.hubspotUpdated,
        salesforce: this.salesforce,
      },
      skipped: this.skipped,
      failed: this.failed,
      firstFailure: this.firstFailure,
      seconds: (performance.now() - started) / 1000,
    };
  }
}

/** One Salesforce record into HubSpot: a search by email, then a create or an update. */
async function pushToHubSpot(clients: Clients, record: SfPerson, tally: Tally): Promise<void> {
  const email = record.Email;
  if (!email) {
    tally.skipped++;
    return;
  }
  const properties = propertiesOf(record);
  try {
    const found = await clients.contacts.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'email', operator: 'EQ' as FilterOperatorEnum, value: email }] },
      ],
      properties: ['email'],
      limit: 1,
    });
    const existing = found.results[0];
    if (existing) {
      await clients.contacts.basicApi.update(existing.id, { properties });
      tally.hubspotUpdated++;
    } else {
      await clients.contacts.basicApi.create({ properties, associations: [] });
      tally.hubspotCreated++;
    }
  } catch (error) {
    tally.fail(`${record.Id} → HubSpot`, error);
  }
}

/** One HubSpot contact into Salesforce: the open lead with its email, else the contact; then an update. */
async function pushToSalesforce(
  clients: Clients,
  contact: { readonly properties: Record<string, string | null> },
  tally: Tally,
): Promise<void> {
  const email = contact.properties['email'];
  if (!email) {
    tally.skipped++;
    return;
  }
  const values: Record<string, string> = {};
  for (const [property, field] of FIELDS) {
    const value = contact.properties[property];
    if (property !== 'email' && value) values[field] = value;
  }
  try {
    const lead = await clients.conn.query<SfPerson>(
      `SELECT Id FROM Lead WHERE Email = ${soqlString(email)} AND IsConverted = false LIMIT 1`,
    );
    let target: { object: 'Lead' | 'Contact'; id: string } | null = lead.records[0]
      ? { object: 'Lead', id: lead.records[0].Id }
      : null;
    if (!target) {
      const person = await clients.conn.query<SfPerson>(
        `SELECT Id FROM Contact WHERE Email = ${soqlString(email)} LIMIT 1`,
      );
      if (person.records[0]) target = { object: 'Contact', id: person.records[0].Id };
    }
    if (!target) {
      tally.skipped++;
      return;
    }
    const saved = await clients.conn.sobject(target.object).update({ Id: target.id, ...values });
    if (saved.success) tally.salesforce++;
    else tally.fail(`${target.id} ← HubSpot`, new Error(JSON.stringify(saved.errors)));
  } catch (error) {
    tally.fail(`${email} → Salesforce`, error);
  }
}

/** Import: every lead and contact into HubSpot, one record at a time. */
export async function naiveImport(systems: NaiveSystems): Promise<NaiveRun> {
  const clients = clientsOf(systems);
  const started = performance.now();
  const tally = new Tally();
  const leads = await queryAll(clients.conn, `SELECT ${LEAD_SELECT} FROM Lead`);
  const people = await queryAll(clients.conn, `SELECT ${CONTACT_SELECT} FROM Contact`);
  for (const record of [...leads, ...people]) await pushToHubSpot(clients, record, tally);
  return tally.result({ salesforce: leads.length + people.length, hubspot: 0 }, started);
}

/**
 * Changes: the records changed on either side since `since` (epoch ms), each pushed to the other
 * side one at a time. Both polls run before any write.
 */
export async function naiveChanges(systems: NaiveSystems, since: number): Promise<NaiveRun> {
  const clients = clientsOf(systems);
  const started = performance.now();
  const tally = new Tally();
  const after = `LastModifiedDate >= ${soqlDateTime(since)}`;
  const leads = await queryAll(clients.conn, `SELECT ${LEAD_SELECT} FROM Lead WHERE ${after}`);
  const people = await queryAll(clients.conn, `SELECT ${CONTACT_SELECT} FROM Contact WHERE ${after}`);
  const changed: { id: string; properties: Record<string, string | null> }[] = [];
  for (let page: string | undefined = undefined; ;) {
    const answer = await clients.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'lastmodifieddate', operator: 'GTE' as FilterOperatorEnum, value: String(since) },
          ],
        },
      ],
      sorts: ['lastmodifieddate'],
      properties: HUBSPOT_PROPERTIES,
      limit: SEARCH_PAGE,
      ...(page === undefined ? {} : { after: page }),
    });
    changed.push(...answer.results);
    page = answer.paging?.next?.after;
    if (!page) break;
  }
  for (const record of [...leads, ...people]) await pushToHubSpot(clients, record, tally);
  for (const contact of changed) await pushToSalesforce(clients, contact, tally);
  return tally.result({ salesforce: leads.length + people.length, hubspot: changed.length }, started);
}
