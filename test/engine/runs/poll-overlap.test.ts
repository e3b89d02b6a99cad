/**
 * Issue 15: the HubSpot poll re-reads the overlap before its newest change (search lags writes), but
 * not forever: once a poll has read everything up to an overlap past that change, a quiet HubSpot
 * costs one search a poll, whatever the size of the last burst.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEngineWorld, type EngineWorld } from '../../helpers/engine.ts';
import { poll } from '../../../src/engine/runs/poll.ts';

const SEARCH = '/crm/v3/objects/contacts/search';

describe('HubSpot poll overlap (issue 15)', () => {
  let w: EngineWorld;
  let offset = 0;
  before(async () => {
    w = await startEngineWorld({ now: () => Date.now() + offset });
  });
  after(() => w?.close());

  const searches = async () => {
    const cost = await w.measure(() => w.run('run', (run) => poll(w.deps, run)));
    return cost.hsRequests.filter((r) => r.path.startsWith(SEARCH)).length;
  };

  it('a burst is read again only while it is inside the overlap; then an idle poll is one search', async () => {
    for (let batch = 0; batch < 5; batch++)
      await w.hs.client.crm.contacts.batchApi.create({
        inputs: Array.from({ length: 100 }, (_, i) => ({
          properties: { email: `burst-${batch}-${i}@example.com`, lastname: `Burst ${i}` },
          associations: [],
        })),
      });
    const first = await w.run('run', (run) => poll(w.deps, run));
    assert.equal(first.report.changes.hubspot, 500, 'the burst was read and synced');
    // Right after: the 500 contacts (and Crosswalk's own id writes) are inside the overlap.
    assert.ok((await searches()) > 1, 'the overlap is read again');
    offset += 120_000;
    // Two minutes on: the first poll after reads up to now, which moves the overlap past the burst.
    await searches();
    assert.equal(await searches(), 1, 'a quiet HubSpot costs one search');
    assert.equal(await searches(), 1);
  });
});
