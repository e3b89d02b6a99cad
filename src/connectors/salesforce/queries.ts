/**
 * Salesforce reads by SOQL: the change poll and its count (SPEC F10; B3: pages of 2,000), leads and
 * contacts by email (M1) or by id (D1, D3: deleted ones included), users (F6), accounts (K1) and
 * campaign memberships (K2).
 *
 * Terms: `query` leaves deleted records out, `queryAll` includes them; a result comes in **pages**
 * linked by `nextRecordsUrl` (docs/architecture.md, "Known gotchas": its locator must not contain
 * `/`). The poll orders by `SystemModstamp, Id` and reads `>=` its stamp (whole seconds). Ids are 15
 * or 18 characters and name their object by a **key prefix** (`00Q` lead, `003` contact, `001`
 * account); only ids of the right object go into a query.
 */
import type { SfPersonObject } from '../../core/model.ts';
import type { CampaignMembership, SfRecord, SfUser } from '../../core/records.ts';
import { ConnectorError, type SfAccount, type SfChange, type SfPosition } from '../ports.ts';
import { checkObject, inLists, isSalesforceId, selectList, soqlDateTime, soqlString } from './soql.ts';
import {
  str,
  toChange,
  toSfAccount,
  toSfRecord,
  toSfUser,
  type QueryResult,
  type RawRecord,
} from './to-canonical.ts';
import type { OrgMetadata } from './metadata.ts';
import type { SalesforceTransport } from './transport.ts';

/** B3: rows per query page (Salesforce's maximum and default). */
export const QUERY_PAGE_SIZE = 2000;
const PREFIX_OF: Readonly<Record<SfPersonObject, string>> = { Lead: '00Q', Contact: '003' };
/** Key prefix of Account ids (K1). */
const ACCOUNT_PREFIX = '001';

async function* queryPages(
  transport: SalesforceTransport,
  what: string,
  soql: string,
  all: boolean,
): AsyncGenerator<readonly RawRecord[]> {
  const resource = all ? 'queryAll' : 'query';
  let page = await transport.request<QueryResult>(what, {
    method: 'GET',
    url: `/services/data/v${transport.version}/${resource}?q=${encodeURIComponent(soql)}`,
  });
  if (page.records.length > 0) yield page.records;
  while (!page.done && page.nextRecordsUrl) {
    const next = page.nextRecordsUrl;
    if (!next.startsWith('/services/data/'))
      throw new ConnectorError('salesforce', 200, 'INVALID_QUERY_LOCATOR', `unexpected nextRecordsUrl`);
    page = await transport.request<QueryResult>(what, { method: 'GET', url: next });
    if (page.records.length > 0) yield page.records;
  }
}

async function queryAllRows(
  transport: SalesforceTransport,
  what: string,
  soql: string,
  all: boolean,
): Promise<RawRecord[]> {
  const rows: RawRecord[] = [];
  for await (const page of queryPages(transport, what, soql, all)) rows.push(...page);
  return rows;
}

/** `SELECT COUNT() …`: the total size alone. */
async function count(transport: SalesforceTransport, what: string, soql: string): Promise<number> {
  const answer = await transport.request<{ totalSize: number }>(what, {
    method: 'GET',
    url: `/services/data/v${transport.version}/query?q=${encodeURIComponent(soql)}`,
  });
  return answer.totalSize;
}

export async function* changedSince(
  transport: SalesforceTransport,
  metadata: OrgMetadata,
  object: SfPersonObject,
  since: number,
  fields: readonly string[],
  options: { readonly includeDeleted?: boolean; readonly after?: SfPosition },
): AsyncIterable<readonly SfChange[]> {
  checkObject(object);
  const own = await metadata.fieldsOf(object, fields);
  const select = selectList(object, own);
  const { after } = options;
  // Past a position: a later stamp, or the same stamp and a greater Id (the order's keyset).
  const past =
    after === undefined
      ? ''
      : ` AND (SystemModstamp > ${soqlDateTime(after.stamp)} OR (SystemModstamp = ${soqlDateTime(after.stamp)} AND Id > ${soqlString(after.id)}))`;
  const soql =
    `SELECT ${select.join(', ')} FROM ${object}` +
    ` WHERE SystemModstamp >= ${soqlDateTime(since)}${past} ORDER BY SystemModstamp ASC, Id ASC`;
  const all = options.includeDeleted === true;
  for await (const page of queryPages(transport, `changedSince ${object}`, soql, all)) {
    yield page.map((raw) => toChange(object, raw, own));
  }
}

export async function countSince(
  transport: SalesforceTransport,
  object: SfPersonObject,
  since: number,
): Promise<number> {
  checkObject(object);
  const soql = `SELECT COUNT() FROM ${object} WHERE SystemModstamp >= ${soqlDateTime(since)}`;
  return count(transport, `count ${object}`, soql);
}

export async function users(transport: SalesforceTransport): Promise<SfUser[]> {
  const rows = await queryAllRows(
    transport,
    'users',
    'SELECT Id, Email, IsActive FROM User ORDER BY Id',
    false,
  );
  return rows.map(toSfUser);
}

export async function byEmails(
  transport: SalesforceTransport,
  metadata: OrgMetadata,
  emails: readonly string[],
  fields: readonly string[],
): Promise<SfRecord[]> {
  const keys = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e !== ''))];
  const records: SfRecord[] = [];
  if (keys.length === 0) return records;
  for (const object of ['Lead', 'Contact'] as const) {
    const own = await metadata.fieldsOf(object, fields);
    const select = selectList(object, own).join(', ');
    for (const chunk of inLists(keys)) {
      const soql = `SELECT ${select} FROM ${object} WHERE Email IN ${chunk}`;
      for (const raw of await queryAllRows(transport, `byEmails ${object}`, soql, false))
        records.push(toSfRecord(object, raw, own));
    }
  }
  return records;
}

