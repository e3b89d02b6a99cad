/**
 * HubSpot companies for account sync (SPEC K1): companies by `salesforceaccountid` (search) or by
 * id (batch read), batch creates, and each contact's primary company (associations v4).
 *
 * Terms: a company's **account id** is its `salesforceaccountid`. The **primary company** is the
 * contact → company association of the HUBSPOT_DEFINED type 1. A create is not **repeatable**: a
 * 5xx or a lost connection is not resent (HubSpot may have created the companies). Each create
 * input carries its index as `objectWriteTraceId`, so HubSpot answers per input (207).
 */
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/companies/index.js';
import type { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/associations/v4/index.js';
import type { WriteOutcome } from '../ports.ts';
import type { HsCompanyRef } from '../../core/records.ts';
import { ACCOUNT_ID_PROPERTY } from '../../core/accounts.ts';
import { failureOutcome } from './failures.ts';
import { BATCH_MAX, SEARCH_LIMIT, chunks, splitOnRefusal, writeOne } from './batches.ts';
import { COMPANY_PROPERTIES, ID_PROPERTY, toCompanyRef } from './to-canonical.ts';
import type { HubSpotTransport } from './transport.ts';

/** contact → company, primary (HUBSPOT_DEFINED). */
const PRIMARY_COMPANY_TYPE_ID = 1;
/**
 * Values in one search `IN` filter (K1). HubSpot documents no cap on `values`; 100 keeps a search the
 * size of a batch call (B3), and its results (one company per account, as a rule) within one page.
 */
const SEARCH_IN_MAX = 100;
/** Inputs per associations v4 batch read (HubSpot's limit since February 2025). */
const ASSOCIATION_READ_MAX = 1000;
const NUMERIC_ID = /^\d+$/;

type CompanyInput = {
  readonly name: string;
  readonly domain: string | null;
  readonly salesforceAccountId: string;
};

export async function companiesByAccountIds(
  transport: HubSpotTransport,
  accountIds: readonly string[],
): Promise<HsCompanyRef[]> {
  const wanted = new Set(accountIds.filter((id) => id !== ''));
  // HubSpot's IN on a string property wants lower-case values (it compares case-insensitively):
  // the exact match is checked here, on what comes back.
  const values = [...new Set([...wanted].map((id) => id.toLowerCase()))];
  const out: HsCompanyRef[] = [];
  const seen = new Set<string>();
  for (const chunk of chunks(values, SEARCH_IN_MAX)) {
    let after: string | undefined;
    do {
      const page = await companySearchPage(transport, chunk, after);
      for (const object of page.results) {
        const ref = toCompanyRef(object);
        if (ref.salesforceAccountId === null || !wanted.has(ref.salesforceAccountId)) continue;
        if (seen.has(ref.id)) continue;
        seen.add(ref.id);
        out.push(ref);
      }
      after = page.paging?.next?.after;
    } while (after !== undefined);
  }
  return out;
}

export async function companiesByIds(
  transport: HubSpotTransport,
  ids: readonly string[],
): Promise<HsCompanyRef[]> {
  // Company ids are numbers; anything else cannot name one.
  const unique = [...new Set(ids.filter((id) => NUMERIC_ID.test(id)))];
  const out: HsCompanyRef[] = [];
  const seen = new Set<string>();
  for (const chunk of chunks(unique, BATCH_MAX)) {
    const response = await transport.request('batch read of companies', () =>
      transport.api.companies.batchApi.read(
        {
          inputs: chunk.map((id) => ({ id })),
          properties: COMPANY_PROPERTIES,
          propertiesWithHistory: [],
        },
        undefined,
        transport.callOptions,
      ),
    );
    // 207 lists the unknown ids in `errors`: they are left out.
    for (const object of response.results) {
      if (seen.has(object.id)) continue;
      seen.add(object.id);
      out.push(toCompanyRef(object));
    }
  }
  return out;
}

export async function createCompanies(
  transport: HubSpotTransport,
  inputs: readonly CompanyInput[],
): Promise<WriteOutcome[]> {
  const write = (part: readonly CompanyInput[]) => createCompanyChunk(transport, part);
  const out: WriteOutcome[] = [];
  for (const chunk of chunks(inputs, BATCH_MAX)) {
    out.push(...(await splitOnRefusal('batch create of companies', chunk, write)));
  }
  return out;
}

export function setPrimaryCompany(
  transport: HubSpotTransport,
  contactId: string,
  companyId: string,
): Promise<WriteOutcome> {
  return writeOne(transport, 'primary company association', contactId, () =>
    transport.api.associations.create(
      'contacts',
      contactId,
      'companies',
      companyId,
      [
        {
          associationCategory: 'HUBSPOT_DEFINED' as AssociationSpecAssociationCategoryEnum,
          associationTypeId: PRIMARY_COMPANY_TYPE_ID,
        },
      ],
      transport.callOptions,
    ),
  );
}

export async function primaryCompanies(
  transport: HubSpotTransport,
  contactIds: readonly string[],
): Promise<Map<string, string>> {
  const primary = new Map<string, string>();
  let pending: { id: string; after?: string }[] = [
    ...new Set(contactIds.filter((id) => NUMERIC_ID.test(id))),
  ].map((id) => ({ id }));
  // A contact's companies come 500 a page: one with more, and no primary among the first 500,
  // is asked again from where its page ended.
  while (pending.length > 0) {
    const more: { id: string; after: string }[] = [];
    for (const chunk of chunks(pending, ASSOCIATION_READ_MAX)) {
      const response = await transport.request('batch read of contact → company associations', () =>
        transport.api.associationBatches.getPage(
          'contacts',
          'companies',
          { inputs: chunk },
          transport.callOptions,
        ),
      );
      // 207 lists the contacts without companies (and unknown ids) in `errors`: they are left out.
      for (const result of response.results) {
        const contactId = String(result._from.id);
        if (primary.has(contactId)) continue;
        const company = result.to.find((to) => to.associationTypes.some(isPrimaryType));
        if (company) primary.set(contactId, String(company.toObjectId));
        else if (result.paging?.next?.after) more.push({ id: contactId, after: result.paging.next.after });
      }
    }
    pending = more;
  }
  return primary;
}

/** Whether an association type is the primary company's (HUBSPOT_DEFINED, type 1). */
function isPrimaryType(t: { typeId: number; category: unknown }): boolean {
  return t.typeId === PRIMARY_COMPANY_TYPE_ID && String(t.category) === 'HUBSPOT_DEFINED';
}

/** One search page of companies whose `salesforceaccountid` is one of `values` (≤ 100). */
function companySearchPage(
  transport: HubSpotTransport,
  values: readonly string[],
  after: string | undefined,
) {
  return transport.request(
    'search of companies',
    () =>
      transport.api.companies.searchApi.doSearch(
        {
          filterGroups: [
            {
              filters: [
                {
                  propertyName: ACCOUNT_ID_PROPERTY,
                  operator: 'IN' as FilterOperatorEnum,
                  values: [...values],
                },
              ],
            },
          ],
          sorts: [ID_PROPERTY],
          properties: COMPANY_PROPERTIES,
          limit: SEARCH_LIMIT,
          ...(after === undefined ? {} : { after }),
        },
        transport.callOptions,
      ),
    true,
  );
}

/**
 * One batch create of ≤ 100 companies. Each input carries its own `objectWriteTraceId` (its index),
 * so HubSpot answers 207 with per-input errors instead of refusing the whole batch; results and
 * errors are matched back by it.
 */
async function createCompanyChunk(
  transport: HubSpotTransport,
  inputs: readonly CompanyInput[],
): Promise<WriteOutcome[]> {
  const response = await transport.attempt(
    'batch create of companies',
    false,
    () =>
      transport.api.companies.batchApi.create(
        {
          inputs: inputs.map((input, i) => ({
            properties: companyProperties(input),
            associations: [],
            objectWriteTraceId: String(i),
          })),
        },
        transport.callOptions,
      ),
    false,
  );
  const byTrace = new Map<string, WriteOutcome>();
  const untraced: { id: string; accountId: string | null | undefined }[] = [];
  for (const result of response.results) {
    if (result.objectWriteTraceId === undefined)
      untraced.push({ id: result.id, accountId: result.properties[ACCOUNT_ID_PROPERTY] });
    else byTrace.set(result.objectWriteTraceId, { ok: true, id: result.id });
  }
  const errors = 'errors' in response && Array.isArray(response.errors) ? response.errors : [];
  for (const error of errors) {
    const outcome = failureOutcome(error as unknown as Record<string, unknown>);
    for (const trace of error.context?.objectWriteTraceId ?? []) byTrace.set(trace, outcome);
  }
  // Should HubSpot not echo a trace id, the result is matched by its salesforceaccountid instead.
  for (const { id, accountId } of untraced) {
    const i = inputs.findIndex(
      (input, j) => !byTrace.has(String(j)) && input.salesforceAccountId === accountId,
    );
    if (i >= 0) byTrace.set(String(i), { ok: true, id });
  }
  return inputs.map(
    (input, i) =>
      byTrace.get(String(i)) ?? {
        ok: false,
        code: 'MISSING_RESULT',
        message: `HubSpot answered no result for the company of account ${input.salesforceAccountId}`,
        fields: [],
      },
  );
}

function companyProperties(input: CompanyInput): Record<string, string> {
  return {
    name: input.name,
    ...(input.domain === null || input.domain === '' ? {} : { domain: input.domain }),
    [ACCOUNT_ID_PROPERTY]: input.salesforceAccountId,
  };
}
