/**
 * Serving a running service: its HTTP API (and webhook receiver) next to its loop, for `crosswalk
 * start` and the demo, until a signal.
 */
import { isLoopback, optionLabel, options, type ApiConfig } from '../config/options.ts';
import type { Service } from '../app/service.ts';
import { startApiServer } from '../server/http-api.ts';
import { UsageError } from './sync-commands.ts';

type Out = (line: string) => void;

/**
 * Starts the HTTP API for a running service and says where it listens; `stop` closes it. The sync
 * commands' `start` and the demo both serve the API through here.
 */
export async function serveApi(
  service: Service,
  api: ApiConfig,
  out: Out,
  /** `local`: the webhooks come from the local emulator (the demo), so no reachability hint. */
  webhookSender: 'hubspot' | 'local' = 'hubspot',
): Promise<{ readonly url: string; readonly webhookUrl: string | undefined; stop(): Promise<void> }> {
  const server = await startApiServer(service, { ...api, log: out }).catch((error: unknown) => {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    throw new UsageError(
      `cannot serve the HTTP API: port ${api.port} on ${api.host} is in use. Set ${optionLabel(options.apiPort)} to another port, or 0 for a free one.`,
    );
  });
  out(`HTTP API listening on ${server.url}  (try: curl ${server.url}/api/health)`);
  const webhooks = server.webhooks;
  if (webhooks !== undefined && api.webhooks !== undefined) {
    out(
      `HubSpot webhooks: receiving at ${webhooks.url}  (signed with the app's client secret; a change waits up to ${api.webhooks.windowMs} ms for companions)`,
    );
    if (webhookSender === 'hubspot' && api.webhooks.publicUrl === undefined && isLoopback(api.host))
      out(
        `  HubSpot cannot reach ${api.host}: give HubSpot the public address of this receiver, and set ${optionLabel(options.publicUrl)} to its base URL.`,
      );
  }
  return { url: server.url, webhookUrl: webhooks?.url, stop: () => server.close() };
}

/** Runs the HTTP API and the service's loop until a signal, then stops both (the API first). */
export async function runService(
  service: Service,
  run: { readonly intervalMs: number; readonly api: ApiConfig },
  out: Out,
  untilSignal: () => Promise<string>,
): Promise<void> {
  let api: { stop(): Promise<void> } | undefined;
  try {
    api = await serveApi(service, run.api, out);
    service.start(run.intervalMs, (error) => out(`sync cycle failed: ${(error as Error).message}`));
    const signal = await untilSignal();
    out(`${signal}: stopping the sync`);
  } finally {
    await api?.stop();
    await service.stop();
  }
}
