/**
 * The demo dataset both emulators seed from. Person `i` of seed `s` is a pure function of `(s, i)`, so
 * the Salesforce and HubSpot emulators, seeded separately with the same seed and count, agree on every
 * shared email without talking to each other.
 *
 * Each person has a `presence`: a Salesforce lead, a Salesforce contact (with an account), or only a
 * HubSpot contact. Some emails are shared by two people (a lead and a contact with one address), some
 * Salesforce records have no email, some people have opted out of email, and some Salesforce emails
 * differ from HubSpot's only in case.
 */

export const presences = ['lead', 'contact', 'hubspot-only'] as const;
export type Presence = (typeof presences)[number];

export interface DemoPerson {
  readonly index: number;
  readonly presence: Presence;
  /** Whether this person also exists as a HubSpot contact (always true for `hubspot-only`). */
  readonly inHubSpot: boolean;
  readonly salutation: string | null;
  readonly firstName: string;
  readonly lastName: string;
  /** The email as Salesforce holds it (may differ in case from `email`, or be null). */
  readonly sfEmail: string | null;
  /** The email as HubSpot holds it, lower-cased. */
  readonly email: string;
  readonly title: string;
  readonly phone: string;
  readonly street: string;
  readonly city: string;
  readonly state: string;
  readonly postalCode: string;
  readonly country: string;
  readonly leadSource: string;
  readonly optedOut: boolean;
  /** Index of the person's company (see `demoCompany`). */
  readonly companyIndex: number;
  /** Days before the dataset epoch at which the record was created (0–399). */
  readonly createdDaysAgo: number;
}

export interface DemoCompany {
  readonly index: number;
  readonly name: string;
  readonly domain: string;
  readonly industry: string;
  readonly city: string;
  readonly country: string;
  readonly employees: number;
  readonly annualRevenue: number;
}

/** Seeded records are dated relative to this instant (2026-01-01T00:00:00Z). */
export const DEMO_EPOCH_MS = Date.UTC(2026, 0, 1);

const firstNames = [
  'Ada',
  'Alan',
  'Amara',
  'Ben',
  'Chloé',
  'Dana',
  'Diego',
  'Elena',
  'Farah',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kai',
  'Lena',
  'Liam',
  'Maya',
  'Noah',
  'Olu',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Viktor',
  'Wen',
  'Ximena',
  'Yusuf',
  'Zoë',
];
const lastNames = [
  'Okafor',
  'Lovelace',
  'Turing',
  "O'Brien",
  'Müller',
  'Nakamura',
  'Silva',
  'Kowalski',
  'Haddad',
  'Hopper',
  'Johansson',
  'Moreau',
  'Rossi',
  'Chen',
  'Patel',
  'García',
  'Novak',
  'Kim',
  'Dubois',
  'Andersen',
  'Fischer',
  'Ivanova',
  'Mensah',
  'Costa',
  'Larsen',
  'Schmidt',
  'Tanaka',
  'Ndiaye',
  'Walsh',
  'Zhou',
];
const titles = [
  'CEO',
  'CTO',
  'VP Sales',
  'Head of Marketing',
  'Engineer',
  'Product Manager',
  'Analyst',
  'Buyer',
  'Director of Operations',
  'Consultant',
];
const cities: readonly (readonly [string, string, string])[] = [
  ['Berlin', 'BE', 'Germany'],
  ['Lisbon', 'Lisboa', 'Portugal'],
  ['Austin', 'TX', 'United States'],
  ['Toronto', 'ON', 'Canada'],
  ['Lagos', 'LA', 'Nigeria'],
  ['Osaka', 'Osaka', 'Japan'],
  ['Lyon', 'ARA', 'France'],
  ['Denver', 'CO', 'United States'],
  ['Kraków', 'MA', 'Poland'],
  ['Melbourne', 'VIC', 'Australia'],
];
const streets = ['Main St', 'High Street', 'Harbour Rd', 'Elm Ave', 'Station Way', 'Market Sq'];
const leadSources = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
const companyWords = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Hooli',
  'Vandelay',
  'Tyrell',
  'Cyberdyne',
  'Soylent',
  'Wonka',
];
const companySuffixes = ['Labs', 'Systems', 'GmbH', 'Ltd', 'Inc.', 'Group', 'Partners', '& Co'];
const industries = [
  'Technology',
  'Finance',
  'Healthcare',
  'Manufacturing',
  'Retail',
  'Education',
  'Energy',
  'Media',
];

