/**
 * The `crosswalk` command line. Thin: each command parses its flags and calls into the product.
 */
import { Command, InvalidArgumentError } from 'commander';
import { startSalesforceEmulator } from '../emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../emulators/hubspot/server.ts';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { openService, SAFETY_NET_POLL_MS } from '../app/service.ts';
import { options, type ApiConfig } from '../config/options.ts';
import { DEFAULT_PAIR } from '../core/pairs.ts';
import {
  apiConfigFrom,
  apiOptions,
  eventLogger,
  logOpener,
  logOptions,
  registerSyncCommands,
} from './sync-commands.ts';
import { SHOWN, type LogDestination, type Logger } from '../app/log.ts';
import { serveApi } from './serve.ts';
import { registerPairCommands } from './pair-commands.ts';
import { registerValueMapCommand } from './value-map-commands.ts';
import { registerConsoleCommands, registerMappingsCheck } from './console-commands.ts';
import { registerWorkerCommand } from './worker-command.ts';
import { registerApiCommand } from './api-command.ts';
import { registerAlertCommands } from './alert-commands.ts';
import { registerUndoCommand } from './undo-command.ts';

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${value}"`);
    return n;
  };
}

/** Resolves when the process is asked to stop (SIGINT or SIGTERM). */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

interface SalesforceFlags {
  port: number;
  seed: number;
  datasetSeed: number;
  apiLimit: number;
  latencyMs: number;
  clientId: string;
  clientSecret: string;
  /** Commander's `--no-change-events`: false when given. */
  changeEvents?: boolean;
}

interface BothFlags {
  salesforcePort: number;
  hubspotPort: number;
  seed: number;
  datasetSeed: number;
  latencyMs: number;
}

interface HubSpotFlags {
  port: number;
  seed: number;
  datasetSeed: number;
  accessToken: string;
  burstLimit: number;
  dailyLimit: number;
  latencyMs: number;
  searchLagMs: number;
}

interface Running {
  readonly name: string;
  readonly url: string;
  readonly accessToken: string;
  close(): Promise<void>;
}

async function startSalesforce(flags: SalesforceFlags, out: (line: string) => void): Promise<Running> {
  const emulator = await startSalesforceEmulator({
    port: flags.port,
    seedCount: flags.seed,
    seed: flags.datasetSeed,
    apiLimit: flags.apiLimit,
    latencyMs: flags.latencyMs,
    clientId: flags.clientId,
    clientSecret: flags.clientSecret,
    ...(flags.changeEvents === false ? { changeEvents: [] } : {}),
  });
  const counts = ['Lead', 'Contact', 'Account', 'Campaign', 'CampaignMember']
    .map((o) => `${emulator.org.count(o)} ${o}`)
    .join(', ');
  out(`Salesforce emulator listening on ${emulator.url}`);
  out(`  records:      ${counts}`);
  out(`  instance URL: ${emulator.url}   login URL: ${emulator.url}   API version: 60.0`);
  out(
    `  change events: ${flags.changeEvents === false ? 'none (no Change Data Capture)' : `Lead, Contact, Account, CampaignMember on ${emulator.url}/cometd/60.0`}`,
  );
  out(
    `  OAuth:        client id "${flags.clientId}", client_credentials or password (user ${emulator.org.users[0]!.username})`,
  );
  out(
    `  try:          curl -H "Authorization: Bearer $(curl -s -X POST ${emulator.url}/__emulator/sessions | sed 's/.*"accessToken":"\\([^"]*\\)".*/\\1/')" '${emulator.url}/services/data/v60.0/query?q=SELECT+Id,Email+FROM+Lead+LIMIT+5'`,
  );
  out(`  admin:        ${emulator.url}/__emulator/usage (also /requests, /seed, /faults, /reset)`);
  return {
    name: 'Salesforce emulator',
    url: emulator.url,
    accessToken: emulator.accessToken,
    close: () => emulator.close(),
  };
}

