/**
 * HubSpot lists: the members of a list (a segment, SPEC G1, G2), each with when it joined.
 *
 * Terms: a **membership** is a record id in a list and its `membershipTimestamp` (epoch ms here).
 */
import type { HubSpotTransport } from './transport.ts';

const MEMBERSHIPS_PAGE = 250;

export async function listMembers(transport: HubSpotTransport, listId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let after: string | undefined;
  do {
    const page = await transport.request('read of list memberships', () =>
      transport.api.memberships.getPage(listId, after, undefined, MEMBERSHIPS_PAGE, transport.callOptions),
    );
    for (const m of page.results) out.set(String(m.recordId), new Date(m.membershipTimestamp).getTime());
    after = page.paging?.next?.after;
  } while (after);
  return out;
}
