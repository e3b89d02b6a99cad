/**
 * A typed client of the HTTP API (global fetch), for the tests and the dashboard. Every answer is
 * parsed with the contract's schema, so an answer that drifts from the contract throws. A refused
 * request is a value: `{ ok: false, status, error }`.
 */
import type { z } from 'zod';
import { ApiError, pairPath, routes, type RouteDef, type RouteInput, type RouteOutput } from './contract.ts';
import type { SyncRule } from '../core/model.ts';
import type { ValueMap } from '../core/value-maps.ts';
import type { ErrorCategory } from '../core/errors.ts';
import type { SettingKey } from '../config/settings.ts';
import type { PreviewBody } from './preview-contract.ts';

/** The error log's filters and page (`GET /api/errors`). */
export type ErrorQuery = Omit<RouteInput<typeof routes.listErrors>['query'], 'format'> & {
  readonly category?: ErrorCategory;
};

export type ApiResult<T> =
  | { readonly ok: true; readonly status: number; readonly value: T }
  | { readonly ok: false; readonly status: number; readonly error: ApiError };

export interface ApiClientOptions {
  /** Where the API listens, e.g. `http://127.0.0.1:8710`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when given. */
  readonly token?: string | undefined;
  /**
   * The connection pair the pair-scoped calls concern (`/api/pairs/<pair>/…`); without it they use
   * the routes of the `default` pair (`/api/settings`, …).
   */
  readonly pair?: string | undefined;
}

type Call<R extends RouteDef> = Partial<RouteInput<R>> & { readonly headers?: Record<string, string> };

function pathOf(route: RouteDef, params: unknown, pair: string | undefined): string {
  const values: Record<string, string> = {
    ...(params as Record<string, string> | undefined),
    ...(pair === undefined ? {} : { pair }),
  };
  const path = route.pairScoped && pair !== undefined ? pairPath(route) : route.path;
  return path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}

/** The query string of `query` (with its `?`): values left undefined or empty are left out. */
function queryOf(query: unknown): string {
  const defined = Object.entries(
    (query ?? {}) as Record<string, string | number | boolean | undefined>,
  ).flatMap(([key, value]): [string, string][] =>
    value === undefined || value === '' ? [] : [[key, String(value)]],
  );
  return defined.length === 0 ? '' : `?${new URLSearchParams(defined).toString()}`;
}

/** Where a route is called with these inputs, for `pair` (the `default` pair's paths without one): path and query. */
export function routeUrl<R extends RouteDef>(
  route: R,
  input: Partial<RouteInput<R>>,
  pair: string | undefined,
): string {
  return pathOf(route, input.params, pair) + queryOf(input.query);
}

