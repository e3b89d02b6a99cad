/**
 * Serving a running service: its HTTP API (and webhook receiver) next to its loop, for `crosswalk
 * start` and the demo, until a signal.
 */
import { isLoopback, optionLabel, options, type ApiConfig } from '../config/options.ts';
import type { Service } from '../app/service.ts';
import type { Logger, RunLog } from '../app/log.ts';
import { startApiServer } from '../server/http-api.ts';
import { UsageError } from './sync-commands.ts';

/**
 * Starts the HTTP API for a running service and says where it listens (in `log`, with failures it
 * cannot answer); `stop` closes it. The sync commands' `start` and the demo both serve the API
 * through here.
 */
export async function serveApi(
  service: Service,
  api: ApiConfig,
  log: Logger,
  /** `local`: the webhooks come from the local emulator (the demo), so no reachability hint. */
  webhookSender: 'hubspot' | 'local' = 'hubspot',
): Promise<{ readonly url: string; readonly webhookUrl: string | undefined; stop(): Promise<void> }> {
  const server = await startApiServer(service, { ...api, log: (line) => log.error(line) }).catch(
    (error: unknown) => {
      if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
      throw new UsageError(
        `cannot serve the HTTP API: port ${api.port} on ${api.host} is in use. Set ${optionLabel(options.apiPort)} to another port, or 0 for a free one.`,
      );
    },
  );
  log.info({ url: server.url }, `HTTP API listening on ${server.url}  (try: curl ${server.url}/api/health)`);
  log.info({ url: `${server.url}/` }, `Console: open ${server.url}/ in a browser`);
  const webhooks = server.webhooks;
  if (webhooks !== undefined && api.webhooks !== undefined) {
    log.info(
      { url: webhooks.url },
      `HubSpot webhooks: receiving at ${webhooks.url}  (signed with the app's client secret; a change waits up to ${api.webhooks.windowMs} ms for companions)`,
    );
    if (webhookSender === 'hubspot' && api.webhooks.publicUrl === undefined && isLoopback(api.host))
      log.warn(
        `  HubSpot cannot reach ${api.host}: give HubSpot the public address of this receiver, and set ${optionLabel(options.publicUrl)} to its base URL.`,
      );
  }
  return { url: server.url, webhookUrl: webhooks?.url, stop: () => server.close() };
}

/**
 * Runs the HTTP API and the service's loop until a signal, then stops both (the API first). `runs`
 * follows the service's runs: a cycle that fails is logged with its run's id.
 */
export async function runService(
  service: Service,
  run: { readonly intervalMs: number; readonly api: ApiConfig },
  logs: { readonly log: Logger; readonly runs: RunLog },
  untilSignal: () => Promise<string>,
): Promise<void> {
  const { log, runs } = logs;
  let api: { stop(): Promise<void> } | undefined;
  try {
    api = await serveApi(service, run.api, log);
    service.start(
      run.intervalMs,
      (error) => runs.log.error(`sync cycle failed: ${(error as Error).message}`),
      { log: (line) => log.warn(line) },
    );
    const signal = await untilSignal();
    log.info(`${signal}: stopping the sync`);
  } finally {
    await api?.stop();
    await service.stop();
  }
}
