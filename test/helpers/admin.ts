/** Calling an emulator's admin endpoints (`/__emulator/…`) from tests. */

/** Calls `method /__emulator{path}` on the emulator at `baseUrl` and returns its JSON; throws on non-2xx. */
export async function adminCall<T>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}/__emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`admin ${method} ${path} → ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}
