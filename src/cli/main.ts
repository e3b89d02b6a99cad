/**
 * The `crosswalk` command line. Thin: each command parses its flags and calls into the product.
 */
import { Command, InvalidArgumentError } from 'commander';
import { startSalesforceEmulator } from '../emulators/salesforce/server.ts';

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

async function runSalesforceEmulator(flags: SalesforceFlags, out: (line: string) => void): Promise<void> {
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
  const signal = await untilSignal();
  out(`${signal}: stopping the Salesforce emulator`);
  await emulator.close();
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
    .action((flags: SalesforceFlags) => runSalesforceEmulator(flags, out));

  program
    .command('demo')
    .description('Start every emulator with the demo dataset (what `npm start` runs).')
    .option('--port <n>', 'Salesforce emulator port on 127.0.0.1 (0 picks a free one)', integer(0), 4010)
    .action((flags: { port: number }) =>
      runSalesforceEmulator(
        {
          port: flags.port,
          seed: 200,
          datasetSeed: 1,
          apiLimit: 15_000,
          latencyMs: 0,
          clientId: 'crosswalk',
          clientSecret: 'crosswalk',
        },
        out,
      ),
    );

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
