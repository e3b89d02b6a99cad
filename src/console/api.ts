/**
 * The console's access to the JSON API: the typed client (`src/api/client.ts`) for transport and auth,
 * and every route of the contract (`src/api/contract.ts`) callable by its definition, its answer
 * parsed with the contract's schema. Nothing throws: a refusal, a network failure or an answer that
 * drifts from the contract all come back as `{ ok: false, error }`, and a 401 also calls
 * `onUnauthorized` (the app then asks for the API token).
 */
import { createApiClient, routeUrl, type ApiClient, type ApiResult } from '../api/client.ts';
import { ApiError, type RouteDef, type RouteInput, type RouteOutput } from '../api/contract.ts';

export type { ApiResult };
export type Failure = Extract<ApiResult<unknown>, { ok: false }>;

export interface ConsoleApiOptions {
  readonly token: string | undefined;
  /** The pair the pair-scoped routes concern; undefined: the `default` pair's routes. */
  readonly pair: string | undefined;
  readonly onUnauthorized: () => void;
}

type Input<R extends RouteDef> = Partial<RouteInput<R>>;

export interface ConsoleApi {
  readonly client: ApiClient;
  /** Calls one route of the contract with its inputs; the answer parsed with the route's schema. */
  call<R extends RouteDef>(route: R, input?: Input<R>): Promise<ApiResult<RouteOutput<R>>>;
  /** The route's path and query as the client sends them (for downloads). */
  pathOf<R extends RouteDef>(route: R, input?: Input<R>): string;
  /** A GET that answers text (the CSV export), as a Blob. */
  download(path: string): Promise<ApiResult<Blob>>;
}

const failure = (status: number, code: string, message: string, fix: string): Failure => ({
  ok: false,
  status,
  error: { code, message, fix },
});

async function refusal(response: Response): Promise<Failure> {
  const body: unknown = await response.json().catch(() => undefined);
  const parsed = ApiError.safeParse(body);
  if (parsed.success) return { ok: false, status: response.status, error: parsed.data.error };
  return failure(
    response.status,
    'unexpected_answer',
    `The API answered HTTP ${response.status} without an error in the contract's shape.`,
    'See the service log.',
  );
}

const unreachable = (error: unknown): Failure =>
  failure(
    0,
    'unreachable',
    `The console could not reach Crosswalk: ${(error as Error).message}.`,
    'Check that the service is running, then reload the page.',
  );

export function createConsoleApi(options: ConsoleApiOptions): ConsoleApi {
  const client = createApiClient({ baseUrl: '', token: options.token, pair: options.pair });

  const pathOf = <R extends RouteDef>(route: R, input: Input<R> = {}): string =>
    routeUrl(route, input, options.pair);

  const send = async (method: string, path: string, body?: unknown): Promise<Response | Failure> => {
    try {
      const response = await client.request(method, path, body === undefined ? {} : { body });
      if (response.status === 401) options.onUnauthorized();
      return response;
    } catch (error) {
      return unreachable(error);
    }
  };

  return {
    client,
    pathOf,
    async call<R extends RouteDef>(route: R, input: Input<R> = {}): Promise<ApiResult<RouteOutput<R>>> {
      const response = await send(route.method, pathOf(route, input), input.body);
      if (!(response instanceof Response)) return response;
      if (!response.ok) return refusal(response);
      const parsed = route.response.safeParse(await response.json().catch(() => undefined));
      if (parsed.success) return { ok: true, status: response.status, value: parsed.data as RouteOutput<R> };
      return failure(
        response.status,
        'contract_drift',
        `The answer of ${route.method} ${route.path} does not match the contract: ${parsed.error.issues[0]?.message ?? 'unknown shape'}.`,
        'The console and the service differ in version: reload the page, or update Crosswalk.',
      );
    },
    async download(path: string): Promise<ApiResult<Blob>> {
      const response = await send('GET', path);
      if (!(response instanceof Response)) return response;
      if (!response.ok) return refusal(response);
      return { ok: true, status: response.status, value: await response.blob() };
    },
  };
}
