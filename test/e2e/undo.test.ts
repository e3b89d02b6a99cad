/**
 * U2 end to end, at scale: a run changes 1,000 records on both sides (a person's edits on both sides,
 * Two-way, then one sync cycle), some are edited by a person afterwards, some opted out in the same
 * run. Its undo, previewed first (reads only), restores both emulators where the values still hold
 * what the run wrote, skips and lists the ones edited since, leaves every opt-out as it was, and reads
 * and writes in batches; the next poll leaves the restored values be; undoing the undo puts them back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LoggedRequest } from '../../src/emulators/shared/request-log.ts';
import type { UndoAnswer } from '../../src/api/undo-contract.ts';
import { undo } from '../../src/app/undo-ops.ts';
import { getRun } from '../../src/app/console-ops.ts';
import { hsUnsubscribe, nextSecond, setRule, startWorld, type World } from '../helpers/e2e.ts';
import type { SalesforceFixture } from '../helpers/salesforce.ts';
import type { HubSpotFixture } from '../helpers/hubspot.ts';

const N = 1000;
const email = (i: number) => `p${i}@undo.example`;
/** A person edits these afterwards: HubSpot phone of the first 50, Salesforce Title of the last 50. */
const EDITED_HS = 50;
const EDITED_SF = N - 50;
/** Opted out in the run: 20 leads in Salesforce, 20 contacts in HubSpot (O1). */
const OPT_SF = new Set(Array.from({ length: 20 }, (_, i) => 100 + i));
const OPT_HS = new Set(Array.from({ length: 20 }, (_, i) => 200 + i));

interface Lead {
  Id: string;
  Email: string;
  Title: string | null;
  Phone: string | null;
  HasOptedOutOfEmail: boolean;
}

/** A person's collection write in Salesforce (their session), 200 records a call. */
async function sfPerson(sf: SalesforceFixture, method: 'POST' | 'PATCH', records: object[]): Promise<void> {
  for (let i = 0; i < records.length; i += 200) {
    const results = await sf.person.request<{ success: boolean }[]>({
      method,
      url: '/services/data/v60.0/composite/sobjects',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ allOrNone: true, records: records.slice(i, i + 200) }),
    });
    assert.ok(results.every((r) => r.success));
  }
}

async function leads(sf: SalesforceFixture): Promise<Lead[]> {
  const found = await sf.conn.query<Lead>('SELECT Id, Email, Title, Phone, HasOptedOutOfEmail FROM Lead');
  return [...found.records].sort(
    (a, b) => Number(a.Email.slice(1).split('@')[0]) - Number(b.Email.slice(1).split('@')[0]),
  );
}

async function contacts(hs: HubSpotFixture): Promise<Record<string, string | null>[]> {
  const out: Record<string, string | null>[] = [];
  for (let i = 0; i < N; i += 100) {
    const page = await hs.client.crm.contacts.batchApi.read({
      inputs: Array.from({ length: Math.min(100, N - i) }, (_, k) => ({ id: email(i + k) })),
      idProperty: 'email',
      properties: ['email', 'phone', 'jobtitle', 'hs_email_optout'],
      propertiesWithHistory: [],
    });
    const byEmail = new Map(page.results.map((c) => [c.properties.email, { id: c.id, ...c.properties }]));
    for (let k = 0; k < Math.min(100, N - i); k++) out.push(byEmail.get(email(i + k))!);
  }
  return out;
}

async function hsPerson(hs: HubSpotFixture, inputs: { id: string; properties: Record<string, string> }[]) {
  for (let i = 0; i < inputs.length; i += 100)
    await hs.client.crm.contacts.batchApi.update({ inputs: inputs.slice(i, i + 100) });
}

const requests = async (w: World) => ({
  sf: (await w.sf.admin<{ requests: LoggedRequest[] }>('GET', '/requests?limit=1000')).requests,
  hs: await w.hs.requests(1000),
});
/** The entries of `now` after the newest of `old` (the log keeps 1,000: fewer came since). */
function newer(now: LoggedRequest[], old: LoggedRequest[]): LoggedRequest[] {
  const last = old.at(-1);
  if (!last) return now;
  const same = (r: LoggedRequest) =>
    r.at === last.at && r.method === last.method && r.path === last.path && r.durationMs === last.durationMs;
  const i = now.findLastIndex(same);
  assert.ok(i >= 0, 'the log still holds the last request seen before');
  return now.slice(i + 1);
}

/** The requests each emulator served since `before`. */
async function since(w: World, before: Awaited<ReturnType<typeof requests>>) {
  const now = await requests(w);
  return { sf: newer(now.sf, before.sf), hs: newer(now.hs, before.hs) };
}

