/**
 * Counts the HTTP requests this process sends to the emulators, by kind, from Node's own
 * `http.client.request.start` diagnostics channel (jsforce and @hubspot/api-client both send through
 * node-fetch, that is through `node:http`). Admin requests (`/__emulator/…`) are left out. Used for
 * the breakdown of where a benchmark's calls go; the totals are the connectors' own exact counts.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface CallTally {
  /** Requests by label and system, then kind: `cycle 1|salesforce` → `query: Lead by Email` → 12. */
  readonly counts: Map<string, Map<string, number>>;
  /** The label the next requests are counted under (e.g. the cycle and the part of it under way). */
  label: string;
  stop(): void;
}

/** Starts counting the requests sent to these origins (`http://127.0.0.1:port`), by system. */
export function tallyCalls(systems: Readonly<Record<string, string>>): CallTally {
  const byPort = new Map(Object.entries(systems).map(([name, url]) => [new URL(url).port, name]));
  const tally: CallTally = {
    counts: new Map(),
    label: '',
    stop: () => diagnostics.unsubscribe('http.client.request.start', listener),
  };
  const listener = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const host = request.getHeader('host');
    const system = byPort.get(typeof host === 'string' ? (host.split(':')[1] ?? '') : '');
    if (!system || request.path.startsWith('/__emulator/')) return;
    const kind = system === 'salesforce' ? salesforceKind(request) : hubspotKind(request);
    const key = `${tally.label}|${system}`;
    const counts = tally.counts.get(key) ?? new Map<string, number>();
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    tally.counts.set(key, counts);
  };
  diagnostics.subscribe('http.client.request.start', listener);
  return tally;
}

/** The counts of one system under the labels that `select` accepts, added up. */
export function countsOf(
  tally: CallTally,
  system: string,
  select: (label: string) => boolean = () => true,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, counts] of tally.counts) {
    const [label, of] = key.split('|') as [string, string];
    if (of !== system || !select(label)) continue;
    for (const [kind, n] of counts) out.set(kind, (out.get(kind) ?? 0) + n);
  }
  return out;
}

/** A Salesforce request's kind: the object and the first filter of a query, or the REST resource. */
function salesforceKind(request: ClientRequest): string {
  const url = new URL(request.path, 'http://x');
  const rest = url.pathname.replace(/^\/services\/data\/v[\d.]+/, '');
  if (/^\/query(All)?\/[^/]+$/.test(rest)) return 'query: next page (queryMore)';
  if (/^\/query(All)?\/?$/.test(rest)) {
    const soql = url.searchParams.get('q') ?? '';
    const from = /\bFROM\s+(\w+)/i.exec(soql)?.[1] ?? '?';
    if (/^SELECT\s+COUNT\(\)/i.test(soql)) return `query: COUNT() of ${from}`;
    const where = /\bWHERE\s+\(?\s*(\w+)/i.exec(soql)?.[1];
    return `query: ${from}${where ? ` by ${where}` : ''}`;
  }
  if (rest.startsWith('/composite/sobjects')) return `collections ${request.method}`;
  return `${request.method} ${rest.replace(/\/[a-zA-Z0-9]{15,18}(?=\/|$)/g, '/{id}')}`;
}

/** A HubSpot request's kind: method and path, ids and emails replaced. */
function hubspotKind(request: ClientRequest): string {
  return hubspotRequestKind(request.method, request.path);
}

/** The kind of a HubSpot request by method and path (query string ignored): `POST /crm/v3/objects/contacts/batch/upsert`. */
export function hubspotRequestKind(method: string, path: string): string {
  const bare = new URL(path, 'http://x').pathname
    .replace(/\/\d+(?=\/|$)/g, '/{id}')
    .replace(/\/statuses\/[^/]*@[^/]*/g, '/statuses/{email}');
  return `${method} ${bare}`;
}

/** `12 query: Lead by SystemModstamp, 3 …`, largest first. */
export function describeTally(tally: ReadonlyMap<string, number>): string {
  return [...tally.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
}

export function totalOf(tally: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of tally.values()) total += n;
  return total;
}
