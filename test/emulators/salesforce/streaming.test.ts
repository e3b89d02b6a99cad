/**
 * The Salesforce emulator's Streaming API and change events (issue 15), through jsforce's own
 * streaming client (faye, CometD long polling), as a subscriber meets Salesforce's.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { startSalesforce, API_VERSION, type SalesforceFixture } from '../../helpers/salesforce.ts';
import { closeFayeClient, type FayeClient } from '../../../src/connectors/salesforce/change-stream.ts';

interface Delivered {
  readonly payload: { readonly ChangeEventHeader: Record<string, unknown> } & Record<string, unknown>;
  readonly event: { readonly replayId: number };
}
interface FayeSubscription {
  callback(fn: () => void): void;
  errback(fn: (error: { code: number; message: string }) => void): void;
}
type Faye = Omit<FayeClient, 'subscribe'> & {
  subscribe(channel: string, listener: (data: Delivered) => void): FayeSubscription;
};

let sf: SalesforceFixture | undefined;
const clients: Faye[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => closeFayeClient(c as unknown as FayeClient)));
  await sf?.close();
  sf = undefined;
});

/** A faye client of jsforce's, asking for `replay` on `channel` (the Replay extension's shape). */
function clientOf(conn: Connection, replay: Record<string, number> = {}): Faye {
  const extension = {
    outgoing(message: { channel: string; subscription?: string; ext?: object }, next: (m: unknown) => void) {
      if (message.channel === '/meta/subscribe' && message.subscription! in replay)
        message.ext = { replay: { [message.subscription!]: replay[message.subscription!] } };
      next(message);
    },
  };
  const client = conn.streaming.createClient([extension]) as unknown as Faye;
  clients.push(client);
  return client;
}

