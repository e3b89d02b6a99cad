/**
 * Crash safety: `crosswalk import` and `crosswalk sync --once` are killed (SIGKILL) at random points
 * and run again, against emulators that outlive them. Afterwards no email has a duplicate, none is
 * missing on either side, and the changes made before the sync are on the other side.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { emulatorEnv, killChildren, run, within } from '../helpers/cli.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { emailKey } from '../../src/core/matching.ts';

const BIN = 'bin/crosswalk.js';
const CEILING_MS = 120_000;

after(killChildren);

/** A small seeded generator: the kill points are random, yet a failure reproduces. */
function kills(seed: number, count: number, min: number, max: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return min + (state % (max - min));
  });
}

describe('crash safety: killed at random points, run again', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const before0 = new Map<string, number>();

  async function sfByEmail(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const object of ['Lead', 'Contact']) {
      const where = object === 'Lead' ? 'Email != null AND IsConverted = false' : 'Email != null';
      for (const r of (await sf.conn.query<{ Email: string }>(`SELECT Email FROM ${object} WHERE ${where}`))
        .records) {
        const key = emailKey(r.Email)!;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return counts;
  }

  async function hsEmails(): Promise<string[]> {
    return (await hs.client.crm.contacts.getAll(100, undefined, ['email']))
      .map((c) => emailKey(c.properties.email)!)
      .filter(Boolean);
  }

  /** Runs the command and kills it after `ms`; true when the kill landed before the command ended. */
  async function killedAt(args: readonly string[], ms: number): Promise<boolean> {
    const cli = run(process.execPath, [BIN, ...args], env);
    const timer = setTimeout(() => cli.child.kill('SIGKILL'), ms);
    const exit = await within(cli.exited, CEILING_MS, `crosswalk ${args.join(' ')}`);
    clearTimeout(timer);
    return exit.signal === 'SIGKILL';
  }

  const WRITE = /composite\/sobjects|batch\/(update|upsert|create)|unsubscribe/;

  async function writesSeen(): Promise<number> {
    const sfLog = await sf.admin<{ requests: { path: string }[] }>('GET', '/requests?limit=5000');
    const hsLog = await hs.requests(5000);
    return [...sfLog.requests, ...hsLog].filter((r) => WRITE.test(r.path)).length;
  }

  /**
   * Runs the command and kills it `extraMs` after its `nth` write reached an emulator: between a remote
   * write and the store update, the point crash safety is about. True when the kill landed.
   */
  async function killedAfterWrite(args: readonly string[], nth: number, extraMs: number): Promise<boolean> {
    const start = await writesSeen();
    const cli = run(process.execPath, [BIN, ...args], env);
    let done = false;
    void cli.exited.then(() => (done = true));
    while (!done && (await writesSeen()) - start < nth) await new Promise((r) => setTimeout(r, 5));
    if (!done) setTimeout(() => cli.child.kill('SIGKILL'), extraMs);
    const exit = await within(cli.exited, CEILING_MS, `crosswalk ${args.join(' ')}`);
    return exit.signal === 'SIGKILL';
  }

  async function complete(args: readonly string[]): Promise<string> {
    const cli = run(process.execPath, [BIN, ...args], env);
    const exit = await within(cli.exited, CEILING_MS, `crosswalk ${args.join(' ')}`);
    assert.equal(exit.code, 0, cli.stderr());
    return cli.stdout();
  }

  async function checkNoDuplicateNoneMissing(): Promise<void> {
    const sfNow = await sfByEmail();
    const hs = await hsEmails();
    assert.equal(new Set(hs).size, hs.length, 'no duplicate HubSpot contact');
    for (const [email, n] of sfNow) {
      assert.ok(hs.includes(email), `${email} is in HubSpot`);
      assert.equal(n, before0.get(email) ?? 1, `${email}: no duplicate Salesforce record`);
    }
    for (const email of hs) assert.ok(sfNow.has(email), `${email} is in Salesforce`);
  }

  before(async () => {
    sf = await startSalesforce({ seedCount: 150, seed: 11, latencyMs: 40 });
    hs = await startHubSpot({ seedCount: 150, seed: 11, latencyMs: 40 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-crash-'));
    env = emulatorEnv(sf.emulator, hs.emulator, dir);
    for (const [email, n] of await sfByEmail()) before0.set(email, n);
  });

  after(async () => {
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('T3 import: no duplicate, nothing missing', async () => {
    let landed = 0;
    for (const ms of kills(7, 4, 1000, 3000)) if (await killedAt(['import'], ms)) landed++;
    assert.ok(landed >= 2, `only ${landed} of 4 kills landed mid-import`);
    await complete(['import']);
    const hs = await hsEmails();
    for (const email of before0.keys()) assert.ok(hs.includes(email), `${email} was imported`);
    assert.equal(new Set(hs).size, hs.length, 'no duplicate HubSpot contact');
  });

  it('sync: no duplicate, nothing missing, no stale value; then a cycle writes nothing', async () => {
    // Leads whose email no other record shares (with a shared email, M4 decides which record is linked).
    const leads = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND IsConverted = false LIMIT 60',
      )
    ).records
      .filter((l) => before0.get(emailKey(l.Email)!) === 1)
      .slice(0, 20);
    assert.ok(leads.length >= 10);
    for (const [i, lead] of leads.entries())
      await sf.person.sobject('Lead').update({ Id: lead.Id, Title: `Crash-proof ${i} "q" \\ ✓` });
    let landed = 0;
    for (const ms of kills(13, 4, 0, 40)) if (await killedAfterWrite(['sync', '--once'], 1, ms)) landed++;
    assert.ok(landed >= 2, `only ${landed} of 4 kills landed mid-sync`);
    await complete(['sync', '--once']);
    await complete(['sync', '--once']);
    await checkNoDuplicateNoneMissing();
    for (const [i, lead] of leads.entries()) {
      const contact = await hs.client.crm.contacts.basicApi.getById(
        lead.Email.trim().toLowerCase(),
        ['jobtitle'],
        undefined,
        undefined,
        false,
        'email',
      );
      assert.equal(contact.properties.jobtitle, `Crash-proof ${i} "q" \\ ✓`, `${lead.Email} is up to date`);
    }
    const quiet = await complete(['sync', '--once']);
    assert.match(quiet, /wrote 0 Salesforce and 0 HubSpot records/);
  });
});
