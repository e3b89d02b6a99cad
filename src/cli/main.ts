/**
 * The `crosswalk` command line. Thin: each command parses its flags and calls into the product.
 */
import { Command, InvalidArgumentError } from 'commander';
import { startSalesforceEmulator } from '../emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../emulators/hubspot/server.ts';

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
}

interface Running {
  readonly name: string;
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
  });
  const counts = ['Lead', 'Contact', 'Account', 'Campaign', 'CampaignMember']
    .map((o) => `${emulator.org.count(o)} ${o}`)
    .join(', ');
  out(`Salesforce emulator listening on ${emulator.url}`);
  out(`  records:      ${counts}`);
  out(`  instance URL: ${emulator.url}   login URL: ${emulator.url}   API version: 60.0`);
  out(
    `  OAuth:        client id "${flags.clientId}", client_credentials or password (user ${emulator.org.users[0]!.username})`,
  );
  out(
    `  try:          curl -H "Authorization: Bearer $(curl -s -X POST ${emulator.url}/__emulator/sessions | sed 's/.*"accessToken":"\\([^"]*\\)".*/\\1/')" '${emulator.url}/services/data/v60.0/query?q=SELECT+Id,Email+FROM+Lead+LIMIT+5'`,
  );
  out(`  admin:        ${emulator.url}/__emulator/usage (also /requests, /seed, /faults, /reset)`);
  return { name: 'Salesforce emulator', close: () => emulator.close() };
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
  });
  const { portal } = emulator;
  out(`HubSpot emulator listening on ${emulator.url}`);
  out(`  records:      ${portal.objects.contacts.size} contacts, ${portal.objects.companies.size} companies`);
  out(`  client:       new Client({ accessToken: '${emulator.accessToken}', basePath: '${emulator.url}' })`);
  out(
    `  try:          curl -H 'Authorization: Bearer ${emulator.accessToken}' '${emulator.url}/crm/v3/objects/contacts?limit=5&properties=email'`,
  );
  out(`  admin:        ${emulator.url}/__emulator/usage (also /requests, /seed, /faults, /webhooks, /reset)`);
  return { name: 'HubSpot emulator', close: () => emulator.close() };
}

/** Starts the emulators, waits for SIGINT or SIGTERM, then stops them all. */
async function runUntilSignal(
  starts: (() => Promise<Running>)[],
  out: (line: string) => void,
): Promise<void> {
  const running: Running[] = [];
  try {
    for (const start of starts) running.push(await start());
    const signal = await untilSignal();
    for (const r of running) out(`${signal}: stopping the ${r.name}`);
  } finally {
    await Promise.all(running.map((r) => r.close()));
  }
}

export async function main(
  argv: readonly string[],
  out: (line: string) => void = (line) => console.log(line),
): Promise<number> {
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
    .action((flags: HubSpotFlags) => runUntilSignal([() => startHubSpot(flags, out)], out));

  const both = (flags: BothFlags) =>
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
            out,
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
            },
            out,
          ),
      ],
      out,
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
  ).action(both);

  bothOptions(
    program
      .command('demo')
      .description('Start every emulator with the demo dataset (what `npm start` runs).'),
  ).action(both);

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
