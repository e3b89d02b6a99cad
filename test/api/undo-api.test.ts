/**
 * U2 over HTTP: `POST /api/runs/:runId/undo` through the typed client, against both emulators and the
 * service: a preview (reads only), the undo (a run of its own, shown as undoing the run it undid, and
 * listed on that run), and the refusals, each naming the field at fault and the fix.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type ApiServer } from '../../src/server/http-api.ts';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { refusal, value } from '../helpers/api.ts';
import { hsByEmail, hsUpdate, nextSecond, sfCreate, startWorld, type World } from '../helpers/e2e.ts';

describe('U2: POST /api/runs/:runId/undo', () => {
  let world: World;
  let server: ApiServer;
  let api: ApiClient;
  let runId: string;

  before(async () => {
    world = await startWorld();
    server = await startApiServer(world.service, { host: '127.0.0.1', port: 0, token: undefined });
    api = createApiClient({ baseUrl: server.url });
    await sfCreate(world.sf, 'Lead', { LastName: 'Ng', Company: 'X', Email: 'ng@api.example', Title: 'CTO' });
    await world.service.exclusive(() => world.service.engine.runOnce());
    await nextSecond();
    const contact = (await hsByEmail(world.hs, 'ng@api.example', []))!;
    await hsUpdate(world.hs, contact.id, { jobtitle: 'Chief' });
    await nextSecond();
    // The run to undo: a resync writes Salesforce's Title back over HubSpot's (Prefer Salesforce).
    runId = (await world.service.exclusive(() => world.service.engine.resync({ hsContactId: contact.id })))
      .runId;
  });
  after(async () => {
    await server?.close();
    await world?.close();
  });

  it('U2: previews, then undoes; the undo is a run that names the run it undid, listed on it', async () => {
    const preview = value(await api.undoRun(runId, { preview: true }));
    assert.equal(preview.undoRunId, null);
    assert.deepEqual(preview.undo.byField, [{ system: 'hubspot', field: 'jobtitle', count: 1 }]);
    assert.equal((await hsByEmail(world.hs, 'ng@api.example', ['jobtitle']))?.properties.jobtitle, 'CTO');

    const done = value(await api.undoRun(runId));
    assert.deepEqual(done.undo.restored, { salesforce: 0, hubspot: 1 });
    assert.equal((await hsByEmail(world.hs, 'ng@api.example', ['jobtitle']))?.properties.jobtitle, 'Chief');
    const undoRun = value(await api.run(done.undoRunId!));
    assert.equal(undoRun.run.kind, 'undo');
    assert.equal(undoRun.run.undoes, runId);
    assert.deepEqual(
      undoRun.writes.map((w) => [w.field, w.oldValue, w.newValue]),
      [['jobtitle', 'CTO', 'Chief']],
    );
    assert.deepEqual(value(await api.run(runId)).undoneBy, [done.undoRunId]);
    assert.ok(value(await api.runs({ kind: 'undo' })).runs.some((r) => r.runId === done.undoRunId));
  });

  it('U2: refusals name the field and the fix', async () => {
    const unknown = refusal(await api.undoRun('run-0-0'), 404);
    assert.deepEqual([unknown.code, unknown.field], ['unknown_run', 'runId']);
    assert.match(unknown.fix, /crosswalk runs/);
    const body = refusal(await api.undoRun(runId, { preview: 'yes' } as never), 400);
    assert.deepEqual([body.code, body.field], ['invalid_request', 'preview']);
    assert.match(body.fix, /true or false/);
    const extra = refusal(await api.undoRun(runId, { force: true } as never), 400);
    assert.match(extra.fix, /Only "preview" and "includeCreates"/);
  });
});
