/**
 * The query paths that use an index (SystemModstamp order for sync polls, the email index for
 * matching) must answer exactly what the full scan answers. Each query is asked twice: once in the
 * indexed shape and once with a harmless change that forces the scan, and the answers must agree —
 * across updates (stale index entries), same-second ties, clock steps backwards, deletes and queryAll.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

interface Row {
  Id: string;
  SystemModstamp: string;
}

describe('Salesforce emulator: indexed query paths agree with the scan', () => {
  let sf: SalesforceFixture;
  let clock = Date.UTC(2026, 2, 1, 12, 0, 0);
  before(async () => {
    sf = await startSalesforce({ now: () => clock, apiLimit: 100_000 });
  });
  after(() => sf.close());

  const ids = async (soql: string, scanAll = false) =>
    (await sf.conn.query<Row>(soql, { autoFetch: true, maxFetch: 100_000, scanAll })).records.map(
      (r) => r.Id,
    );

  it('SystemModstamp order: same answer as a sort, through ties, updates, deletes and a clock step back', async () => {
    const created: string[] = [];
    // 600 leads over 60 seconds: ten share each second.
    for (let batch = 0; batch < 3; batch++) {
      const records = Array.from({ length: 200 }, (_, i) => {
        const n = batch * 200 + i;
        return { LastName: `Poll ${n}`, Company: 'Poll', Email: `poll${n}@example.com` };
      });
      for (let i = 0; i < records.length; i += 10) {
        clock += 1000;
        const results = await sf.conn.sobject('Lead').create(records.slice(i, i + 10));
        for (const r of results) {
          assert.ok(r.success);
          created.push(r.id);
        }
      }
    }
    // Updates move records to the end (stale entries behind), some in one second.
    clock += 1000;
    const updated = await sf.conn
      .sobject('Lead')
      .update(created.slice(100, 140).map((Id) => ({ Id, Title: 'Moved' })));
    assert.ok(updated.every((r) => r.success));
    const from = new Date(Date.UTC(2026, 2, 1, 12, 0, 20)).toISOString().replace('.000Z', 'Z');
    const compare = async (when: string) => {
      for (const [where, limit] of [
        ['', ''],
        [`WHERE SystemModstamp >= ${from}`, ''],
        [`WHERE SystemModstamp > ${from} AND Company = 'Poll'`, 'LIMIT 150'],
        [`WHERE SystemModstamp >= ${from} AND Title = 'Moved'`, 'LIMIT 25'],
        ["WHERE Company = 'Poll'", 'LIMIT 2000'],
      ] as const) {
        const label = `${when}: ${where} ${limit}`;
        const indexed = await ids(
          `SELECT Id, SystemModstamp FROM Lead ${where} ORDER BY SystemModstamp ASC, Id ASC ${limit}`,
        );
        const scanned = await ids(
          `SELECT Id, SystemModstamp FROM Lead ${where} ORDER BY SystemModstamp ASC, Id ASC, LastName ASC ${limit}`,
        );
        assert.deepEqual(indexed, scanned, label);
        assert.ok(indexed.length > 0, `${label} matched nothing`);
        const all = await ids(
          `SELECT Id, SystemModstamp FROM Lead ${where} ORDER BY SystemModstamp, Id ${limit}`,
          true,
        );
        const allScanned = await ids(
          `SELECT Id, SystemModstamp FROM Lead ${where} ORDER BY SystemModstamp, Id, LastName ${limit}`,
          true,
        );
        assert.deepEqual(all, allScanned, `queryAll ${label}`);
      }
    };
    await compare('after updates');
    // A clock step backwards puts the index out of order: it must rebuild.
    clock -= 30_000;
    assert.ok((await sf.conn.sobject('Lead').update({ Id: created[5]!, Title: 'Back in time' })).success);
    clock += 60_000;
    assert.ok((await sf.conn.sobject('Lead').destroy(created[7]!)).success);

    await compare('after a clock step back and a delete');
    // The deleted lead is only in queryAll; the moved ones come last, ties by id.
    const everything = await ids('SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id');
    assert.equal(everything.length, 599);
    assert.ok(!everything.includes(created[7]!));
    assert.ok(
      (await ids('SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id', true)).includes(
        created[7]!,
      ),
    );
    assert.deepEqual(everything.slice(-40), [...created.slice(100, 140)].sort());
  });

  it('Email = / IN: same answer as the scan, case-insensitively, leads and contacts apart', async () => {
    const contact = await sf.conn.sobject('Contact').create({ LastName: 'Mail', Email: 'Poll3@Example.com' });
    assert.ok(contact.success);
    const emails = ['poll3@example.com', 'POLL4@EXAMPLE.COM', 'poll7@example.com', 'nobody@example.com'];
    const list = emails.map((e) => `'${e}'`).join(', ');
    for (const object of ['Lead', 'Contact']) {
      const indexed = await ids(
        `SELECT Id, SystemModstamp FROM ${object} WHERE Email IN (${list}) ORDER BY Id`,
      );
      const scanned = await ids(
        `SELECT Id, SystemModstamp FROM ${object} WHERE (Email IN (${list}) OR Email = 'x@none.invalid') ORDER BY Id`,
      );
      assert.deepEqual(indexed, scanned, object);
      const single = await ids(`SELECT Id, SystemModstamp FROM ${object} WHERE Email = 'POLL3@example.COM'`);
      assert.equal(single.length, 1, object);
    }
    // poll7's lead was deleted: /query leaves it out, /queryAll (which scans) has it.
    assert.equal(
      (await ids("SELECT Id, SystemModstamp FROM Lead WHERE Email = 'poll7@example.com'")).length,
      0,
    );
    assert.equal(
      (await ids("SELECT Id, SystemModstamp FROM Lead WHERE Email = 'poll7@example.com'", true)).length,
      1,
    );
  });
});
