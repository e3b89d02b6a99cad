/**
 * The Salesforce adapter of `SalesforcePort` (ports.ts), on jsforce 3.10.16's `Connection`: REST
 * query/queryAll with `nextRecordsUrl` pages, sObject Collections for writes, describe, limits and
 * the identity URL. This file only checks the options and assembles the port from its parts.
 *
 * - `transport.ts`: the connection and session; every request counted (SPEC B1); what survives
 *   jsforce's retries throws `ConnectorError` (E2), scrubbed of every secret.
 * - `queries.ts` (the poll, reads by email and id, users, accounts, campaign memberships: F10, M1,
 *   F6, K1, K2), `writes.ts` (collections: B3, E1), `metadata.ts` (describe, identity, limits: F3,
 *   F9, B1); `soql.ts` and `to-canonical.ts` serve them all.
 *
 * Terms: the **port** is what the engine sees; **options** come from the options table
 * (`src/config/options.ts`).
 */
import type { SalesforcePort } from '../ports.ts';
import { SalesforceTransport } from './transport.ts';
import { openChangeStream } from './change-stream.ts';
import { OrgMetadata, describe, lastKnownLimits, limits } from './metadata.ts';
import {
  accounts,
  allCampaignMembers,
  byEmails,
  byIds,
  campaignMembers,
  changedSince,
  countCampaignMembers,
  countSince,
  users,
} from './queries.ts';
import { createRecords, deleteRecords, updateRecords } from './writes.ts';
import { bulkReads } from './bulk.ts';

export interface SalesforceConnectorOptions {
  /** Origin of the org (`https://acme.my.salesforce.com`, or the emulator's URL); no path. */
  readonly instanceUrl: string;
  /** A ready session. Without it, the connector gets one with OAuth client credentials. */
  readonly accessToken?: string;
  /** Where OAuth goes (`/services/oauth2/token`). Default: `instanceUrl` (client credentials needs My Domain). */
  readonly loginUrl?: string;
  /** The connected app's consumer key and secret: client credentials, and a new session on 401. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** REST API version. Default `60.0`. */
  readonly apiVersion?: string;
  /** Gives up on one request (retries included) after this long. Default 120,000 ms. */
  readonly timeoutMs?: number;
  /** Bulk API 2.0: between two status reads of a query job, in ms. Default 1,000 (jsforce's). */
  readonly bulkPollIntervalMs?: number;
  /** Bulk API 2.0: gives up on a query job not complete after this long, in ms. Default 600,000. */
  readonly bulkPollTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export function createSalesforceConnector(options: SalesforceConnectorOptions): SalesforcePort {
  const instanceUrl = options.instanceUrl.replace(/\/+$/, '');
  const { accessToken, clientId, clientSecret } = options;
  if (accessToken === undefined && (clientId === undefined || clientSecret === undefined)) {
    throw new TypeError('createSalesforceConnector needs an accessToken, or a clientId and clientSecret');
  }
  const transport = new SalesforceTransport({
    instanceUrl,
    loginUrl: (options.loginUrl ?? instanceUrl).replace(/\/+$/, ''),
    version: options.apiVersion ?? '60.0',
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    accessToken,
    clientId,
    clientSecret,
  });
  const metadata = new OrgMetadata(transport);

  return {
    get calls() {
      return transport.calls;
    },
    integrationUserId: () => metadata.integrationUserId(),
    describe: (object) => describe(metadata, object),
    countSince: (object, since) => countSince(transport, object, since),
    users: () => users(transport),
    changedSince: (object, since, fields, changeOptions = {}) =>
      changedSince(transport, metadata, object, since, fields, changeOptions),
    byEmails: (emails, fields) => byEmails(transport, metadata, emails, fields),
    byIds: (ids, fields) => byIds(transport, metadata, ids, fields),
    accounts: (ids) => accounts(transport, ids),
    campaignMembers: (ids) => campaignMembers(transport, ids),
    countCampaignMembers: () => countCampaignMembers(transport),
    allCampaignMembers: () => allCampaignMembers(transport),
    ...bulkReads(transport, metadata, options),
    create: (object, records) => createRecords(transport, object, records),
    update: (object, records) => updateRecords(transport, object, records),
    deleteRecords: (ids) => deleteRecords(transport, ids),
    limits: () => limits(transport),
    lastKnownLimits: () => lastKnownLimits(transport),
    openChangeStream: (streamOptions) => openChangeStream(transport, streamOptions),
  };
}