/** The Industry picklist both CRMs offer (HubSpot's `industry` options, Salesforce's `Industry`). */
export const industryPicklist = [
  'Agriculture',
  'Banking',
  'Biotechnology',
  'Communications',
  'Consulting',
  'Education',
  'Electronics',
  'Energy',
  'Engineering',
  'Finance',
  'Healthcare',
  'Insurance',
  'Manufacturing',
  'Media',
  'Retail',
  'Technology',
  'Transportation',
  'Other',
];

/** A well-mixed 32-bit hash of (seed, index, salt): the dataset's only source of variation. */
export function mix(seed: number, index: number, salt: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13) ^ salt, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function pick<T>(list: readonly T[], seed: number, index: number, salt: number): T {
  return list[mix(seed, index, salt) % list.length]!;
}

/** A number in [0, 1) for (seed, index, salt). */
function chance(seed: number, index: number, salt: number): number {
  return mix(seed, index, salt) / 4294967296;
}

/** Number of companies in a dataset of `count` people. */
export function demoCompanyCount(count: number): number {
  return Math.max(1, Math.ceil(count / 8));
}

/** Number of campaigns in a dataset of `count` people. */
export function demoCampaignCount(count: number): number {
  return Math.max(1, Math.min(50, Math.ceil(count / 1000)));
}

export function demoCompany(seed: number, index: number): DemoCompany {
  const word = pick(companyWords, seed, index, 101);
  const suffix = pick(companySuffixes, seed, index, 102);
  const [city, , country] = pick(cities, seed, index, 103);
  return {
    index,
    name: `${word} ${suffix} ${index}`,
    domain: `${word.toLowerCase()}${index}.example.com`,
    industry: pick(industries, seed, index, 104),
    city,
    country,
    employees: 5 + (mix(seed, index, 105) % 5000),
    annualRevenue: 100_000 * (1 + (mix(seed, index, 106) % 500)),
  };
}

function emailOf(seed: number, index: number, companies: number): string {
  const first = pick(firstNames, seed, index, 1);
  const last = pick(lastNames, seed, index, 2);
  const company = demoCompany(seed, mix(seed, index, 9) % companies);
  const local = `${first}.${last}`
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z.]/g, '')
    .toLowerCase();
  return `${local}.${index}@${company.domain}`;
}

export function demoPerson(seed: number, index: number, count: number): DemoPerson {
  const companies = demoCompanyCount(count);
  const roll = chance(seed, index, 3);
  const presence: Presence = roll < 0.45 ? 'lead' : roll < 0.8 ? 'contact' : 'hubspot-only';
  // About 3% share the email of the person before them (a lead and a contact with one address, say).
  const sharesEmail = index > 0 && chance(seed, index, 4) < 0.03;
  const email = emailOf(seed, sharesEmail ? index - 1 : index, companies);
  const noEmail = presence !== 'hubspot-only' && chance(seed, index, 5) < 0.04;
  const oddCase = chance(seed, index, 6) < 0.05;
  const [city, state, country] = pick(cities, seed, index, 7);
  return {
    index,
    presence,
    inHubSpot: presence === 'hubspot-only' || chance(seed, index, 8) < 0.6,
    salutation: chance(seed, index, 10) < 0.3 ? pick(['Mr.', 'Ms.', 'Dr.'], seed, index, 11) : null,
    firstName: pick(firstNames, seed, index, 1),
    lastName: pick(lastNames, seed, index, 2),
    sfEmail: noEmail ? null : oddCase ? email.charAt(0).toUpperCase() + email.slice(1) : email,
    email,
    title: pick(titles, seed, index, 12),
    phone: `+1 555 ${String(mix(seed, index, 13) % 10_000_000).padStart(7, '0')}`,
    street: `${1 + (mix(seed, index, 14) % 400)} ${pick(streets, seed, index, 15)}`,
    city,
    state,
    postalCode: String(10000 + (mix(seed, index, 16) % 89999)),
    country,
    leadSource: pick(leadSources, seed, index, 17),
    // Opting out belongs to the address: everyone sharing an email shares it.
    optedOut: chance(seed, sharesEmail ? index - 1 : index, 18) < 0.05,
    companyIndex: mix(seed, index, 9) % companies,
    createdDaysAgo: mix(seed, index, 19) % 400,
  };
}
