/**
 * One writer per connection, across processes (issue 12), with real `crosswalk` processes on one
 * store: a second process is refused and told who holds the lease, or waits for it (`--wait`); a
 * holder killed with SIGKILL is taken over at once; a holder frozen with SIGSTOP past its lease writes
 * nothing when it wakes; and processes started together never duplicate a record — on the embedded
 * store and on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  BIN,
  BLANK_ENV,
  emulatorEnv,
  killChildren,
  run,
  waitForOutput,
  within,
  type Run,
} from '../helpers/cli.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { emailKey } from '../../src/core/matching.ts';

const CEILING_MS = 90_000;
const databaseUrl = process.env.DATABASE_URL ?? '';

after(killChildren);

/** Every email on more than one Salesforce lead or contact, or on more than one HubSpot contact. */
async function duplicates(sf: SalesforceFixture, hs: HubSpotFixture): Promise<string[]> {
  const seen = new Map<string, number>();
  for (const object of ['Lead', 'Contact']) {
    const where = object === 'Lead' ? 'Email != null AND IsConverted = false' : 'Email != null';
    for (const r of (await sf.conn.query<{ Email: string }>(`SELECT Email FROM ${object} WHERE ${where}`))
      .records) {
      const key = `sf:${emailKey(r.Email)}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  for (const c of await hs.client.crm.contacts.getAll(100, undefined, ['email'])) {
    const key = `hs:${emailKey(c.properties.email)}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([email]) => email);
}

async function finished(cli: Run, what: string): Promise<number | null> {
  return (await within(cli.exited, CEILING_MS, what)).code;
}

describe('one writer per connection (the writer lease)', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  /** The demo dataset's own duplicates (people it puts on a lead and a contact). */
  let seeded: string[];
  const crosswalk = (...args: string[]) => run(process.execPath, [BIN, ...args], { ...BLANK_ENV, ...env });

  before(async () => {
    sf = await startSalesforce({ seedCount: 30, seed: 5 });
    hs = await startHubSpot({ seedCount: 30, seed: 5 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-lease-'));
    env = emulatorEnv(sf.emulator, hs.emulator, dir);
    seeded = await duplicates(sf, hs);
  });
  after(async () => {
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('beside a running start, sync --once and a second start exit non-zero naming the holder; with --wait sync runs once start stops', async () => {
    const start = crosswalk('start', '--interval', '1', '--api-port', '0');
    await waitForOutput(start, /^cycle run-\S+: /m, 'a first cycle of start');
    const refused = crosswalk('sync', '--once');
    assert.equal(await finished(refused, 'sync --once'), 1);
    assert.match(refused.stderr(), new RegExp(`\`start\` on .+ \\(pid ${start.child.pid}\\), since `));
    assert.match(refused.stderr(), /--wait/);
    assert.doesNotMatch(refused.stdout(), /^cycle /m, 'it ran no cycle');
    const secondStart = crosswalk('start', '--interval', '1', '--api-port', '0');
    assert.equal(await finished(secondStart, 'a second start'), 1);
    assert.match(secondStart.stderr(), new RegExp(`\\(pid ${start.child.pid}\\)`));

    const waiting = crosswalk('sync', '--once', '--wait');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(waiting.child.exitCode, null, 'it waits while start holds the lease');
    start.child.kill('SIGTERM');
    assert.equal(await finished(start, 'start'), 0);
    assert.equal(await finished(waiting, 'sync --once --wait'), 0, waiting.stderr());
    assert.match(waiting.stdout(), /^cycle run-/m);
  });

  it('a holder killed with SIGKILL is taken over at once by the next process on this host', async () => {
    const start = crosswalk('start', '--interval', '1', '--api-port', '0');
    await waitForOutput(start, /^cycle run-\S+: /m, 'a first cycle of start');
    start.child.kill('SIGKILL');
    await finished(start, 'start');
    const begun = Date.now();
    const next = crosswalk('sync', '--once');
    assert.equal(await finished(next, 'sync --once'), 0, next.stderr());
    assert.ok(Date.now() - begun < 20_000, 'taken over within 20 s');
  });

  it('a holder frozen with SIGSTOP past its lease writes nothing after it resumes, and exits', async () => {
    const frozen = crosswalk('start', '--interval', '1', '--api-port', '0', '--lease-ttl', '2');
    await waitForOutput(frozen, /^cycle run-\S+: /m, 'a first cycle of start');
    frozen.child.kill('SIGSTOP');
    try {
      const other = crosswalk('sync', '--once', '--wait', '--lease-ttl', '2');
      assert.equal(await finished(other, 'sync --once --wait'), 0, other.stderr());
      // A change only the frozen holder could now write: a HubSpot-only contact.
      await hs.client.crm.contacts.basicApi.create({
        properties: { email: 'after-the-freeze@example.com', lastname: 'Frozen', company: 'Ice' },
      });
    } finally {
      frozen.child.kill('SIGCONT');
    }
    assert.equal(await finished(frozen, 'the frozen start'), 1);
    assert.match(frozen.stderr(), /no longer this process's: another process took it over/);
    const found = await sf.conn.query("SELECT Id FROM Lead WHERE Email = 'after-the-freeze@example.com'");
    assert.equal(found.totalSize, 0, 'the woken holder wrote nothing to Salesforce');
    assert.deepEqual(await duplicates(sf, hs), seeded);
  });
});

/** Three processes at once over a few hundred people on each side, on one store: no duplicate. */
async function threeAtOnce(databaseUrlFor: () => Promise<string>): Promise<void> {
  const sf = await startSalesforce({ seedCount: 300, seed: 21 });
  const hs = await startHubSpot({ seedCount: 300, seed: 21 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-lease-three-'));
  try {
    const env = {
      ...BLANK_ENV,
      ...emulatorEnv(sf.emulator, hs.emulator, dir),
      DATABASE_URL: await databaseUrlFor(),
    };
    const before = await duplicates(sf, hs);
    const people = async () =>
      (await sf.conn.query('SELECT Id FROM Lead')).totalSize +
      (await sf.conn.query('SELECT Id FROM Contact')).totalSize +
      (await hs.client.crm.contacts.getAll(100)).length;
    const peopleBefore = await people();
    const runs = [0, 1, 2].map(() => run(process.execPath, [BIN, 'sync', '--once', '--wait'], env));
    for (const cli of runs) assert.equal(await finished(cli, 'sync --once --wait'), 0, cli.stderr());
    assert.deepEqual(await duplicates(sf, hs), before, 'no email on two records, on either side');
    assert.ok((await people()) > peopleBefore + 100, 'the people on one side only reached the other');
  } finally {
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}

describe('three processes at once, one store: never a duplicate', () => {
  it('on the embedded store', () => threeAtOnce(() => Promise.resolve('')));

  it(
    'on PostgreSQL',
    { skip: databaseUrl === '' ? 'DATABASE_URL is not set: .ci/run starts a PostgreSQL and sets it' : false },
    async () => {
      const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
      const schema = `crosswalk_lease_${randomBytes(6).toString('hex')}`;
      try {
        await admin.query(`CREATE SCHEMA ${schema}`);
        await threeAtOnce(() => {
          const url = new URL(databaseUrl);
          url.searchParams.set('options', `-c search_path=${schema}`);
          return Promise.resolve(url.toString());
        });
      } finally {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
        await admin.end();
      }
    },
  );
});
