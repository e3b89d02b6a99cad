/**
 * Seeds the org with the Salesforce half of the shared demo dataset (see ../shared/demo-data.ts):
 * leads, contacts with their accounts, and campaigns with members. Deterministic per (seed, count).
 */
import { DEMO_EPOCH_MS, demoCampaignCount, demoCompany, demoPerson, mix } from '../shared/demo-data.ts';
import type { SalesforceOrg, SfValue } from './org.ts';
import { leadStatuses } from './schema.ts';
import { formatDate, formatDateTime } from './time.ts';

export interface SeedOptions {
  /** People in the dataset; about 80% of them become Salesforce leads or contacts. */
  readonly count: number;
  /** The dataset's seed. Default 1. */
  readonly seed?: number;
}

/** Records created, per object. */
export type SeedSummary = Record<'Lead' | 'Contact' | 'Account' | 'Campaign' | 'CampaignMember', number>;

const DAY = 86_400_000;

export function seedOrg(org: SalesforceOrg, options: SeedOptions): SeedSummary {
  const seed = options.seed ?? 1;
  const owners = org.users.filter((u) => org.get(u.id)?.IsActive === true).map((u) => u.id);
  const accounts = new Map<number, string>();
  const summary = { Lead: 0, Contact: 0, Account: 0, Campaign: 0, CampaignMember: 0 };

  const campaigns: string[] = [];
  const campaignCount = demoCampaignCount(options.count);
  for (let c = 0; c < campaignCount; c++) {
    const start = DEMO_EPOCH_MS - (30 + (mix(seed, c, 301) % 300)) * DAY;
    campaigns.push(
      org.insertTrusted(
        'Campaign',
        {
          Name: `${['Spring', 'Summer', 'Autumn', 'Winter'][c % 4]!} ${['Webinar', 'Conference', 'Email'][c % 3]!} ${c + 1}`,
          Type: ['Webinar', 'Conference', 'Email'][c % 3]!,
          Status: 'Completed',
          IsActive: c % 5 === 0,
          StartDate: formatDate(start),
          EndDate: formatDate(start + 14 * DAY),
          OwnerId: owners[c % owners.length]!,
        },
        start,
      ),
    );
  }
  summary.Campaign = campaigns.length;

  for (let i = 0; i < options.count; i++) {
    const p = demoPerson(seed, i, options.count);
    if (p.presence === 'hubspot-only') continue;
    const created = DEMO_EPOCH_MS - p.createdDaysAgo * DAY - (mix(seed, i, 201) % DAY);
    const modified = Math.min(DEMO_EPOCH_MS, created + (mix(seed, i, 202) % (30 * DAY)));
    const owner = owners[mix(seed, i, 203) % owners.length]!;
    const common: Record<string, SfValue> = {
      Salutation: p.salutation,
      FirstName: p.firstName,
      LastName: p.lastName,
      Title: p.title,
      Email: p.sfEmail,
      Phone: p.phone,
      LeadSource: p.leadSource,
      OwnerId: owner,
      HasOptedOutOfEmail: p.optedOut,
      HasOptedOutOfFax: false,
      DoNotCall: false,
      LastModifiedDate: stampOf(modified),
    };
    const company = demoCompany(seed, p.companyIndex);
    let id: string;
    if (p.presence === 'lead') {
      id = org.insertTrusted(
        'Lead',
        {
          ...common,
          Company: company.name,
          Street: p.street,
          City: p.city,
          State: p.state,
          PostalCode: p.postalCode,
          Country: p.country,
          Website: `https://${company.domain}`,
          Industry: company.industry,
          Status: leadStatuses[mix(seed, i, 204) % 2]!,
          NumberOfEmployees: company.employees,
          AnnualRevenue: company.annualRevenue,
          IsConverted: false,
        },
        created,
      );
      summary.Lead++;
    } else {
      let accountId = accounts.get(company.index);
      if (!accountId) {
        accountId = org.insertTrusted(
          'Account',
          {
            Name: company.name,
            Industry: company.industry,
            Website: `https://${company.domain}`,
            NumberOfEmployees: company.employees,
            AnnualRevenue: company.annualRevenue,
            BillingCity: company.city,
            BillingCountry: company.country,
            OwnerId: owner,
            Type: 'Customer',
          },
          created - DAY,
        );
        accounts.set(company.index, accountId);
        summary.Account++;
      }
      id = org.insertTrusted(
        'Contact',
        {
          ...common,
          AccountId: accountId,
          MailingStreet: p.street,
          MailingCity: p.city,
          MailingState: p.state,
          MailingPostalCode: p.postalCode,
          MailingCountry: p.country,
        },
        created,
      );
      summary.Contact++;
    }
    if (mix(seed, i, 205) % 4 === 0) {
      const campaignId = campaigns[mix(seed, i, 206) % campaigns.length]!;
      const responded = mix(seed, i, 207) % 3 === 0;
      org.insertTrusted(
        'CampaignMember',
        {
          CampaignId: campaignId,
          LeadId: p.presence === 'lead' ? id : null,
          ContactId: p.presence === 'contact' ? id : null,
          Status: responded ? 'Responded' : 'Sent',
          FirstRespondedDate: responded ? formatDate(modified) : null,
        },
        modified,
      );
      summary.CampaignMember++;
    }
  }
  return summary;
}

/** A seeded timestamp, to the second like every Salesforce system timestamp. */
function stampOf(ms: number): string {
  return formatDateTime(ms - (ms % 1000));
}
