/**
 * The plan context of a run (src/engine/plan-context.ts) against the real emulators: metadata is
 * read once per engine, again when the mappings name a property it does not know (F2), and — when
 * that read fails — again by the next run, never left stale; and again once it is 15 minutes old.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { overriding, startEngineWorld, type EngineWorld } from '../helpers/engine.ts';
import { DEFAULT_MAPPINGS } from '../../src/core/mappings.ts';
import type { Mapping } from '../../src/core/model.ts';
import type { PlanContext } from '../../src/core/sync-plan.ts';
import { loadPlanContext, METADATA_MAX_AGE_MS } from '../../src/engine/plan-context.ts';
import { engineDeps } from '../../src/engine/deps.ts';
import { engineMemory } from '../../src/engine/run.ts';

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

  it('V1: the metadata serves 15 minutes: a property option an admin adds reaches a long-running engine', async () => {
    let clock = Date.now();
    const timed = engineDeps(
      { salesforce: w.salesforce, hubspot: w.hubspot, store: w.store, now: () => clock },
      engineMemory(),
    );
    await loadPlanContext(timed, timed.memory.metadata);
    const options = (ctx: PlanContext) => ctx.hsProperties.get('hs_lead_status')!.options;
    const property = await w.hs.client.crm.properties.coreApi.getByName('contacts', 'hs_lead_status');
    await w.hs.client.crm.properties.coreApi.update('contacts', 'hs_lead_status', {
      options: [
        ...property.options,
        { label: 'Nurture', value: 'NURTURE', hidden: false, displayOrder: property.options.length },
      ],
    });
    clock += METADATA_MAX_AGE_MS - 1;
    const cached = await w.measure(() => loadPlanContext(timed, timed.memory.metadata));
    assert.equal(cached.hsCalls, 0, 'within 15 minutes: the cached metadata');
    assert.ok(!options(cached.result).includes('NURTURE'));
    clock += 1;
    const fresh = await loadPlanContext(timed, timed.memory.metadata);
    assert.ok(options(fresh).includes('NURTURE'), 'past 15 minutes: read again');
  });
});
