/**
 * HubSpot contacts by id or email: batch reads (SPEC B3, with property history for F9), upserts by
 * email (crash-safe creates), batch updates, and archive (D1).
 *
 * Terms: an **upsert** creates the contact or updates the one that has the email, so a retry after
 * a crash cannot create a duplicate. Results and per-input errors of a batch are matched back to its
 * inputs (by email, case-insensitively, or by id); an input HubSpot answered nothing for is a
 * `MISSING_RESULT` outcome. The batches of one call go out several at once (`writeWaves`,
 * `transport.inFlight`); outcomes and reads keep the inputs' order.
 */
import type { WriteOutcome } from '../ports.ts';
import type { HsContact } from '../../core/records.ts';
import { failureOutcome } from './failures.ts';
import { BATCH_MAX, chunks, lowerEmail, uniqueWaves, writeOne, writeWaves } from './batches.ts';
import { inFlight } from '../in-flight.ts';
import { toContact, withExtras } from './to-canonical.ts';
import type { HubSpotTransport } from './transport.ts';

/** Inputs per batch read that asks for property history (HubSpot's limit). */
const HISTORY_BATCH_MAX = 50;

type UpsertInput = { readonly email: string; readonly properties: Readonly<Record<string, string>> };
type UpdateInput = { readonly id: string; readonly properties: Readonly<Record<string, string>> };

/** Contacts by id, or by email with `idProperty` `email`; unknown ones are left out. */
export async function batchRead(
  transport: HubSpotTransport,
  ids: readonly string[],
  props: readonly string[],
  historyFor: readonly string[],
  idProperty: 'email' | undefined,
): Promise<HsContact[]> {
  const unique = [...new Set(ids.map((id) => (idProperty === 'email' ? lowerEmail(id) : id)))].filter(
    (id) => id !== '',
  );
  const history = [...new Set(historyFor)];
  const requested = withExtras([...props, ...history]);
  const size = history.length > 0 ? HISTORY_BATCH_MAX : BATCH_MAX;
  const responses = await inFlight(chunks(unique, size), transport.inFlight, (chunk) =>
    transport.request('batch read of contacts', () =>
      transport.api.contacts.batchApi.read(
        {
          inputs: chunk.map((id) => ({ id })),
          properties: requested,
          propertiesWithHistory: history,
          ...(idProperty ? { idProperty } : {}),
        },
        undefined,
        transport.callOptions,
      ),
    ),
  );
  const out: HsContact[] = [];
  const seen = new Set<string>();
  // 207 lists the unknown ids in `errors`: they are left out.
  for (const response of responses) {
    for (const object of response.results) {
      if (seen.has(object.id)) continue;
      seen.add(object.id);
      out.push(toContact(object, props, history));
    }
  }
  return out;
}

export async function upsertByEmail(
  transport: HubSpotTransport,
  inputs: readonly UpsertInput[],
): Promise<WriteOutcome[]> {
  return writeWaves(
    transport,
    'batch upsert of contacts',
    inputs,
    uniqueWaves(inputs, BATCH_MAX, (i) => lowerEmail(i.email)),
    (part) => upsertChunk(transport, part),
  );
}

export async function updateContacts(
  transport: HubSpotTransport,
  inputs: readonly UpdateInput[],
): Promise<WriteOutcome[]> {
  return writeWaves(
    transport,
    'batch update of contacts',
    inputs,
    uniqueWaves(inputs, BATCH_MAX, (i) => i.id),
    (part) => updateChunk(transport, part),
  );
}

export function archiveContact(transport: HubSpotTransport, id: string): Promise<WriteOutcome> {
  return writeOne(transport, 'archive of a contact', id, () =>
    transport.api.contacts.basicApi.archive(id, transport.callOptions),
  );
}

async function upsertChunk(
  transport: HubSpotTransport,
  inputs: readonly UpsertInput[],
): Promise<WriteOutcome[]> {
  const response = await transport.attempt('batch upsert of contacts', false, () =>
    transport.api.contacts.batchApi.upsert(
      {
        inputs: inputs.map((input) => ({
          id: input.email,
          idProperty: 'email',
          properties: { ...input.properties },
        })),
      },
      transport.callOptions,
    ),
  );
  const byEmail = new Map<string, WriteOutcome>();
  for (const result of response.results) {
    const email = result.properties.email;
    if (email) byEmail.set(lowerEmail(email), { ok: true, id: result.id });
  }
  const errors = 'errors' in response && Array.isArray(response.errors) ? response.errors : [];
  for (const error of errors) {
    const outcome = failureOutcome(error as unknown as Record<string, unknown>);
    for (const id of error.context?.ids ?? []) byEmail.set(lowerEmail(id), outcome);
  }
  return inputs.map(
    (input) =>
      byEmail.get(lowerEmail(input.email)) ?? {
        ok: false,
        code: 'MISSING_RESULT',
        message: `HubSpot answered no result for ${input.email}`,
        fields: [],
      },
  );
}

async function updateChunk(
  transport: HubSpotTransport,
  inputs: readonly UpdateInput[],
): Promise<WriteOutcome[]> {
  const response = await transport.attempt('batch update of contacts', false, () =>
    transport.api.contacts.batchApi.update(
      {
        inputs: inputs.map((input) => ({ id: input.id, properties: { ...input.properties } })),
      },
      transport.callOptions,
    ),
  );
  const byId = new Map<string, WriteOutcome>();
  for (const result of response.results) byId.set(result.id, { ok: true, id: result.id });
  const errors = 'errors' in response && Array.isArray(response.errors) ? response.errors : [];
  for (const error of errors) {
    const outcome = failureOutcome(error as unknown as Record<string, unknown>);
    for (const id of error.context?.ids ?? []) byId.set(id, outcome);
  }
  return inputs.map(
    (input) =>
      byId.get(input.id) ?? {
        ok: false,
        code: 'MISSING_RESULT',
        message: `HubSpot answered no result for contact ${input.id}`,
        fields: [],
      },
  );
}