async function startHubSpot(flags: HubSpotFlags, out: (line: string) => void): Promise<Running> {
  const emulator = await startHubSpotEmulator({
    port: flags.port,
    seedCount: flags.seed,
    seed: flags.datasetSeed,
    accessToken: flags.accessToken,
    burstLimit: flags.burstLimit,
    dailyLimit: flags.dailyLimit,
    latencyMs: flags.latencyMs,
    searchLagMs: flags.searchLagMs,
  });
  const { portal } = emulator;
  out(`HubSpot emulator listening on ${emulator.url}`);
  out(`  records:      ${portal.objects.contacts.size} contacts, ${portal.objects.companies.size} companies`);
  out(`  client:       new Client({ accessToken: '${emulator.accessToken}', basePath: '${emulator.url}' })`);
  out(
    `  try:          curl -H 'Authorization: Bearer ${emulator.accessToken}' '${emulator.url}/crm/v3/objects/contacts?limit=5&properties=email'`,
  );
  if (flags.searchLagMs > 0)
    out(`  search:       sees writes ${flags.searchLagMs} ms late, as HubSpot's search index does`);
  out(`  admin:        ${emulator.url}/__emulator/usage (also /requests, /seed, /faults, /webhooks, /reset)`);
  return {
    name: 'HubSpot emulator',
    url: emulator.url,
    accessToken: emulator.accessToken,
    close: () => emulator.close(),
  };
}

/** Starts the emulators, waits for SIGINT or SIGTERM, then stops them all. */
async function runUntilSignal(
  starts: (() => Promise<Running>)[],
  out: (line: string) => void,
  /** Runs once everything started (the demo's sync service), until the signal; returns its stop. */
  then?: (running: readonly Running[]) => Promise<() => Promise<void>>,
): Promise<void> {
  const running: Running[] = [];
  let stopService: (() => Promise<void>) | undefined;
  try {
    for (const start of starts) running.push(await start());
    if (then) stopService = await then(running);
    const signal = await untilSignal();
    if (stopService) out(`${signal}: stopping the sync`);
    for (const r of running) out(`${signal}: stopping the ${r.name}`);
  } finally {
    await stopService?.();
    await Promise.all(running.map((r) => r.close()));
  }
}

/**
 * HubSpot's default Lead Status options (NEW, OPEN, …) share no value with Salesforce's Lead Status
 * picklist, so every lead would be a Property value error. The demo does what a HubSpot admin does
 * first: adds Salesforce's values as options of `hs_lead_status`.
 */
async function alignLeadStatus(hs: Running, sf: Running, log: Logger): Promise<void> {
  const call = async (url: string, token: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    if (!response.ok)
      throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname}: HTTP ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const describe = await call(`${sf.url}/services/data/v60.0/sobjects/Lead/describe`, sf.accessToken);
  const status = (
    describe.fields as { name: string; picklistValues: { value: string; label: string }[] }[]
  ).find((f) => f.name === 'Status');
  const property = `${hs.url}/crm/v3/properties/contacts/hs_lead_status`;
  const current = (await call(property, hs.accessToken)).options as { value: string; label: string }[];
  const added = (status?.picklistValues ?? []).filter((p) => !current.some((o) => o.value === p.value));
  const options = [...current, ...added.map((p) => ({ value: p.value, label: p.label }))].map((o, i) => ({
    label: o.label,
    value: o.value,
    displayOrder: i,
    hidden: false,
  }));
  await call(property, hs.accessToken, { method: 'PATCH', body: JSON.stringify({ options }) });
  log.info(`  hs_lead_status: added Salesforce's ${added.length} Lead Status values as HubSpot options`);
}

/** The HubSpot emulator delivers contact webhooks, signed with `clientSecret`, to `targetUrl` (T2). */
async function deliverWebhooks(
  hs: Running,
  targetUrl: string,
  clientSecret: string,
  log: Logger,
): Promise<void> {
  const subscriptions = ['contact.creation', 'contact.propertyChange', 'contact.deletion', 'contact.merge'];
  const response = await fetch(`${hs.url}/__emulator/webhooks`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      targetUrl,
      clientSecret,
      subscriptions: subscriptions.map((subscriptionType) => ({ subscriptionType })),
    }),
  });
  if (!response.ok)
    throw new Error(`PUT /__emulator/webhooks: HTTP ${response.status}: ${await response.text()}`);
  log.info(`  webhooks:     the HubSpot emulator sends ${subscriptions.join(', ')} to ${targetUrl}`);
}

/**
 * The demo's sync: the engine between the two emulators, with a fresh store in `demo` under the default
 * data directory, and the HTTP API next to it, receiving the HubSpot emulator's webhooks.
 */