export function createApiClient(options: ApiClientOptions) {
  const auth: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };

  /** Any request, unparsed: for what the typed calls cannot send (bad bodies, other headers). */
  function request(
    method: string,
    path: string,
    init: { readonly body?: unknown; readonly headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const json = init.body === undefined ? {} : { 'content-type': 'application/json' };
    return fetch(`${options.baseUrl}${path}`, {
      method,
      headers: { ...auth, ...json, ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  }

  async function parsed<T extends z.ZodType>(response: Response, schema: T): Promise<ApiResult<z.output<T>>> {
    const body: unknown = await response.json();
    if (response.ok) return { ok: true, status: response.status, value: schema.parse(body) };
    return { ok: false, status: response.status, error: ApiError.parse(body).error };
  }

  async function call<R extends RouteDef>(route: R, input: Call<R> = {}): Promise<ApiResult<RouteOutput<R>>> {
    const path = routeUrl(route, input, options.pair);
    const response = await request(route.method, path, {
      body: input.body,
      ...(input.headers ? { headers: input.headers } : {}),
    });
    return parsed(response, route.response as R['response']);
  }

  return {
    request,
    health: () => call(routes.health),
    settings: () => call(routes.listSettings),
    setting: (key: SettingKey) => call(routes.getSetting, { params: { key } }),
    setSetting: (key: SettingKey, value: unknown) =>
      call(routes.setSetting, { params: { key }, body: { value } }),
    mappings: () => call(routes.listMappings),
    addMapping: (body: { hsProperty: string; sfField: string; rule?: SyncRule }) =>
      call(routes.addMapping, { body }),
    setMappingRule: (hsProperty: string, rule: SyncRule) =>
      call(routes.setMappingRule, { params: { hsProperty }, body: { rule } }),
    valueMap: (hsProperty: string) => call(routes.getValueMap, { params: { hsProperty } }),
    putValueMap: (hsProperty: string, map: ValueMap | null) =>
      call(routes.putValueMap, { params: { hsProperty }, body: { map } }),
    suggestValueMap: (hsProperty: string) => call(routes.suggestValueMap, { params: { hsProperty } }),
    /** U1: what a change would do, previewed; nothing is written. */
    preview: (body: PreviewBody, options: { readonly exact?: boolean } = {}) =>
      call(routes.preview, { body, query: options.exact ? { exact: 'true' as const } : {} }),
    removeMapping: (hsProperty: string) => call(routes.removeMapping, { params: { hsProperty } }),
    errors: (query: ErrorQuery = {}) => call(routes.listErrors, { query }),
    /** The errors as CSV text (`format=csv`), or the refusal. */
    async errorsCsv(query: ErrorQuery = {}): Promise<ApiResult<string>> {
      const path = pathOf(routes.listErrors, {}, options.pair);
      const response = await request('GET', path + queryOf({ ...query, format: 'csv' }));
      if (response.ok) return { ok: true, status: response.status, value: await response.text() };
      return parsed(response, routes.listErrors.response) as Promise<ApiResult<never>>;
    },
    explain: (contact: { email: string } | { hsContactId: string }) =>
      call(routes.explain, { query: contact }),
    usage: () => call(routes.usage),
    listPairs: () => call(routes.listPairs),
    status: () => call(routes.status),
    resync: (target: { email: string } | { hsContactId: string } | { segmentId: string }) =>
      call(routes.resync, { body: target }),
    resyncErrors: (records: readonly string[]) =>
      call(routes.resyncErrors, { body: { records: [...records] } }),
    overview: () => call(routes.overview),
    series: (window: '1h' | '24h' | '7d') => call(routes.series, { query: { window } }),
    pause: (reason?: string) => call(routes.pause, { body: reason === undefined ? {} : { reason } }),
    resume: () => call(routes.resume),
    runs: (query: RouteInput<typeof routes.listRuns>['query'] = {}) => call(routes.listRuns, { query }),
    run: (runId: string, query: RouteInput<typeof routes.getRun>['query'] = {}) =>
      call(routes.getRun, { params: { runId }, query }),
    /** U2: undoes a run (or, with `preview`, reports what the undo would do). */
    undoRun: (runId: string, options: { preview?: boolean; includeCreates?: boolean } = {}) =>
      call(routes.undoRun, { params: { runId }, body: options }),
    contact: (key: { email: string } | { hsContactId: string } | { sfId: string }) =>
      call(routes.contact, { query: key }),
    mappingStatus: () => call(routes.mappingStatus),
    segment: () => call(routes.segment),
    startImport: (objects?: readonly ('Lead' | 'Contact')[]) =>
      call(routes.startImport, { body: objects === undefined ? {} : { objects: [...objects] } }),
    currentImport: () => call(routes.currentImport),
    alerts: () => call(routes.listAlerts),
    /** U3: adds an alert (as declared: `config/alert-channels.ts`). */
    addAlert: (alert: Record<string, unknown>) => call(routes.addAlert, { body: alert }),
    removeAlert: (id: string) => call(routes.removeAlert, { params: { id } }),
    testAlert: (id: string) => call(routes.testAlert, { params: { id } }),
    alertNotices: (query: { alert?: string; limit?: number } = {}) => call(routes.alertNotices, { query }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
