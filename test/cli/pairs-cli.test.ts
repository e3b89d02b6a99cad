/**
 * `crosswalk pairs …` and `--pair` as a person runs them (issue 13): registering pairs by flags and by
 * a pairs file (diffed, idempotent, secrets sealed with CROSSWALK_SECRET_KEY and never stored in
 * clear), enabling, disabling and removing them, a sync of a registered pair against the emulators
 * whose links land in that pair, not in the default one, and `crosswalk status` per pair.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crosswalk, killChildren } from '../helpers/cli.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { openStore, SQLITE_FILE } from '../../src/store/open-store.ts';

after(killChildren);

const KEY = randomBytes(32).toString('hex');
const SECRET = 'example-beta-credential';

describe('crosswalk pairs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-pairs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const cw = (args: string[], env: NodeJS.ProcessEnv = {}) => crosswalk([...args, '--data-dir', dir], env);

  it('add, list, disable, enable: a pair named by its environment variables; bad flags are named', async () => {
    const added = await cw([
      'pairs',
      'add',
      'acme',
      '--name',
      'Acme Corp',
      '--salesforce-instance-url',
      'https://acme.my.salesforce.com',
      '--salesforce-token-env',
      'ACME_SF_TOKEN',
      '--hubspot-token-env',
      'ACME_HS_TOKEN',
      '--hubspot-portal-id',
      '42',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const list = await cw(['pairs', 'list', '--json']);
    const pairs = JSON.parse(list.stdout) as { id: string; enabled: boolean; credentials: string[] }[];
    assert.deepEqual(
      pairs.map((p) => p.id),
      ['acme', 'default'],
    );
    assert.deepEqual(pairs[0]!.credentials, [
      'salesforce.accessToken: env ACME_SF_TOKEN',
      'hubspot.accessToken: env ACME_HS_TOKEN',
    ]);
    const again = await cw([
      'pairs',
      'add',
      'acme',
      '--salesforce-instance-url',
      'https://x.example',
      '--salesforce-token-env',
      'X',
      '--hubspot-token-env',
      'Y',
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /A connection pair "acme" is registered already/);
    const bad = await cw(['pairs', 'add', 'Bad Id', '--hubspot-token-env', 'lower']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /<id>: must be 1 to 63 lower-case letters/);
    assert.match(bad.stderr, /Salesforce: give --salesforce-instance-url with --salesforce-token-env/);
    assert.match(bad.stderr, /--hubspot-token-env: must name an environment variable/);

    assert.equal((await cw(['pairs', 'disable', 'acme'])).stdout.trim(), 'acme: disabled');
    assert.equal((await cw(['pairs', 'enable', 'acme'])).stdout.trim(), 'acme: enabled');
    const unknown = await cw(['pairs', 'disable', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /There is no connection pair "nope"/);
  });

  it('apply: diffed and idempotent; a secret value is sealed, never stored in clear; --dry-run and --prune', async () => {
    const file = path.join(dir, 'pairs.json');
    const declared = {
      pairs: [
        {
          id: 'acme',
          name: 'Acme Corp',
          salesforce: {
            instanceUrl: 'https://acme.my.salesforce.com',
            accessToken: { env: 'ACME_SF_TOKEN' },
          },
          hubspot: { accessToken: { env: 'ACME_HS_TOKEN' }, portalId: 42 },
        },
        {
          id: 'beta',
          salesforce: {
            instanceUrl: 'https://beta.my.salesforce.com',
            accessToken: { env: 'BETA_SF_TOKEN' },
          },
          hubspot: { accessToken: { value: SECRET } },
        },
      ],
    };
    await writeFile(file, JSON.stringify(declared));
    const noKey = await cw(['pairs', 'apply', file]);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /beta\.hubspot\.accessToken: a value needs CROSSWALK_SECRET_KEY/);
    assert.equal(noKey.stderr.includes(SECRET), false);

    const env = { CROSSWALK_SECRET_KEY: KEY };
    const dry = await cw(['pairs', 'apply', file, '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\+ beta {2}added$/m);
    assert.match(dry.stdout, /dry run: nothing changed/);
    assert.equal((await cw(['pairs', 'list', '--json'])).stdout.includes('"beta"'), false);

    const applied = await cw(['pairs', 'apply', file], env);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^= acme {2}unchanged$/m);
    assert.match(applied.stdout, /^\+ beta {2}added$/m);
    const db = await readFile(path.join(dir, SQLITE_FILE));
    assert.equal(db.includes(SECRET), false, 'the secret is not in the store in clear');
    assert.match((await cw(['pairs', 'list'])).stdout, /hubspot\.accessToken: sealed/);

    const twice = await cw(['pairs', 'apply', file], env);
    assert.deepEqual(
      twice.stdout.trim().split('\n'),
      ['= acme  unchanged', '= beta  unchanged', '  default  not in the file: kept (--prune removes it)'],
      'applying the same file again changes nothing',
    );
    await writeFile(file, JSON.stringify({ pairs: [declared.pairs[1]] }));
    const pruned = await cw(['pairs', 'apply', file, '--prune'], env);
    assert.match(pruned.stdout, /^- acme {2}removed/m);
    assert.match(pruned.stdout, /^ {2}default {2}not in the file: kept/m, 'the default pair is never pruned');
  });

  it('remove asks for --yes; the default pair cannot be removed', async () => {
    const unconfirmed = await cw(['pairs', 'remove', 'beta']);
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stderr, /run again with --yes/);
    assert.equal((await cw(['pairs', 'remove', 'beta', '--yes'])).code, 0);
    const gone = JSON.parse((await cw(['pairs', 'list', '--json'])).stdout) as { id: string }[];
    assert.deepEqual(
      gone.map((p) => p.id),
      ['default'],
    );
    const keep = await cw(['pairs', 'remove', 'default', '--yes']);
    assert.equal(keep.code, 1);
    assert.match(keep.stderr, /The default pair cannot be removed/);
  });
});

describe('--pair: a registered pair syncs into its own rows', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  before(async () => {
    sf = await startSalesforce({ seedCount: 10, seed: 7 });
    hs = await startHubSpot({ seedCount: 10, seed: 7 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-pair-sync-'));
  });
  after(async () => {
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  });
  const cw = (args: string[], env: NodeJS.ProcessEnv = {}) => crosswalk([...args, '--data-dir', dir], env);

  it('sync --once --pair acme reads the credentials the pair names and stores its links under acme only', async () => {
    const add = await cw([
      'pairs',
      'add',
      'acme',
      '--salesforce-instance-url',
      sf.emulator.url,
      '--salesforce-token-env',
      'ACME_SF_TOKEN',
      '--hubspot-base-url',
      hs.emulator.url,
      '--hubspot-token-env',
      'ACME_HS_TOKEN',
    ]);
    assert.equal(add.code, 0, add.stderr);
    const missing = await cw(['sync', '--once', '--pair', 'acme']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pair acme: salesforce\.accessToken reads ACME_SF_TOKEN, which is not set/);

    const env = { ACME_SF_TOKEN: sf.emulator.accessToken, ACME_HS_TOKEN: hs.emulator.accessToken };
    const synced = await cw(['sync', '--once', '--pair', 'acme'], env);
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stdout, /cycle run-\S+: \d+ Salesforce and \d+ HubSpot changes; [1-9]\d* synced/);
    assert.equal(synced.stdout.includes(sf.emulator.accessToken), false);

    const store = await openStore({ dataDir: dir });
    try {
      assert.ok((await store.forPair('acme').countLinks()) > 0, 'the links are the pair acme’s');
      assert.equal(await store.countLinks(), 0, 'nothing in the default pair');
    } finally {
      await store.close();
    }
    const status = await cw(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const byId = new Map(
      (
        JSON.parse(status.stdout) as {
          id: string;
          lease: { state: string; epoch: number | null };
          lastRun: { kind: string; synced: number } | null;
          calls24h: { salesforce: number; hubspot: number };
        }[]
      ).map((p) => [p.id, p]),
    );
    const acmeStatus = byId.get('acme');
    assert.equal(acmeStatus?.lastRun?.kind, 'run');
    assert.ok((acmeStatus?.lastRun?.synced ?? 0) > 0);
    assert.deepEqual(acmeStatus?.lease, { state: 'free', epoch: 1 }, 'the sync let its lease go');
    assert.ok((acmeStatus?.calls24h.salesforce ?? 0) > 0 && (acmeStatus?.calls24h.hubspot ?? 0) > 0);
    assert.equal(byId.get('default')?.lastRun, null, 'the default pair never ran');
    assert.match(
      (await cw(['status'])).stdout,
      /^acme {2}enabled\n {2}writer {5}none \(last epoch 1\)\n {2}last run {3}run /m,
    );

    const usage = await cw(['usage', '--pair', 'acme']);
    assert.equal(usage.code, 0, usage.stderr);
    const unknown = await cw(['errors', '--pair', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /There is no connection pair "nope"/);
  });
});