describe('U2: undo of a run that changed 1,000 records in both systems', { timeout: 600_000 }, () => {
  let w: World;
  let runB: string;
  let preview: UndoAnswer;
  let undone: UndoAnswer;

  before(async () => {
    w = await startWorld();
    await setRule(w.service, 'jobtitle', 'two_way');
    await setRule(w.service, 'phone', 'two_way');
    const created = Array.from({ length: N }, (_, i) => ({
      attributes: { type: 'Lead' },
      LastName: `Person ${i}`,
      Company: 'Undo Inc',
      Email: email(i),
      Title: `Engineer ${i}`,
      Phone: `555-${i}`,
    }));
    await sfPerson(w.sf, 'POST', created);
    const first = await w.service.exclusive(() => w.service.engine.runOnce());
    assert.equal(first.created.hubspot, N, 'run A: every lead has its contact');
    await nextSecond();

    // The person's edits on both sides, then the run that changes 1,000 records in each.
    const sfLeads = await leads(w.sf);
    await sfPerson(
      w.sf,
      'PATCH',
      sfLeads.map((l, i) => ({
        attributes: { type: 'Lead' },
        id: l.Id,
        Phone: `777-${i}`,
        ...(OPT_SF.has(i) ? { HasOptedOutOfEmail: true } : {}),
      })),
    );
    const hsContacts = await contacts(w.hs);
    await hsPerson(
      w.hs,
      hsContacts.map((c, i) => ({ id: c.id!, properties: { jobtitle: `Director ${i}` } })),
    );
    for (const i of OPT_HS) await hsUnsubscribe(w.hs, email(i));
    await nextSecond();
    const b = await w.service.exclusive(() => w.service.engine.runOnce());
    runB = b.runId;
    assert.equal(b.written.salesforce, N, 'run B wrote every lead (Title, from HubSpot)');
    assert.equal(b.written.hubspot, N, 'and every contact (phone, from Salesforce)');
    await nextSecond();

    // Edited by a person since run B.
    await hsPerson(
      w.hs,
      hsContacts.slice(0, EDITED_HS).map((c, i) => ({ id: c.id!, properties: { phone: `999-${i}` } })),
    );
    await sfPerson(
      w.sf,
      'PATCH',
      sfLeads
        .slice(EDITED_SF)
        .map((l, k) => ({ attributes: { type: 'Lead' }, id: l.Id, Title: `Chief ${EDITED_SF + k}` })),
    );
    await nextSecond();
  });
  after(() => w.close());

  it('U2: the preview reports what the undo would do, from reads only (the request logs show no write)', async () => {
    const before = await requests(w);
    const answer = await undo(w.service, runB, { preview: true, includeCreates: false });
    assert.ok(answer.ok, JSON.stringify(answer));
    preview = answer.value;
    const served = await since(w, before);
    assert.ok(
      served.sf.every((r) => r.method === 'GET'),
      JSON.stringify(served.sf.map((r) => r.method)),
    );
    assert.ok(
      served.hs.every((r) => /\/batch\/read$/.test(r.path)),
      'HubSpot: batch reads only',
    );
    assert.equal(preview.undoRunId, null);
    assert.deepEqual(preview.undo.restored, { salesforce: N - 50, hubspot: N - 50 });
    assert.deepEqual(preview.undo.byField, [
      { system: 'hubspot', field: 'phone', count: N - 50 },
      { system: 'salesforce', field: 'Title', count: N - 50 },
    ]);
    assert.deepEqual(preview.undo.skippedByReason, { changed_since: 100, opt_out: 40 });
  });

  it('U2: restores both emulators, skips and lists the ones edited since, in batches of 100', async () => {
    const before = await requests(w);
    const answer = await undo(w.service, runB, { preview: false, includeCreates: false });
    assert.ok(answer.ok, JSON.stringify(answer));
    undone = answer.value;
    assert.ok(undone.undoRunId?.startsWith('undo-'));
    const { listed, ...counts } = undone.undo;
    const { listed: previewed, ...expected } = preview.undo;
    assert.deepEqual({ ...counts, preview: true }, expected, 'the undo did what the preview said');
    assert.deepEqual(listed, previewed);

    // Batches: a read and a write of 100 per call on each side, never a call per record.
    const served = await since(w, before);
    const hsPaths = served.hs.map((r) => r.path.replace(/\?.*/, ''));
    assert.equal(hsPaths.filter((p) => p.endsWith('/batch/read')).length, N / 100);
    assert.equal(hsPaths.filter((p) => p.endsWith('/batch/update')).length, N / 100);
    assert.equal(served.hs.length, 2 * (N / 100), JSON.stringify(hsPaths));
    assert.equal(served.sf.filter((r) => r.method === 'GET' && r.path.includes('/query')).length, N / 100);
    assert.equal(served.sf.filter((r) => r.method === 'PATCH').length, N / 100);
    assert.equal(served.sf.length, 2 * (N / 100));
    assert.deepEqual(undone.calls, { salesforce: served.sf.length, hubspot: served.hs.length });

    const now = await contacts(w.hs);
    const sfNow = await leads(w.sf);
    for (let i = 0; i < N; i++) {
      assert.equal(now[i]!.phone, i < EDITED_HS ? `999-${i}` : `555-${i}`, `HubSpot phone of ${i}`);
      assert.equal(sfNow[i]!.Title, i >= EDITED_SF ? `Chief ${i}` : `Engineer ${i}`, `Title of ${i}`);
      assert.equal(now[i]!.jobtitle, `Director ${i}`, 'what the run did not write stays');
      assert.equal(sfNow[i]!.Phone, `777-${i}`);
    }
    // Skipped and listed: the 100 edited since, with what they hold now; the 40 opt-outs.
    const changed = listed.filter((item) => item.reason === 'changed_since');
    assert.equal(changed.length, 100);
    assert.deepEqual(
      new Set(changed.filter((c) => c.system === 'hubspot').map((c) => c.current)),
      new Set(Array.from({ length: EDITED_HS }, (_, i) => `999-${i}`)),
    );
    assert.ok(changed.filter((c) => c.system === 'salesforce').every((c) => /^Chief /.test(c.current ?? '')));
    assert.equal(listed.filter((item) => item.reason === 'opt_out').length, 40);
  });

  it('O1: every opt-out stays as it was, in both systems', async () => {
    const now = await contacts(w.hs);
    const sfNow = await leads(w.sf);
    for (let i = 0; i < N; i++) {
      const opted = OPT_SF.has(i) || OPT_HS.has(i);
      assert.equal(now[i]!.hs_email_optout === 'true', opted, `HubSpot opt-out of ${i}`);
      assert.equal(sfNow[i]!.HasOptedOutOfEmail, opted, `Salesforce opt-out of ${i}`);
    }
  });

  it('U2: the undo is a run of its own, kept with the run it undid; the next poll leaves its values be', async () => {
    const kept = await getRun(w.service.store, undone.undoRunId!, { limit: 1, offset: 0 });
    assert.ok(kept.ok);
    assert.equal(kept.value.run.kind, 'undo');
    assert.equal(kept.value.run.undoes, runB);
    assert.equal(kept.value.total, 2 * (N - 50), 'its own ledger: every value it restored');
    // V1, U2: the ledger of run B says who changed each Salesforce field last before it wrote: the rep.
    const rep = await w.sf.conn.query<{ Id: string }>(
      "SELECT Id FROM User WHERE Username = 'sam.rivera@crosswalk.example'",
    );
    const ledger = (await w.service.store.auditOfRun(runB, { limit: 3000, offset: 0 })).entries;
    const titles = ledger.filter((e) => e.system === 'salesforce' && e.field === 'Title');
    assert.equal(titles.length, N);
    assert.ok(titles.every((e) => e.changedBy === rep.records[0]!.Id && typeof e.changedAt === 'number'));
    const of = await getRun(w.service.store, runB, { limit: 1, offset: 0 });
    assert.ok(of.ok);
    assert.deepEqual(of.value.undoneBy, [undone.undoRunId]);

    await w.service.exclusive(() => w.service.engine.runOnce());
    const now = await contacts(w.hs);
    const sfNow = await leads(w.sf);
    // Neither flipped back nor carried to the other side: the two sides differ, as before the run.
    for (let i = EDITED_HS; i < N; i++) {
      assert.equal(now[i]!.phone, `555-${i}`, `phone of ${i} stays restored`);
      assert.equal(sfNow[i]!.Phone, `777-${i}`, `Salesforce Phone of ${i} stays`);
    }
    for (let i = 0; i < EDITED_SF; i++) {
      assert.equal(sfNow[i]!.Title, `Engineer ${i}`, `Title of ${i} stays restored`);
      assert.equal(now[i]!.jobtitle, `Director ${i}`, `HubSpot jobtitle of ${i} stays`);
    }
  });

  it('U2: undoing the undo puts the values back', async () => {
    const answer = await undo(w.service, undone.undoRunId!, { preview: false, includeCreates: false });
    assert.ok(answer.ok, JSON.stringify(answer));
    assert.deepEqual(answer.value.undo.restored, { salesforce: N - 50, hubspot: N - 50 });
    const now = await contacts(w.hs);
    const sfNow = await leads(w.sf);
    for (let i = EDITED_HS; i < N; i++)
      assert.equal(now[i]!.phone, `777-${i}`, `phone of ${i}: the run's again`);
    for (let i = 0; i < EDITED_SF; i++)
      assert.equal(sfNow[i]!.Title, `Director ${i}`, `Title of ${i}: the run's again`);
    for (let i = 0; i < N; i++)
      assert.equal(now[i]!.hs_email_optout === 'true', OPT_SF.has(i) || OPT_HS.has(i), `opt-out of ${i}`);
    const kept = await w.service.store.run(answer.value.undoRunId!);
    assert.equal(kept?.undoes, undone.undoRunId);
  });
});
