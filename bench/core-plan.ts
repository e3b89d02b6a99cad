/**
 * The cost of planning one contact with every default mapping (issue 4 aims at ≤ 20 µs). Pure CPU:
 * the same inputs the engine hands the core, built once; `planSync` called in a loop.
 */
import { planSync } from '../src/core/plan.ts';
import { context, hsContact, inputOf, sfRecord, T0, type PlanWorld } from '../test/core/world.ts';
import type { BenchResult } from './stats.ts';
import type { PlanInput } from '../src/core/sync-plan.ts';

const LEAD = {
  Email: 'ada.lovelace@example.com',
  FirstName: 'Ada',
  LastName: 'Lovelace',
  Company: 'Analytical Engines Ltd',
  Title: 'Engineer',
  Phone: '+44 20 7946 0000',
  Fax: '+44 20 7946 0001',
  Description: 'Met at the demo day; interested in the difference engine.',
  City: 'London',
  State: 'Greater London',
  Country: 'United Kingdom',
  PostalCode: 'NW1 6XE',
  Street: '12 St James Square',
  Website: 'https://example.com',
  Industry: 'Engineering',
  AnnualRevenue: 1_250_000,
  NumberOfEmployees: 250,
  LeadSource: 'Web',
  Rating: 'Hot',
  Salutation: 'Ms.',
  OwnerId: '005A',
};

/** The same values in HubSpot's form, as a linked and agreed contact holds them. */
const CONTACT: Record<string, string> = {
  email: 'ada.lovelace@example.com',
  firstname: 'Ada',
  lastname: 'Lovelace',
  company: 'Analytical Engines Ltd',
  jobtitle: 'Engineer',
  phone: '+44 20 7946 0000',
  fax: '+44 20 7946 0001',
  description: 'Met at the demo day; interested in the difference engine.',
  city: 'London',
  state: 'Greater London',
  country: 'United Kingdom',
  zip: 'NW1 6XE',
  address: '12 St James Square',
  website: 'https://example.com',
  industry: 'Engineering',
  annualrevenue: '1250000',
  numemployees: '250',
  leadsource: 'Web',
  rating: 'Hot',
  salutation: 'Ms.',
  hubspot_owner_id: '101',
  salesforceleadid: '00Q000000000001',
};

function linkedWorld(hsChanges: Record<string, string>): PlanWorld {
  return {
    hubspot: hsContact({ ...CONTACT, ...hsChanges }),
    salesforce: [sfRecord('Lead', '00Q000000000001', LEAD, { linkedHsContactId: '51' })],
    link: {
      hsContactId: '51',
      sfObject: 'Lead',
      sfId: '00Q000000000001',
      snapshot: { values: { ...CONTACT }, optOut: false, accountId: null, sfChangedAt: T0 },
      lastSyncedAt: T0 + 1,
    },
  };
}

function perPlan(input: PlanInput, ctx: ReturnType<typeof context>): { median: number; detail: string } {
  for (let i = 0; i < 20_000; i++) planSync(input, ctx);
  const batches: number[] = [];
  const n = 50_000;
  for (let b = 0; b < 7; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) planSync(input, ctx);
    batches.push(Number(process.hrtime.bigint() - start) / 1e3 / n);
  }
  batches.sort((a, b) => a - b);
  return {
    median: batches[3]!,
    detail: `median of 7 batches of ${n.toLocaleString('en')} plans (min ${batches[0]!.toFixed(2)}, max ${batches[6]!.toFixed(2)} µs)`,
  };
}

export function corePlanBenchmarks(): Promise<BenchResult[]> {
  const ctx = context();
  const cases: [string, PlanInput][] = [
    [
      'plan a linked lead, one HubSpot field changed (28 mappings)',
      inputOf(linkedWorld({ jobtitle: 'Chief Engineer' }), { trigger: 'hs_updated' }),
    ],
    ['plan a linked lead already in sync (an echo)', inputOf(linkedWorld({}), { trigger: 'hs_updated' })],
    [
      'plan a new HubSpot contact into a new Salesforce lead',
      inputOf(
        { hubspot: hsContact({ ...CONTACT, salesforceleadid: '' }), salesforce: [], link: null },
        { trigger: 'hs_created' },
      ),
    ],
  ];
  const results: BenchResult[] = [];
  for (const [name, input] of cases) {
    const { median, detail } = perPlan(input, ctx);
    results.push({ name, value: `${median.toFixed(2)} µs`, detail });
  }
  return Promise.resolve(results);
}
