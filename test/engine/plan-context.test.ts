/**
 * The plan context of a run (src/engine/plan-context.ts) against the real emulators: metadata is
 * read once per engine, again when the mappings name a property it does not know (F2), and — when
 * that read fails — again by the next run, never left stale.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { overriding, startEngineWorld, type EngineWorld } from '../helpers/engine.ts';
import { DEFAULT_MAPPINGS } from '../../src/core/mappings.ts';
import type { Mapping } from '../../src/core/model.ts';
import type { PlanContext } from '../../src/core/sync-plan.ts';
import { loadPlanContext } from '../../src/engine/plan-context.ts';

describe('the plan context: metadata read once, and again when a mapping names something new', () => {
  let w: EngineWorld;
  before(async () => {
    w = await startEngineWorld();
  });
  after(() => w?.close());

  const contextOf = async (deps = w.deps): Promise<PlanContext> => {
    let ctx: PlanContext | undefined;
    await w.run(
      'run',
      (run) => {
        ctx = run.ctx;
        return Promise.resolve();
      },
      deps,
    );
    return ctx!;
  };

  it('F2: a new mapping re-reads metadata; a read that failed is tried again by the next run', async () => {
    await contextOf();
    const reuse = await w.measure(() => contextOf());
    assert.equal(reuse.hsCalls, 0, 'metadata is read once per engine: no HubSpot call the second time');

    await w.hs.client.crm.properties.coreApi.create('contacts', {
      name: 'pager_line',
      label: 'Pager line',
      type: 'string' as never,
      fieldType: 'text' as never,
      groupName: 'contactinformation',
    });
    const mapping: Mapping = {
      ...DEFAULT_MAPPINGS.find((m) => m.sfField === 'MobilePhone')!,
      hsProperty: 'pager_line',
    };
    await w.store.saveMappings([...DEFAULT_MAPPINGS, mapping]);

    const down = w.depsWith({
      hubspot: overriding(w.hubspot, { properties: () => Promise.reject(new Error('HubSpot is down')) }),
    });
    await assert.rejects(contextOf(down), /HubSpot is down/);
    const ctx = await loadPlanContext(w.deps, w.deps.memory.metadata);
    assert.ok(ctx.hsProperties.has('pager_line'), 'the next run reads the metadata the failed one could not');
  });
});