async function startDemoSync(
  running: readonly Running[],
  api: ApiConfig,
  log: Logger,
): Promise<() => Promise<void>> {
  const [sf, hs] = running;
  const dataDir = path.join(options.dataDir.default, 'demo');
  await rm(dataDir, { recursive: true, force: true });
  const runs = eventLogger(log.child({ pair: DEFAULT_PAIR }));
  const service = await openService(
    {
      salesforce: { kind: 'token', instanceUrl: sf!.url, accessToken: sf!.accessToken },
      hubspot: { baseUrl: hs!.url, accessToken: hs!.accessToken },
      dataDir,
      databaseUrl: undefined,
    },
    // HubSpot's webhooks bring its changes; its poll is the safety net.
    {
      onEvent: (event) => runs.onEvent(event),
      hubspotPollMs: SAFETY_NET_POLL_MS,
      lease: { command: 'demo' },
      // U3: alerts' secrets (CROSSWALK_SECRET_KEY, the variables they name).
      env: process.env,
    },
  );
  await alignLeadStatus(hs!, sf!, log);
  log.info(
    `Sync running between the emulators: Salesforce changes by change event and HubSpot changes by webhook, each within about a second, and a cycle every 3 s (store: ${dataDir}). Look inside with:`,
  );
  log.info(`  npx crosswalk explain <email> --data-dir ${dataDir}`);
  log.info(`  npx crosswalk errors --data-dir ${dataDir}`);
  log.info(`  npx crosswalk mappings list --data-dir ${dataDir}`);
  let started: Awaited<ReturnType<typeof serveApi>> | undefined;
  try {
    started = await serveApi(service, api, log, 'local');
    if (api.webhooks !== undefined && started.webhookUrl !== undefined)
      await deliverWebhooks(hs!, started.webhookUrl, api.webhooks.clientSecret, log);
  } catch (error) {
    await started?.stop();
    await service.stop();
    throw error;
  }
  const server = started;
  service.start(3000, (error) => runs.log.error(`sync cycle failed: ${(error as Error).message}`), {
    log: (line) => log.warn(line),
  });
  return async () => {
    await server.stop();
    await service.stop();
  };
}

/**
 * Runs the command `argv` names. One-shot commands print plain lines to `out`; the long-running ones
 * (`start`, `demo`, `worker`, `api`) log to `logTo` (default: standard output; `src/app/log.ts`).
 */
