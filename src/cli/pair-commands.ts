/**
 * `crosswalk pairs list|add|enable|disable|remove|apply`: the connection pairs of one store (issue 13).
 * Thin: the operations are `src/app/pairs.ts`. Secrets never go on a command line (other users can
 * read it): `add` takes the names of the environment variables that hold them, and a pairs file
 * (`apply`) may also give values, sealed with CROSSWALK_SECRET_KEY before they are stored.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import pg from 'pg';
import { DEFAULT_PAIR } from '../core/pairs.ts';
import type { Result } from '../core/model.ts';
import { optionHelp, options, rawOptions } from '../config/options.ts';
import { pairDeclaration, parsePairsFile, secretKeyIn, type PairChange } from '../config/pairs.ts';
import * as pairs from '../app/pairs.ts';
import { pairQueues, type PairQueue } from '../app/worker.ts';
import type { PairStatus, PairView } from '../api/contract.ts';
import { problemText } from '../app/operations.ts';
import { UsageError, withOpenedStore } from './sync-commands.ts';
import { jobSchema } from './worker-command.ts';

type Out = (line: string) => void;

function needed<T>(result: Result<T>): T {
  if (!result.ok) throw new UsageError(problemText(result.problem));
  return result.value;
}

/** The registry's store: the one `--data-dir` or `--database-url` names. */
function registryOptions(command: Command): Command {
  return command
    .option(options.dataDir.flag, optionHelp(options.dataDir))
    .option(options.databaseUrl.flag, optionHelp(options.databaseUrl));
}

/** The registry is store-wide: the store as opened. */
const withRegistry = withOpenedStore;

/** The sealing key, when CROSSWALK_SECRET_KEY is set (a malformed one is refused). */
function keyFromEnvironment(): Buffer | undefined {
  const key = secretKeyIn(process.env);
  if (!key.ok) throw new UsageError(key.problems.join('\n'));
  return key.value;
}

function printPair(p: PairView, out: Out): void {
  out(`${p.id}  ${p.enabled ? 'enabled' : 'disabled'}  ${p.name}`);
  out(`  salesforce  ${p.salesforce}`);
  out(`  hubspot     ${p.hubspot}`);
  for (const c of p.credentials) out(`  credential  ${c}`);
}

function changeLine(c: PairChange): string {
  switch (c.action) {
    case 'add':
      return `+ ${c.id}  added`;
    case 'change':
      return `~ ${c.id}  changed: ${c.fields.join(', ')}`;
    case 'unchanged':
      return `= ${c.id}  unchanged`;
    case 'remove':
      return `- ${c.id}  removed, with everything stored for it`;
    case 'keep':
      return `  ${c.id}  not in the file: kept (--prune removes it)`;
  }
}

interface AddFlags {
  name?: string;
  disabled?: boolean;
  salesforceInstanceUrl?: string;
  salesforceTokenEnv?: string;
  salesforceLoginUrl?: string;
  salesforceClientId?: string;
  salesforceSecretEnv?: string;
  hubspotBaseUrl?: string;
  hubspotTokenEnv?: string;
  hubspotPortalId?: string;
  hubspotClientSecretEnv?: string;
}

