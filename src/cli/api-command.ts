/**
 * `crosswalk api`: the HTTP API and the HubSpot webhook receivers of every connection pair of a
 * PostgreSQL store, stateless (`src/server/pairs-backend.ts`): run as many replicas as you like behind
 * a load balancer, next to `crosswalk worker`s that do the syncing. Until SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { makeWorkerUtils } from 'graphile-worker';
import { loadReplicaApiConfig, optionLabel, options, rawOptions } from '../config/options.ts';
import { openStore } from '../store/open-store.ts';
import { pairQueues } from '../app/worker.ts';
import { startPairsApiServer } from '../server/http-api.ts';
import { pairsBackend } from '../app/api-backend.ts';
import { pairWebhookPath, WEBHOOK_PATH } from '../server/hubspot-webhooks.ts';
import {
  apiOptions,
  configProblems,
  connectionOptions,
  logOptions,
  UsageError,
  type OpenLog,
} from './sync-commands.ts';
import { defaultPairConfig, jobSchema, openProcessPool, poolSize } from './worker-command.ts';

export function registerApiCommand(
  program: Command,
  untilSignal: () => Promise<string>,
  openLog: OpenLog,
): void {
  logOptions(
    apiOptions(
      connectionOptions(
        program
          .command('api')
          .description(
            'Serve the HTTP API and the HubSpot webhook receivers of every connection pair of a PostgreSQL store, statelessly (run any number of replicas), until stopped.',
          ),
      ),
    ),
  )
    .option(
      '--pool-size <n>',
      'PostgreSQL connections this process opens at most, for every pair (default 4)',
      poolSize,
    )
    .action(async (flags: Record<string, unknown> & { poolSize?: number }) => {
      const raw = rawOptions(flags, process.env);
      if (raw.databaseUrl === undefined)
        throw new UsageError(
          `crosswalk api needs the PostgreSQL store the workers use: set ${optionLabel(options.databaseUrl)}. With the embedded SQLite store, run \`crosswalk start\` (it serves the API too).`,
        );
      const loaded = loadReplicaApiConfig(raw);
      if (!loaded.ok) throw configProblems(loaded.problems);
      const { api, windowMs, publicUrl } = loaded.config;
      const databaseUrl = raw.databaseUrl;
      const schema = jobSchema(process.env);
      const config = defaultPairConfig(flags);
      const log = openLog(flags);
      const pool = openProcessPool(databaseUrl, flags.poolSize ?? 4, (line) => log.error(line));
      try {
        const store = await openStore({ databaseUrl, dataDir: options.dataDir.default, pool });
        try {
          const utils = await makeWorkerUtils({ pgPool: pool, schema });
          try {
            // The queue's tables, if no worker made them yet: a delivery's job waits for the first one.
            await utils.migrate();
            const { backend, findWebhookPair } = pairsBackend({
              store,
              env: process.env,
              config,
              defaultWebhookSecret: api.webhooks?.clientSecret,
              databaseUrl,
              addJob: utils.addJob,
              windowMs,
              queues: () => pairQueues(pool, schema),
              now: Date.now,
              log: (line) => log.warn(line),
            });
            const server = await startPairsApiServer(backend, findWebhookPair, {
              ...api,
              publicUrl,
              log: (line) => log.error(line),
            }).catch((error: unknown) => {
              if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
              throw new UsageError(
                `cannot serve the HTTP API: port ${api.port} on ${api.host} is in use. Set ${optionLabel(options.apiPort)} to another port, or 0 for a free one.`,
              );
            });
            const base = publicUrl ?? server.url;
            log.info(
              { url: server.url },
              `HTTP API listening on ${server.url}  (every pair: ${server.url}/api/pairs/<pair>/…)`,
            );
            log.info({ url: `${server.url}/` }, `Console: open ${server.url}/ in a browser (every pair)`);
            log.info(
              `HubSpot webhooks: ${base}${pairWebhookPath('<pair>')}, or ${base}${WEBHOOK_PATH} with the pair found by its portal id`,
            );
            try {
              const signal = await untilSignal();
              log.info(`${signal}: stopping the API (the requests under way finish first)`);
            } finally {
              await server.close();
            }
          } finally {
            await utils.release();
          }
        } finally {
          await store.close();
        }
      } finally {
        await pool.end();
      }
    });
}
