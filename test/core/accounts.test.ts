/** SPEC K1: accounts ⇄ companies, and a contact's account ⇄ its primary company. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideCompany, decidePrimaryCompany } from '../../src/core/accounts.ts';

describe('K1: accounts and companies', () => {
  const companies = [
    { id: '50002', salesforceAccountId: '001A', domain: 'acme.example' },
    { id: '50001', salesforceAccountId: '001A', domain: 'acme.example' },
    { id: '50003', salesforceAccountId: null, domain: 'globex.example' },
  ];

  it('K1: off by default: nothing happens', () => {
    assert.equal(decideCompany({ accountSync: false, sfAccountId: '001A', companies }).action, 'none');
  });

  it('K1: an account pairs with the company whose salesforceaccountid holds its id (the lowest id if several)', () => {
    const d = decideCompany({ accountSync: true, sfAccountId: '001A', companies });
    assert.deepEqual(d.action === 'link' && d.hsCompanyId, '50001');
  });

  it('K1: never by domain: an account whose company shares only a domain gets a new company', () => {
    const d = decideCompany({ accountSync: true, sfAccountId: '001G', companies });
    assert.equal(d.action, 'create');
    assert.match(d.why, /never matched by domain/);
  });

  const links = {
    companyOfAccount: new Map([
      ['001A', '50001'],
      ['001B', '50004'],
    ]),
    accountOfCompany: new Map([
      ['50001', '001A'],
      ['50004', '001B'],
    ]),
  };

  it("K1: a contact's AccountId becomes its primary company", () => {
    const d = decidePrimaryCompany({
      accountSync: true,
      sfAccountId: '001A',
      hsPrimaryCompanyId: null,
      agreedAccountId: null,
      ...links,
    });
    assert.deepEqual(d.action === 'set_primary' && d.hsCompanyId, '50001');
    const moved = decidePrimaryCompany({
      accountSync: true,
      sfAccountId: '001B',
      hsPrimaryCompanyId: '50001',
      agreedAccountId: '001A',
      ...links,
    });
    assert.deepEqual(moved.action === 'set_primary' && moved.hsCompanyId, '50004');
  });

  it('K1: a primary company changed in HubSpot becomes the AccountId', () => {
    const d = decidePrimaryCompany({
      accountSync: true,
      sfAccountId: '001A',
      hsPrimaryCompanyId: '50004',
      agreedAccountId: '001A',
      ...links,
    });
    assert.deepEqual(d.action === 'set_account' && d.sfAccountId, '001B');
  });

  it('K1: nothing when in sync, off, or when the account has no company yet', () => {
    assert.equal(
      decidePrimaryCompany({
        accountSync: true,
        sfAccountId: '001A',
        hsPrimaryCompanyId: '50001',
        agreedAccountId: null,
        ...links,
      }).action,
      'none',
    );
    assert.equal(
      decidePrimaryCompany({
        accountSync: false,
        sfAccountId: '001A',
        hsPrimaryCompanyId: null,
        agreedAccountId: null,
        ...links,
      }).action,
      'none',
    );
    const pending = decidePrimaryCompany({
      accountSync: true,
      sfAccountId: '001Z',
      hsPrimaryCompanyId: null,
      agreedAccountId: null,
      ...links,
    });
    assert.equal(pending.action, 'none');
    assert.match(pending.why, /no HubSpot company yet/);
  });
});