/** The declaration `pairs add` describes with its flags, or every problem with its flag. */
function declarationOf(id: string, f: AddFlags) {
  const salesforce =
    f.salesforceLoginUrl !== undefined
      ? {
          loginUrl: f.salesforceLoginUrl,
          clientId: f.salesforceClientId,
          clientSecret: f.salesforceSecretEnv === undefined ? undefined : { env: f.salesforceSecretEnv },
        }
      : {
          instanceUrl: f.salesforceInstanceUrl,
          accessToken: f.salesforceTokenEnv === undefined ? undefined : { env: f.salesforceTokenEnv },
        };
  const hubspot = {
    ...(f.hubspotBaseUrl !== undefined ? { baseUrl: f.hubspotBaseUrl } : {}),
    accessToken: f.hubspotTokenEnv === undefined ? undefined : { env: f.hubspotTokenEnv },
    ...(f.hubspotPortalId !== undefined ? { portalId: Number(f.hubspotPortalId) } : {}),
    ...(f.hubspotClientSecretEnv !== undefined ? { clientSecret: { env: f.hubspotClientSecretEnv } } : {}),
  };
  const parsed = pairDeclaration.safeParse({
    id,
    ...(f.name !== undefined ? { name: f.name } : {}),
    enabled: f.disabled !== true,
    salesforce,
    hubspot,
  });
  if (parsed.success) return parsed.data;
  const flagOf: Record<string, string> = {
    id: '<id>',
    'salesforce.instanceUrl': '--salesforce-instance-url',
    'salesforce.accessToken': '--salesforce-token-env',
    'salesforce.loginUrl': '--salesforce-login-url',
    'salesforce.clientId': '--salesforce-client-id',
    'salesforce.clientSecret': '--salesforce-secret-env',
    'hubspot.baseUrl': '--hubspot-base-url',
    'hubspot.accessToken': '--hubspot-token-env',
    'hubspot.portalId': '--hubspot-portal-id',
    'hubspot.clientSecret': '--hubspot-client-secret-env',
  };
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.filter((k) => typeof k === 'string' && k !== 'env').join('.');
    if (path === 'salesforce' && issue.code === 'invalid_union')
      return 'Salesforce: give --salesforce-instance-url with --salesforce-token-env, or --salesforce-login-url, --salesforce-client-id and --salesforce-secret-env';
    const flag = flagOf[path] ?? path;
    return `${flag}: ${issue.code === 'invalid_type' ? 'is missing' : issue.message}`;
  });
  throw new UsageError(`cannot add pair ${id}:\n  - ${[...new Set(problems)].join('\n  - ')}`);
}

const when = (at: number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');

function printStatus(s: PairStatus, out: Out): void {
  out(`${s.id}  ${s.enabled ? 'enabled' : 'disabled'}`);
  out(
    s.lease.state === 'held'
      ? `  writer     ${s.lease.holder}, epoch ${s.lease.epoch}, since ${when(s.lease.since)}, until ${when(s.lease.until)}`
      : `  writer     none${s.lease.epoch === null ? '' : ` (last epoch ${s.lease.epoch})`}`,
  );
  const r = s.lastRun;
  out(
    r === null
      ? '  last run   never'
      : `  last run   ${r.kind} ${r.runId} finished ${when(r.finishedAt)}: ${r.synced} synced, ${r.failed} failed, wrote ${r.written.salesforce} Salesforce and ${r.written.hubspot} HubSpot records${r.paused ? ' (paused)' : ''}`,
  );
  const errors = Object.entries(s.errors);
  out(`  errors     ${errors.length ? errors.map(([c, n]) => `${c} ${n}`).join(', ') : 'none'}`);
  out(`  API (24 h) Salesforce ${s.calls24h.salesforce}, HubSpot ${s.calls24h.hubspot}`);
  if (s.queue !== null)
    out(
      `  queue      ${s.queue.depth} job${s.queue.depth === 1 ? '' : 's'}; next cycle ${s.queue.nextCycleAt === null ? 'none scheduled' : when(s.queue.nextCycleAt)}`,
    );
}

/** The worker queue of every pair in the database at `databaseUrl` (null: no worker ever ran there). */
async function workerQueues(databaseUrl: string): Promise<Map<string, PairQueue> | null> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await pairQueues(client, jobSchema(process.env));
  } finally {
    await client.end();
  }
}

