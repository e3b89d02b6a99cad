/**
 * Seeds the portal with the HubSpot half of the shared demo dataset (see ../shared/demo-data.ts): the
 * contacts that also exist in Salesforce (same emails), contacts only in HubSpot, their companies,
 * opted-out contacts, owners on some, and one dynamic list — the demo segment.
 */
import { demoCompany, demoPerson, mix } from '../shared/demo-data.ts';
import { associationTypes, type Portal, type StoredObject } from './portal.ts';
import { createList } from './lists.ts';

export interface SeedOptions {
  /** People in the dataset (the same count the Salesforce emulator was seeded with). */
  readonly count: number;
  /** The dataset's seed. Default 1. */
  readonly seed?: number;
}

export interface SeedSummary {
  readonly contacts: number;
  readonly companies: number;
  readonly optedOut: number;
  readonly segmentId: string;
  readonly segmentMembers: number;
}

/** The demo segment: contacts whose lifecycle stage is lead or marketing qualified lead. */
export const DEMO_SEGMENT_NAME = 'Crosswalk demo segment';

const SEED_SOURCE = { sourceType: 'IMPORT', sourceId: 'crosswalk-demo-dataset' } as const;

export function seedPortal(portal: Portal, options: SeedOptions): SeedSummary {
  const seed = options.seed ?? 1;
  const companies = new Map<number, StoredObject>();
  let contacts = 0;
  let optedOut = 0;
  for (let i = 0; i < options.count; i++) {
    const p = demoPerson(seed, i, options.count);
    if (!p.inHubSpot || portal.contactByEmail(p.email)) continue;
    const company = demoCompany(seed, p.companyIndex);
    const owner =
      mix(seed, i, 401) % 3 === 0 ? portal.owners[mix(seed, i, 402) % portal.owners.length] : undefined;
    const values = new Map<string, string>([
      ['email', p.email],
      ['firstname', p.firstName],
      ['lastname', p.lastName],
      ['jobtitle', p.title],
      ['phone', p.phone],
      ['address', p.street],
      ['city', p.city],
      ['state', p.state],
      ['zip', p.postalCode],
      ['country', p.country],
      ['company', company.name],
      ['website', `https://${company.domain}`],
      [
        'lifecyclestage',
        mix(seed, i, 403) % 2 === 0
          ? 'lead'
          : p.presence === 'contact'
            ? 'customer'
            : 'marketingqualifiedlead',
      ],
    ]);
    if (owner) values.set('hubspot_owner_id', owner.id);
    const contact = portal.create('contacts', values, SEED_SOURCE);
    contacts++;
    if (p.optedOut) {
      portal.setSystemValue('contacts', contact, 'hs_email_optout', 'true', SEED_SOURCE);
      optedOut++;
    }
    let hsCompany = companies.get(company.index);
    if (!hsCompany) {
      hsCompany = portal.create(
        'companies',
        new Map([
          ['name', company.name],
          ['domain', company.domain],
          ['industry', company.industry],
          ['city', company.city],
          ['country', company.country],
          ['numberofemployees', String(company.employees)],
          ['annualrevenue', String(company.annualRevenue)],
        ]),
        SEED_SOURCE,
      );
      companies.set(company.index, hsCompany);
    }
    portal.associate(contact.id, hsCompany.id, [associationTypes.contactToCompanyPrimary]);
  }
  const segment = createList(portal, {
    name: `${DEMO_SEGMENT_NAME} ${seed}`,
    objectType: 'contacts',
    processingType: 'DYNAMIC',
    filters: [
      [{ property: 'lifecyclestage', operator: 'IS_EQUAL_TO', values: ['lead', 'marketingqualifiedlead'] }],
    ],
  });
  return {
    contacts,
    companies: companies.size,
    optedOut,
    segmentId: segment.listId,
    segmentMembers: segment.members.size,
  };
}