export async function byIds(
  transport: SalesforceTransport,
  metadata: OrgMetadata,
  ids: readonly string[],
  fields: readonly string[],
): Promise<SfRecord[]> {
  const records: SfRecord[] = [];
  for (const object of ['Lead', 'Contact'] as const) {
    const prefix = PREFIX_OF[object];
    const mine = [...new Set(ids.filter((id) => isSalesforceId(id) && id.startsWith(prefix)))];
    if (mine.length === 0) continue;
    const own = await metadata.fieldsOf(object, fields);
    const select = selectList(object, own).join(', ');
    for (const chunk of inLists(mine)) {
      const soql = `SELECT ${select} FROM ${object} WHERE Id IN ${chunk}`;
      for (const raw of await queryAllRows(transport, `byIds ${object}`, soql, true))
        records.push(toSfRecord(object, raw, own));
    }
  }
  return records;
}

export async function accounts(transport: SalesforceTransport, ids: readonly string[]): Promise<SfAccount[]> {
  // Only Account ids go into the query: Salesforce refuses the whole query for a literal that is
  // not an id (INVALID_QUERY_FILTER_OPERATOR), and an id of another object cannot be an account.
  const wanted = [...new Set(ids.filter((id) => isSalesforceId(id) && id.startsWith(ACCOUNT_PREFIX)))];
  const out: SfAccount[] = [];
  // A 15- and an 18-character form of one id find the same row: it comes back once.
  const seen = new Set<string>();
  for (const chunk of inLists(wanted)) {
    const soql = `SELECT Id, Name, Website FROM Account WHERE Id IN ${chunk}`;
    for (const raw of await queryAllRows(transport, 'accounts', soql, false)) {
      const account = toSfAccount(raw);
      if (seen.has(account.id)) continue;
      seen.add(account.id);
      out.push(account);
    }
  }
  return out;
}

export async function campaignMembers(
  transport: SalesforceTransport,
  ids: readonly string[],
): Promise<Map<string, CampaignMembership[]>> {
  const byId = new Map<string, CampaignMembership[]>();
  /** 15-character id → the ids asked for (15- or 18-character), to key results the caller's way. */
  const asked = new Map<string, string[]>();
  for (const id of ids) {
    if (!byId.has(id)) byId.set(id, []);
    if (!isSalesforceId(id)) continue;
    const short = id.slice(0, 15);
    const list = asked.get(short) ?? [];
    if (!list.includes(id)) list.push(id);
    asked.set(short, list);
  }
  const leadIds = [...asked.values()].flat().filter((id) => id.startsWith(PREFIX_OF.Lead));
  const contactIds = [...asked.values()].flat().filter((id) => id.startsWith(PREFIX_OF.Contact));
  const queries: string[] = [];
  for (const chunk of inLists(leadIds)) queries.push(`LeadId IN ${chunk}`);
  for (const chunk of inLists(contactIds)) queries.push(`ContactId IN ${chunk}`);
  const seen = new Set<string>();
  for (const where of queries) {
    const soql = `SELECT Id, CampaignId, LeadId, ContactId, IsDeleted FROM CampaignMember WHERE ${where}`;
    for (const raw of await queryAllRows(transport, 'campaignMembers', soql, true)) {
      const memberId = str(raw.Id);
      if (memberId !== null && seen.has(memberId)) continue;
      if (memberId !== null) seen.add(memberId);
      const campaignId = str(raw.CampaignId);
      if (campaignId === null) continue;
      const membership: CampaignMembership = { campaignId, isDeleted: raw.IsDeleted === true };
      for (const personId of [str(raw.LeadId), str(raw.ContactId)]) {
        if (personId === null) continue;
        for (const id of asked.get(personId.slice(0, 15)) ?? []) byId.get(id)!.push(membership);
      }
    }
  }
  return byId;
}

export function countCampaignMembers(transport: SalesforceTransport): Promise<number> {
  return count(transport, 'count campaign members', 'SELECT COUNT() FROM CampaignMember');
}

export async function allCampaignMembers(
  transport: SalesforceTransport,
): Promise<Map<string, CampaignMembership[]>> {
  const byId = new Map<string, CampaignMembership[]>();
  const add = membershipAdder(byId);
  const soql = 'SELECT Id, CampaignId, LeadId, ContactId FROM CampaignMember';
  for await (const page of queryPages(transport, 'campaignMembers', soql, false)) add(page);
  return byId;
}

/**
 * K2: a function that adds the live memberships of CampaignMember rows to `byId` (lead or contact id
 * → its campaigns), page after page. Issue 15: an org's memberships are many (a 1M-record org
 * ~250k) but its campaigns few, so the members of one campaign share one membership and, while they
 * have no other, one list: the map then costs a key and an entry per member. A member's second
 * membership gives it a list of its own. Lists in `byId` are not to be changed by their readers.
 */
export function membershipAdder(
  byId: Map<string, CampaignMembership[]>,
): (rows: Iterable<Readonly<Record<string, unknown>>>) => void {
  const shared = new Map<string, CampaignMembership[]>();
  return (rows) => {
    for (const raw of rows) {
      const campaignId = str(raw.CampaignId);
      if (campaignId === null) continue;
      let only = shared.get(campaignId);
      if (!only) shared.set(campaignId, (only = [{ campaignId, isDeleted: false }]));
      for (const personId of [str(raw.LeadId), str(raw.ContactId)]) {
        if (personId === null) continue;
        const list = byId.get(personId);
        if (!list) byId.set(personId, only);
        else if (shared.get(list[0]!.campaignId) === list) byId.set(personId, [...list, only[0]!]);
        else list.push(only[0]!);
      }
    }
  };
}
