/**
 * U1: the preview route's body and answer (`POST /api/preview`), apart from contract.ts, which
 * declares the route. A body names what to preview; the answer is the report of `app/preview-ops.ts`.
 */
import { z } from 'zod';
import { sfPersonObjects, syncRules } from '../core/model.ts';

const text = (fix: string) => z.string({ error: fix }).min(1, { error: fix });
const Rule = z.enum(syncRules, { error: `Use one of: ${syncRules.join(', ')}.` });
const Table = z.record(z.string(), z.string());

export const PreviewBody = z.discriminatedUnion(
  'kind',
  [
    z.object({
      kind: z.literal('setting'),
      key: text('Give the setting to change (`GET /api/settings` lists them).'),
      value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
    }),
    z.object({
      kind: z.literal('mapping_rule'),
      hsProperty: text('Give the HubSpot property of the mapping.'),
      rule: Rule,
    }),
    z.object({
      kind: z.literal('mapping_add'),
      hsProperty: text('Give the HubSpot property to map.'),
      sfField: text('Give the Salesforce field to map.'),
      rule: Rule.optional(),
    }),
    z.object({
      kind: z.literal('mapping_remove'),
      hsProperty: text('Give the HubSpot property of the mapping.'),
    }),
    z.object({
      kind: z.literal('value_map'),
      hsProperty: text('Give the HubSpot property of the mapping.'),
      map: z.object({ toSalesforce: Table, toHubSpot: Table }).nullable(),
    }),
    z.object({
      kind: z.literal('import'),
      objects: z
        .array(z.enum(sfPersonObjects, { error: 'Use Lead or Contact.' }))
        .min(1, { error: 'Give at least one object: Lead, Contact.' }),
      since: z.number().int().nonnegative().optional(),
    }),
    z.object({
      kind: z.literal('resync_segment'),
      segmentId: text('Give the HubSpot list id of the segment.'),
    }),
    z.object({ kind: z.literal('reconcile') }),
  ],
  {
    error:
      'Say what to preview: kind is setting, mapping_rule, mapping_add, mapping_remove, value_map, import, resync_segment or reconcile.',
  },
);
export type PreviewBody = z.infer<typeof PreviewBody>;

const Sides = z.object({ salesforce: z.number(), hubspot: z.number() });
const Fields = z.record(z.string(), z.object({ set: z.number(), cleared: z.number() }));
const SystemTally = z.object({
  created: z.record(z.string(), z.number()),
  updated: z.number(),
  deleted: z.number(),
  fields: Fields,
});
const Estimate = z.object({ value: z.number(), low: z.number(), high: z.number() });

export const PreviewAnswer = z.object({
  /** What was previewed: the change and the run it feeds. */
  what: z.string(),
  report: z.object({
    /** The previewed run's report: what the applied run would report. */
    run: z.object({
      changes: Sides,
      planned: z.number(),
      synced: z.number(),
      skipped: z.number(),
      failed: z.number(),
      written: Sides,
      created: Sides,
      linked: z.number(),
      paused: z.object({ why: z.string() }).nullable(),
    }),
    writes: z.object({
      salesforce: SystemTally,
      hubspot: SystemTally.extend({ optOuts: z.number(), primaryCompanies: z.number() }),
      calls: Sides,
    }),
    errors: z
      .array(
        z.object({
          category: z.string(),
          code: z.string(),
          direction: z.string(),
          records: z.number(),
          examples: z.array(z.string()).readonly(),
        }),
      )
      .readonly(),
    duplicates: z.number(),
    calls: z.object({ spent: Sides, apply: Sides }),
    sample: z
      .object({
        rate: z.number(),
        scope: z.number(),
        confidence: z.number(),
        estimates: z.object({
          planned: Estimate,
          synced: Estimate,
          failed: Estimate,
          created: Estimate,
          written: Estimate,
        }),
      })
      .nullable(),
  }),
});
export type PreviewAnswer = z.infer<typeof PreviewAnswer>;
