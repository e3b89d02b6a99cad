/**
 * The HubSpot change poll: contacts changed since a stamp, oldest first, a page at a time, through
 * contacts search (SPEC F10: a poll reads up to its start; B3: pages of 200; B2: search is paced
 * to its own per-second limit by the transport).
 *
 * Terms: the **stamp** is `lastmodifieddate` (epoch ms). **Keyset paging**: each page is a fresh
 * search from the last stamp seen, never an offset (docs/architecture.md, "Known gotchas": "Never
 * page a poll by offset"); contacts of the last instant already yielded are remembered and skipped
 * when the next search meets them again. A whole page at one **instant** is paged through by id.
 */
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import type { HsChange } from '../ports.ts';
import { SEARCH_LIMIT } from './batches.ts';
import { ID_PROPERTY, STAMP_PROPERTY, stampOf, toContact, withExtras } from './to-canonical.ts';
import type { HubSpotTransport } from './transport.ts';

/** One page of a contacts search: `filters` ANDed, ascending by `sortBy`. */
function searchPage(
  transport: HubSpotTransport,
  filters: readonly { propertyName: string; operator: string; value: string }[],
  sortBy: string,
  requested: string[],
) {
  return transport.request(
    'search of contacts',
    () =>
      transport.api.contacts.searchApi.doSearch(
        {
          filterGroups: [
            { filters: filters.map((f) => ({ ...f, operator: f.operator as FilterOperatorEnum })) },
          ],
          sorts: [sortBy],
          properties: requested,
          limit: SEARCH_LIMIT,
        },
        transport.callOptions,
      ),
    true,
  );
}

/**
 * Contacts changed since `since`, oldest first, a page at a time. Each page is a fresh search from
 * the last stamp seen (keyset paging), never an offset: the engine writes to a page's contacts
 * before it asks for the next page, and a write moves a contact to the end of the order, so an
 * offset would skip as many contacts as it wrote. With `until`, the engine's own writes during the
 * poll wait for the next one (where it recognises them: F10); without it they come back at the
 * end of this poll. More than a page of contacts sharing one
 * instant are paged by id within it; no search goes past the first page, so the 10,000-result cap
 * never applies.
 */
export async function* changedSince(
  transport: HubSpotTransport,
  since: number,
  props: readonly string[],
  until?: number,
): AsyncIterable<readonly HsChange[]> {
  const requested = withExtras(props);
  const upTo =
    until === undefined ? [] : [{ propertyName: STAMP_PROPERTY, operator: 'LTE', value: String(until) }];
  let from = since;
  /** Ids already yielded whose stamp is `from`: the next search from `from` meets them again. */
  let seenAtFrom = new Set<string>();
  for (;;) {
    const page = await searchPage(
      transport,
      [{ propertyName: STAMP_PROPERTY, operator: 'GTE', value: String(from) }, ...upTo],
      STAMP_PROPERTY,
      requested,
    );
    const batch: HsChange[] = [];
    let last = from;
    let seenAtLast = seenAtFrom;
    for (const object of page.results) {
      const stamp = stampOf(object, from);
      if (stamp === from && seenAtFrom.has(object.id)) continue;
      if (stamp > last) {
        last = stamp;
        seenAtLast = new Set();
      } else if (seenAtLast === seenAtFrom) seenAtLast = new Set(seenAtFrom);
      seenAtLast.add(object.id);
      batch.push({ contact: toContact(object, props, [], true), stamp });
    }
    if (batch.length > 0) yield batch;
    if (page.results.length < SEARCH_LIMIT) return;
    if (page.results.every((object) => stampOf(object, from) === last)) {
      // A whole page at one instant: more contacts share it than a page holds. Page through it by id.
      yield* sameInstant(transport, last, seenAtLast, requested, props);
      from = last + 1;
      seenAtFrom = new Set();
    } else {
      from = last;
      seenAtFrom = seenAtLast;
    }
  }
}

/** The contacts stamped exactly `stamp`, by id (the keyset within one instant), less those seen. */
async function* sameInstant(
  transport: HubSpotTransport,
  stamp: number,
  seen: ReadonlySet<string>,
  requested: string[],
  props: readonly string[],
): AsyncIterable<readonly HsChange[]> {
  let afterId = '0';
  for (;;) {
    const page = await searchPage(
      transport,
      [
        { propertyName: STAMP_PROPERTY, operator: 'EQ', value: String(stamp) },
        { propertyName: ID_PROPERTY, operator: 'GT', value: afterId },
      ],
      ID_PROPERTY,
      requested,
    );
    const batch = page.results
      .filter((object) => !seen.has(object.id))
      .map((object) => ({ contact: toContact(object, props, [], true), stamp }));
    if (batch.length > 0) yield batch;
    if (page.results.length < SEARCH_LIMIT) return;
    afterId = page.results[page.results.length - 1]!.id;
  }
}
