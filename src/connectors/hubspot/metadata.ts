/**
 * HubSpot metadata: contact property definitions (SPEC F2, F8) and owners with their emails (F6),
 * read through the connector's transport.
 *
 * Terms: an **owner** is a HubSpot user a contact can be assigned to; archived owners are read too
 * (`archived` says which).
 */
import type { HsProperty } from '../../core/model.ts';
import type { HsOwner } from '../../core/records.ts';
import { toHsOwner, toHsProperty } from './to-canonical.ts';
import type { HubSpotTransport } from './transport.ts';

const OWNERS_PAGE = 500;

export async function readProperties(transport: HubSpotTransport): Promise<HsProperty[]> {
  const response = await transport.request('read of contact properties', () =>
    transport.api.properties.getAll('contacts', undefined, undefined, transport.callOptions),
  );
  return response.results.map(toHsProperty);
}

export async function readOwners(transport: HubSpotTransport): Promise<HsOwner[]> {
  const out: HsOwner[] = [];
  for (const archived of [false, true]) {
    let after: string | undefined;
    do {
      const page = await transport.request('read of owners', () =>
        transport.api.owners.getPage(undefined, after, OWNERS_PAGE, archived, transport.callOptions),
      );
      for (const o of page.results) out.push(toHsOwner(o));
      after = page.paging?.next?.after;
    } while (after);
  }
  return out;
}