/** Subscribes; resolves with the events delivered so far (a live array) or rejects with the refusal. */
function subscribe(client: Faye, channel: string): Promise<Delivered[]> {
  const got: Delivered[] = [];
  return new Promise((resolve, reject) => {
    const s = client.subscribe(channel, (data) => got.push(data));
    s.callback(() => resolve(got));
    s.errback((error) => reject(new Error(`${error.code}::${error.message}`)));
  });
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail('not within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Salesforce emulator: change events on the Streaming API', () => {
  it('delivers CREATE, UPDATE and DELETE events with the real header: who committed, what changed, replay ids', async () => {
    sf = await startSalesforce();
    const got = await subscribe(clientOf(sf.conn), '/data/LeadChangeEvent');
    const created = await sf.person
      .sobject('Lead')
      .create({ LastName: 'Ng', Company: 'X', Email: 'ng@ev.example' });
    const id = (created as { id: string }).id;
    await sf.person.sobject('Lead').update({ Id: id, Title: 'CTO' });
    await sf.conn.sobject('Lead').destroy(id);
    await until(() => got.length === 3);
    const [create, update, remove] = got.map((e) => e.payload.ChangeEventHeader);
    const rep = sf.emulator.org.users.find((u) => u.username === 'sam.rivera@crosswalk.example')!.id;
    assert.equal(create!.changeType, 'CREATE');
    assert.deepEqual(create!.recordIds, [id]);
    assert.equal(create!.commitUser, rep);
    assert.equal(got[0]!.payload.Email, 'ng@ev.example');
    assert.equal(update!.changeType, 'UPDATE');
    assert.deepEqual([...(update!.changedFields as string[])].sort(), ['LastModifiedDate', 'Title']);
    assert.equal(got[1]!.payload.Title, 'CTO');
    assert.equal(got[1]!.payload.Company, undefined, 'an update carries only what changed');
    assert.equal(remove!.changeType, 'DELETE');
    assert.equal(remove!.commitUser, sf.emulator.org.defaultUserId, 'deleted by the integration user');
    for (const h of [create, update, remove]) {
      assert.equal(h!.entityName, 'Lead');
      assert.equal(typeof h!.transactionKey, 'string');
      assert.equal(typeof h!.commitTimestamp, 'number');
    }
    const ids = got.map((e) => e.event.replayId);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(new Set(ids).size, 3);
  });

  it('a write rolled back (allOrNone) publishes nothing; a Contact is not on the Lead channel', async () => {
    sf = await startSalesforce();
    const got = await subscribe(clientOf(sf.conn), '/data/LeadChangeEvent');
    const failed = await sf.conn.requestPost(`/services/data/v${API_VERSION}/composite/sobjects`, {
      allOrNone: true,
      records: [
        { attributes: { type: 'Lead' }, LastName: 'Ok', Company: 'X' },
        { attributes: { type: 'Lead' }, Company: 'No last name' },
      ],
    });
    assert.ok((failed as { success: boolean }[]).every((r) => !r.success));
    await sf.person.sobject('Contact').create({ LastName: 'Other' });
    await sf.person.sobject('Lead').create({ LastName: 'Seen', Company: 'X' });
    await until(() => got.length === 1);
    assert.equal(got[0]!.payload.LastName, 'Seen');
  });

  it('replays from an id in the window, every retained event with -2; an id out of the window is refused word for word', async () => {
    let offset = 0;
    sf = await startSalesforce({ now: () => Date.now() + offset });
    for (const name of ['A', 'B', 'C'])
      await sf.person.sobject('Lead').create({ LastName: name, Company: 'X' });
    const all = await subscribe(clientOf(sf.conn, { '/data/LeadChangeEvent': -2 }), '/data/LeadChangeEvent');
    await until(() => all.length === 3);
    const first = all[0]!.event.replayId;
    const after = await subscribe(
      clientOf(sf.conn, { '/data/LeadChangeEvent': first }),
      '/data/LeadChangeEvent',
    );
    await until(() => after.length === 2);
    assert.deepEqual(
      after.map((e) => e.payload.LastName),
      ['B', 'C'],
    );
    offset = 73 * 3_600_000; // past the 72-hour retention
    await assert.rejects(
      subscribe(clientOf(sf.conn, { '/data/LeadChangeEvent': first }), '/data/LeadChangeEvent'),
      // (faye cannot parse this message's braces into a code: it keeps the text whole, as with Salesforce.)
      new RegExp(
        `400::The replayId \\{${first}\\} you provided was invalid\\.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events\\.$`,
      ),
    );
  });

  it('a channel of an entity not selected for change data capture does not exist; a bad session is denied', async () => {
    sf = await startSalesforce({ changeEvents: ['Contact'] });
    await assert.rejects(
      subscribe(clientOf(sf.conn), '/data/LeadChangeEvent'),
      /400::The channel you requested to subscribe to does not exist \/data\/LeadChangeEvent/,
    );
    await subscribe(clientOf(sf.conn), '/data/ContactChangeEvent');
    const stranger = new Connection({
      instanceUrl: sf.emulator.url,
      accessToken: 'not-a-session',
      version: API_VERSION,
    });
    const denied = await new Promise<unknown>((resolve) => {
      const client = stranger.streaming.createClient([
        {
          incoming(message: { channel: string; successful?: boolean }, next: (m: unknown) => void) {
            if (message.channel === '/meta/handshake' && message.successful === false) resolve(message);
            next(message);
          },
        },
      ]) as unknown as Faye;
      clients.push(client);
      client.subscribe('/data/ContactChangeEvent', () => {});
    });
    assert.deepEqual(
      {
        error: (denied as { error: string }).error,
        reason: (denied as { ext: { sfdc: { failureReason: string } } }).ext.sfdc.failureReason,
        reconnect: (denied as { advice: { reconnect: string } }).advice.reconnect,
      },
      { error: '403::Handshake denied', reason: '401::Authentication invalid', reconnect: 'none' },
    );
  });

  it('streaming requests are logged and counted apart, never against the daily API allocation', async () => {
    sf = await startSalesforce();
    const client = clientOf(sf.conn);
    await subscribe(client, '/data/LeadChangeEvent');
    await closeFayeClient(client as unknown as FayeClient); // answers the held connect: every request is then in the log
    const usage = () => sf!.admin<{ apiRequests: number; streamingRequests: number }>('GET', '/usage');
    const cometdLog = async () =>
      (
        await sf!.admin<{ requests: { path: string; counted: boolean }[] }>('GET', '/requests')
      ).requests.filter((r) => r.path.startsWith('/cometd/'));
    let cometd = await cometdLog();
    const deadline = Date.now() + 10_000;
    while (cometd.length < (await usage()).streamingRequests && Date.now() < deadline)
      cometd = await cometdLog();
    const used = await usage();
    assert.equal(used.apiRequests, 0);
    assert.ok(used.streamingRequests >= 3, 'the handshake, the connects and the subscribe');
    assert.equal(cometd.length, used.streamingRequests, JSON.stringify(cometd));
    assert.ok(cometd.every((r) => !r.counted));
  });
});
