/**
 * Faults stay local (issue 12, E2): with a steady trickle of transient failures on both APIs during a
 * first sync of 1,500 people, the cycle goes on past each fault — the records of the batches that did
 * not fail sync, those that did wait in the error log as transient — and once the faults stop,
 * everything converges with nothing lost and nothing duplicated.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, type World } from '../helpers/e2e.ts';
import { emailKey } from '../../src/core/matching.ts';
import type { CycleReport } from '../../src/engine/engine.ts';

describe('end to end: transient faults cost their batch, not the cycle (E2)', () => {
  let w: World;
  let offset = 0;

  before(async () => {
    w = await startWorld({ seedCount: 1500, seed: 3, now: () => Date.now() + offset });
  });
  after(() => w?.close());

  async function emails(): Promise<{ sf: Map<string, number>; hs: Map<string, number> }> {
    const count = (into: Map<string, number>, email: string | null | undefined) => {
      const key = emailKey(email);
      if (key) into.set(key, (into.get(key) ?? 0) + 1);
    };
    const sf = new Map<string, number>();
    for (const object of ['Lead', 'Contact']) {
      const where = object === 'Lead' ? 'Email != null AND IsConverted = false' : 'Email != null';
      const records = await w.sf.conn.query<{ Email: string }>(`SELECT Email FROM ${object} WHERE ${where}`, {
        autoFetch: true,
        maxFetch: 100_000,
      });
      for (const r of records.records) count(sf, r.Email);
    }
    const hs = new Map<string, number>();
    for (const c of await w.hs.client.crm.contacts.getAll(100, undefined, ['email']))
      count(hs, c.properties.email);
    return { sf, hs };
  }

  it('a first sync of 1,500 people with ≥ 10% of requests failing goes on, then converges with nothing lost', async () => {
    const seeded = await emails();
    const seededTwice = new Set([...seeded.sf].filter(([, n]) => n > 1).map(([e]) => e));
    // One request in 6 fails on each side, for as long as the faults last: HubSpot with a 502,
    // Salesforce with a 503 (the connectors' own retries absorb some; the rest reach the engine).
    await w.hs.admin('POST', '/faults', { kind: 'status', status: 502, every: 6, count: 100_000 });
    await w.sf.admin('POST', '/faults', { kind: 'status', status: 503, every: 6, count: 100_000 });
    let faulted: CycleReport;
    try {
      faulted = await w.service.engine.runOnce();
    } finally {
      await w.hs.admin('DELETE', '/faults');
      await w.sf.admin('DELETE', '/faults');
    }
    assert.ok(faulted.faults > 0, 'the cycle met faults and went on');
    assert.ok(faulted.synced > 0, 'the records of the batches that did not fail synced');
    const waiting = await w.service.store.errors({ category: 'connectivity' });
    assert.ok(waiting.length > 0, 'the records of the failed batches wait for a retry');
    assert.ok(
      waiting.every((e) => e.nextAttempt - e.lastSeen <= 60_000),
      'transient: retried within a minute',
    );

    // The faults have stopped: cycles (each one past the retries' backoff) until one writes nothing.
    for (let cycle = 0; cycle < 8; cycle++) {
      offset += 30 * 60_000;
      const report = await w.service.engine.runOnce();
      assert.equal(report.faults, 0);
      if (report.written.salesforce + report.written.hubspot === 0 && cycle > 0) break;
    }
    assert.deepEqual(
      await w.service.store.errors({ category: 'connectivity' }),
      [],
      'no transient error left',
    );
    const now = await emails();
    for (const [email, n] of now.hs) assert.equal(n, 1, `${email}: one HubSpot contact`);
    for (const [email, n] of now.sf)
      assert.equal(
        n,
        seededTwice.has(email) ? seeded.sf.get(email) : 1,
        `${email}: no duplicate Salesforce record`,
      );
    for (const email of now.hs.keys()) assert.ok(now.sf.has(email), `${email} reached Salesforce`);
    for (const email of now.sf.keys()) assert.ok(now.hs.has(email), `${email} reached HubSpot`);
  });
});
