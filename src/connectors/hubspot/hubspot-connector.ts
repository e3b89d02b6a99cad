/**
 * The HubSpot adapter of `HubSpotPort` (ports.ts), on @hubspot/api-client 13.5.0. This file only
 * assembles the port from its parts; one transport is made per connector and every part uses it.
 *
 * - `transport.ts`: the client; every request counted (SPEC B1), paced (B2, `pacer.ts`) and retried
 *   (E2); what survives throws `ConnectorError` (`failures.ts`). The access token never goes into
 *   an error message.
 * - `metadata.ts` (properties, owners: F2, F6, F8), `contact-changes.ts` (the poll: F10),
 *   `contacts.ts` (batch reads, upserts, updates, archive: B3, D1), `commprefs.ts` (O1),
 *   `lists.ts` (G1, G2), `companies.ts` (K1); `batches.ts` and `to-canonical.ts` serve them all.
 *
 * Terms: the **port** is what the engine sees; **options** come from the options table
 * (`src/config/options.ts`), which holds their defaults.
 */
import type { HubSpotPort } from '../ports.ts';
import { HubSpotTransport } from './transport.ts';
import { DEFAULT_IN_FLIGHT } from '../in-flight.ts';
import { readOwners, readProperties } from './metadata.ts';
import { changedSince } from './contact-changes.ts';
import { archiveContact, batchRead, updateContacts, upsertByEmail } from './contacts.ts';
import { CommunicationPreferences } from './commprefs.ts';
import { listMembers } from './lists.ts';
import {
  companiesByAccountIds,
  companiesByIds,
  createCompanies,
  primaryCompanies,
  setPrimaryCompany,
} from './companies.ts';

export interface HubSpotConnectorOptions {
  readonly accessToken: string;
  /** Where the API is (`https://api.hubapi.com`, or the emulator's URL). */
  readonly baseUrl: string;
  /** The clock, epoch ms (pacing). Default `Date.now`. */
  readonly now?: () => number;
  /** Waiting (pacing, retries). Default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Requests one call may have in flight at once: the batches of a write or read of many records
   * (issue 15). The pacer still books every request in the rolling window before it leaves (B2), so
   * this changes how fast the budget is spent, never how much. Default 4; 1 sends one by one.
   */
  readonly inFlight?: number;
}

const timer = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createHubSpotConnector(options: HubSpotConnectorOptions): HubSpotPort {
  const transport = new HubSpotTransport({
    accessToken: options.accessToken,
    baseUrl: options.baseUrl,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? timer,
    inFlight: options.inFlight ?? DEFAULT_IN_FLIGHT,
  });
  const commprefs = new CommunicationPreferences(transport);

  return {
    get calls() {
      return transport.calls;
    },
    get throttled() {
      return transport.throttled;
    },
    properties: () => readProperties(transport),
    owners: () => readOwners(transport),
    changedSince: (since, props, until) => changedSince(transport, since, props, until),
    byIds: (ids, props, historyFor = []) => batchRead(transport, ids, props, historyFor, undefined),
    byEmails: (emails, props, historyFor = []) => batchRead(transport, emails, props, historyFor, 'email'),
    upsertByEmail: (inputs) => upsertByEmail(transport, inputs),
    update: (inputs) => updateContacts(transport, inputs),
    unsubscribeAll: (email) => commprefs.unsubscribeAll(email),
    unsubscribeAllMany: (emails) => commprefs.unsubscribeAllMany(emails),
    archive: (id) => archiveContact(transport, id),
    listMembers: (listId) => listMembers(transport, listId),
    setPrimaryCompany: (contactId, companyId) => setPrimaryCompany(transport, contactId, companyId),
    companiesByAccountIds: (accountIds) => companiesByAccountIds(transport, accountIds),
    companiesByIds: (ids) => companiesByIds(transport, ids),
    createCompanies: (inputs) => createCompanies(transport, inputs),
    primaryCompanies: (contactIds) => primaryCompanies(transport, contactIds),
  };
}
