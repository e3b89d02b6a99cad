/**
 * SPEC K1: account sync (a setting, default off). A Salesforce Account pairs with the HubSpot company
 * whose `salesforceaccountid` holds its id — never by domain — and a contact's `AccountId` becomes its
 * primary company association. `decideAccount` is that rule as a step of planning (plan-fields.ts).
 */
import { syncRuleLabels } from './model.ts';
import { toSf, type Builder } from './plan-builder.ts';
import type { HsCompanyRef, HsContact, SfValue } from './records.ts';
import type { Scope } from './scope.ts';
import type { FieldReport, PlanContext } from './sync-plan.ts';

export const ACCOUNT_ID_PROPERTY = 'salesforceaccountid';

export type CompanyDecision =
  | { readonly action: 'none'; readonly why: string }
  | { readonly action: 'link'; readonly hsCompanyId: string; readonly why: string }
  | { readonly action: 'create'; readonly why: string };

/** K1: which HubSpot company a Salesforce account is, or that one must be created. */
export function decideCompany(input: {
  readonly accountSync: boolean;
  readonly sfAccountId: string;
  readonly companies: readonly HsCompanyRef[];
}): CompanyDecision {
  if (!input.accountSync) return { action: 'none', why: 'account sync is off (K1)' };
  const matches = input.companies.filter((c) => c.salesforceAccountId === input.sfAccountId);
  if (matches.length > 0) {
    const first = [...matches].sort((a, b) => Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : 1))[0]!;
    return {
      action: 'link',
      hsCompanyId: first.id,
      why: `HubSpot company ${first.id} has salesforceaccountid ${input.sfAccountId} (K1)`,
    };
  }
  return {
    action: 'create',
    why: 'no HubSpot company has this salesforceaccountid; companies are never matched by domain (K1)',
  };
}

export type PrimaryCompanyDecision =
  | { readonly action: 'none'; readonly why: string }
  | { readonly action: 'set_primary'; readonly hsCompanyId: string; readonly why: string }
  | { readonly action: 'set_account'; readonly sfAccountId: string; readonly why: string };

/**
 * K1: a contact's `AccountId` ⇄ its primary company. Salesforce's account decides when it changed or
 * HubSpot has none; a primary company HubSpot changed goes to Salesforce when that company is linked
 * to an account. `accountOfCompany` and `companyOfAccount` are the company links known so far.
 */
export function decidePrimaryCompany(input: {
  readonly accountSync: boolean;
  readonly sfAccountId: string | null;
  readonly hsPrimaryCompanyId: string | null;
  /** The account both sides last agreed on; null before the first sync. */
  readonly agreedAccountId: string | null;
  readonly companyOfAccount: ReadonlyMap<string, string>;
  readonly accountOfCompany: ReadonlyMap<string, string>;
}): PrimaryCompanyDecision {
  if (!input.accountSync) return { action: 'none', why: 'account sync is off (K1)' };
  const { sfAccountId, hsPrimaryCompanyId } = input;
  const hsAccountId =
    hsPrimaryCompanyId === null ? null : (input.accountOfCompany.get(hsPrimaryCompanyId) ?? null);
  if (sfAccountId === hsAccountId) return { action: 'none', why: 'in sync' };
  const hsChanged = hsAccountId !== null && hsAccountId !== input.agreedAccountId;
  const sfChanged = sfAccountId !== input.agreedAccountId;
  if (hsChanged && !sfChanged) {
    return {
      action: 'set_account',
      sfAccountId: hsAccountId,
      why: 'the primary company changed in HubSpot (K1)',
    };
  }
  if (sfAccountId === null) return { action: 'none', why: 'the contact has no account in Salesforce (K1)' };
  const company = input.companyOfAccount.get(sfAccountId);
  if (company === undefined)
    return { action: 'none', why: `account ${sfAccountId} has no HubSpot company yet: it syncs first (K1)` };
  return { action: 'set_primary', hsCompanyId: company, why: `the contact's account is ${sfAccountId} (K1)` };
}

/**
 * K1: the contact's account ⇄ its primary company, moving by the Account ID mapping's rule (so that
 * "Prefer Salesforce unless blank" keeps a Salesforce account, and HubSpot's company goes back to it).
 * Updates `sfValues` with an account it writes; returns the account agreed after the plan.
 */
export function decideAccount(
  b: Builder,
  ctx: PlanContext,
  scope: Scope,
  hubspot: HsContact | null,
  sfValues: Record<string, SfValue>,
  agreed: string | null,
): string | null {
  const sfAccount =
    typeof sfValues.AccountId === 'string' && sfValues.AccountId !== '' ? sfValues.AccountId : null;
  const rule = ctx.mappings.find((m) => m.sfField === 'AccountId')?.rule ?? 'two_way';
  const decision = decidePrimaryCompany({
    accountSync: true,
    sfAccountId: sfAccount,
    hsPrimaryCompanyId: hubspot?.primaryCompanyId ?? null,
    agreedAccountId: agreed,
    companyOfAccount: ctx.companyOfAccount,
    accountOfCompany: ctx.accountOfCompany,
  });
  const report = (action: FieldReport['action'], why: string) =>
    b.fields.push({ hsProperty: 'associations.company', sfField: 'AccountId', rule: 'special', action, why });
  const setPrimary = (companyId: string, why: string) => {
    if (!scope.toHubSpot) {
      report('skipped', `skipped: ${scope.why}`);
      return agreed;
    }
    b.primaryCompanyId = companyId;
    report('to_hubspot', why);
    return sfAccount;
  };
  switch (decision.action) {
    case 'none':
      report('none', decision.why);
      return decision.why === 'in sync' ? sfAccount : agreed;
    case 'set_primary':
      return setPrimary(decision.hsCompanyId, decision.why);
    case 'set_account': {
      const mayWrite =
        rule === 'two_way' || (rule === 'prefer_salesforce_unless_blank' && sfAccount === null);
      if (mayWrite && scope.toSalesforce) {
        toSf(b, 'AccountId', decision.sfAccountId);
        sfValues.AccountId = decision.sfAccountId;
        report('to_salesforce', decision.why);
        return decision.sfAccountId;
      }
      const company = sfAccount === null ? undefined : ctx.companyOfAccount.get(sfAccount);
      if (!mayWrite && company !== undefined)
        return setPrimary(company, `Salesforce's account wins: ${syncRuleLabels[rule]} (K1)`);
      report(
        'skipped',
        mayWrite ? `skipped: ${scope.why}` : `Salesforce keeps its account: ${syncRuleLabels[rule]} (K1)`,
      );
      return agreed;
    }
  }
}

/** K1: a company's domain from an account's website (`https://www.acme.com/x` → `acme.com`), or null. */
export function domainOf(website: string | null): string | null {
  if (!website) return null;
  try {
    const host = new URL(/^[a-z]+:\/\//i.test(website) ? website : `https://${website}`).hostname;
    return host.replace(/^www\./i, '') || null;
  } catch {
    return null;
  }
}