export async function main(
  argv: readonly string[],
  out: (line: string) => void = (line) => console.log(line),
  logTo?: LogDestination,
): Promise<number> {
  const openLog = logOpener(logTo);
  const program = new Command('crosswalk')
    .description('Keep Salesforce leads and contacts in sync with HubSpot contacts.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  const emulator = program
    .command('emulator')
    .description('Run a local emulator of a CRM API (no credentials, loopback only).');
  emulator
    .command('salesforce')
    .description('The Salesforce REST API emulator (jsforce works against it unchanged).')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 picks a free one)', integer(0), 4010)
    .option(
      '--seed <n>',
      'people to seed from the demo dataset (about 80% become leads or contacts)',
      integer(0),
      200,
    )
    .option('--dataset-seed <n>', 'the demo dataset seed (same seed ⇒ same records)', integer(0), 1)
    .option('--api-limit <n>', 'daily API request allocation (rolling 24 h)', integer(0), 15_000)
    .option('--latency-ms <n>', 'latency added to every API request, in ms', integer(0), 0)
    .option('--client-id <id>', 'OAuth consumer key', 'crosswalk')
    .option('--client-secret <secret>', 'OAuth consumer secret', 'crosswalk')
    .option(
      '--no-change-events',
      'an org without Change Data Capture: no change events on the Streaming API (Crosswalk then polls)',
    )
    .action((flags: SalesforceFlags) => runUntilSignal([() => startSalesforce(flags, out)], out));

  emulator
    .command('hubspot')
    .description('The HubSpot CRM v3 API emulator (@hubspot/api-client works against it unchanged).')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 picks a free one)', integer(0), 4020)
    .option('--seed <n>', 'people to seed from the demo dataset (about 70% become contacts)', integer(0), 200)
    .option('--dataset-seed <n>', 'the demo dataset seed (same seed ⇒ same records)', integer(0), 1)
    .option('--access-token <token>', 'the private-app token it accepts', 'pat-local-crosswalk')
    .option('--burst-limit <n>', 'requests per rolling 10 seconds', integer(1), 190)
    .option('--daily-limit <n>', 'requests per day', integer(0), 650_000)
    .option('--latency-ms <n>', 'latency added to every API request, in ms', integer(0), 0)
    .option(
      '--search-lag-ms <n>',
      "CRM search sees writes this late, in ms, as HubSpot's search index does (0: at once)",
      integer(0),
      0,
    )
    .action((flags: HubSpotFlags) => runUntilSignal([() => startHubSpot(flags, out)], out));

  /**
   * Both emulators, saying what they are in `say` (and `shown`: their banners, with their published
   * tokens), and then, for the demo, what `then` starts.
   */
  const both = (
    flags: BothFlags,
    say: { readonly out: (line: string) => void; readonly shown: (line: string) => void } = {
      out,
      shown: out,
    },
    then?: (running: readonly Running[]) => Promise<() => Promise<void>>,
  ) =>
    runUntilSignal(
      [
        () =>
          startSalesforce(
            {
              port: flags.salesforcePort,
              seed: flags.seed,
              datasetSeed: flags.datasetSeed,
              apiLimit: 15_000,
              latencyMs: flags.latencyMs,
              clientId: 'crosswalk',
              clientSecret: 'crosswalk',
            },
            say.shown,
          ),
        () =>
          startHubSpot(
            {
              port: flags.hubspotPort,
              seed: flags.seed,
              datasetSeed: flags.datasetSeed,
              accessToken: 'pat-local-crosswalk',
              burstLimit: 190,
              dailyLimit: 650_000,
              latencyMs: flags.latencyMs,
              searchLagMs: 0,
            },
            say.shown,
          ),
      ],
      say.out,
      then,
    );
  const bothOptions = (command: Command) =>
    command
      .option('--salesforce-port <n>', 'Salesforce emulator port (0 picks a free one)', integer(0), 4010)
      .option('--hubspot-port <n>', 'HubSpot emulator port (0 picks a free one)', integer(0), 4020)
      .option('--seed <n>', 'people in the shared demo dataset', integer(0), 200)
      .option('--dataset-seed <n>', 'the demo dataset seed (same seed ⇒ same records)', integer(0), 1)
      .option('--latency-ms <n>', 'latency added to every API request, in ms', integer(0), 0);

  bothOptions(
    emulator.command('all').description('Both emulators, seeded with one overlapping demo dataset.'),
  ).action((flags: BothFlags) => both(flags));

  logOptions(
    apiOptions(
      bothOptions(
        program
          .command('demo')
          .description(
            'Both emulators with the demo dataset, the sync running between them and its HTTP API (what `npm start` runs).',
          ),
      ),
    ),
  ).action((flags: BothFlags & Record<string, unknown>) => {
    // Webhooks are always on in the demo: with HUBSPOT_CLIENT_SECRET if given, else a secret of its own.
    const api = apiConfigFrom(flags, { hubspotClientSecret: randomBytes(24).toString('base64url') });
    const log = openLog(flags);
    return both(
      flags,
      // The emulators' tokens are published test tokens, meant to be tried: their banners are shown as is.
      { out: (line) => log.info(line), shown: (line) => log.info(SHOWN, line) },
      (running) => startDemoSync(running, api, log),
    );
  });

  registerSyncCommands(program, out, untilSignal, openLog);
  const mappings = program.commands.find((c) => c.name() === 'mappings')!;
  registerMappingsCheck(mappings, out);
  registerValueMapCommand(mappings, out);
  registerConsoleCommands(program, out);
  registerUndoCommand(program, out);
  registerPairCommands(program, out);
  registerWorkerCommand(program, untilSignal, openLog);
  registerApiCommand(program, untilSignal, openLog);
  registerAlertCommands(program, out);

  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    const code = (error as { code?: string; exitCode?: number }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help')
      return 0;
    if (typeof code === 'string' && code.startsWith('commander.'))
      return (error as { exitCode?: number }).exitCode ?? 1;
    process.stderr.write(`crosswalk: ${(error as Error).message}\n`);
    return 1;
  }
}