export function registerPairCommands(program: Command, out: Out): void {
  registryOptions(
    program
      .command('status')
      .description('Per connection pair: the writer, the last run, errors and API use.'),
  )
    .option('--json', 'print JSON')
    .action(async (flags: Record<string, unknown> & { json?: boolean }) => {
      const databaseUrl = rawOptions(flags, process.env).databaseUrl;
      const queues = databaseUrl ? await workerQueues(databaseUrl) : null;
      const statuses = await withRegistry(flags, (store) => pairs.pairStatuses(store, Date.now(), queues));
      if (flags.json) return out(JSON.stringify(statuses, null, 2));
      for (const s of statuses) printStatus(s, out);
    });

  const group = program
    .command('pairs')
    .description('Connection pairs: one Salesforce org and one HubSpot portal each, in one store.');

  registryOptions(group.command('list').description('List the registered pairs.'))
    .option('--json', 'print JSON')
    .action(async (flags: Record<string, unknown> & { json?: boolean }) => {
      const list = await withRegistry(flags, pairs.listPairs);
      if (flags.json) return out(JSON.stringify(list, null, 2));
      for (const p of list) printPair(p, out);
    });

  registryOptions(
    group
      .command('add')
      .description(
        'Register a pair. Credentials are named by environment variable; values go in a pairs file (`apply`).',
      ),
  )
    .argument('<id>', 'the pair id: lower-case letters, digits and dashes (e.g. acme-eu)')
    .option('--name <name>', 'a name for people (default: the id)')
    .option('--disabled', 'register it without syncing it yet')
    .option('--salesforce-instance-url <url>', 'the org (token flow), with --salesforce-token-env')
    .option('--salesforce-token-env <VAR>', 'the variable that holds the Salesforce access token')
    .option('--salesforce-login-url <url>', 'the login URL (client-credentials flow)')
    .option('--salesforce-client-id <id>', 'the connected app consumer key (client-credentials flow)')
    .option('--salesforce-secret-env <VAR>', 'the variable that holds the consumer secret')
    .option('--hubspot-base-url <url>', `HubSpot's API base URL (default ${options.hubspotBaseUrl.default})`)
    .option('--hubspot-token-env <VAR>', 'the variable that holds the private-app access token')
    .option('--hubspot-portal-id <n>', 'the portal (hub) id: webhooks that carry it reach this pair')
    .option('--hubspot-client-secret-env <VAR>', "the variable that holds the app's client secret (webhooks)")
    .action(async (id: string, flags: Record<string, unknown> & AddFlags) => {
      const declared = declarationOf(id, flags);
      const added = needed(
        await withRegistry(flags, (store) =>
          pairs.addPair(store, declared, keyFromEnvironment(), Date.now()),
        ),
      );
      out(`added:`);
      printPair(added, out);
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const)
    registryOptions(group.command(name).description(`${enabled ? 'Start' : 'Stop'} syncing a pair.`))
      .argument('<id>')
      .action(async (id: string, flags: Record<string, unknown>) => {
        const pair = needed(
          await withRegistry(flags, (store) => pairs.setPairEnabled(store, id, enabled, Date.now())),
        );
        out(`${pair.id}: ${pair.enabled ? 'enabled' : 'disabled'}`);
      });

  registryOptions(
    group
      .command('remove')
      .description('Remove a pair and everything stored for it (links, cursors, errors, audit …).'),
  )
    .argument('<id>')
    .option('--yes', 'confirm: the pair and everything stored for it are deleted')
    .action(async (id: string, flags: Record<string, unknown> & { yes?: boolean }) => {
      if (id !== DEFAULT_PAIR && flags.yes !== true)
        throw new UsageError(
          `removing pair ${id} deletes its links, cursors, settings, mappings, errors, audit log and usage from the store; run again with --yes to confirm (or \`crosswalk pairs disable ${id}\` to stop it and keep them).`,
        );
      const removed = needed(await withRegistry(flags, (store) => pairs.removePair(store, id)));
      out(`removed: ${removed.id}`);
    });

  registryOptions(
    group
      .command('apply')
      .description('Make the registry say what a pairs file says (declarative, diffed, idempotent).'),
  )
    .argument('<file>', 'a JSON file: { "pairs": [ { "id", "name", "enabled", "salesforce", "hubspot" } ] }')
    .option('--prune', 'remove registered pairs the file leaves out (never default)')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--preview', 'the same as --dry-run (U1): print the plan, change nothing')
    .action(async (file: string, flags: Record<string, unknown> & { prune?: boolean; dryRun?: boolean }) => {
      if (flags.preview === true) flags.dryRun = true;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const parsed = parsePairsFile(text);
      if (!parsed.ok)
        throw new UsageError(`${file} is not a valid pairs file:\n  - ${parsed.problems.join('\n  - ')}`);
      const changes = needed(
        await withRegistry(flags, (store) =>
          pairs.applyPairs(
            store,
            parsed.value,
            { key: keyFromEnvironment(), prune: flags.prune === true, dryRun: flags.dryRun === true },
            Date.now(),
          ),
        ),
      );
      for (const c of changes) out(changeLine(c));
      if (flags.dryRun) out('(dry run: nothing changed)');
    });
}
