/** The error log's object column (issue 14): what a record key names, in words. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordObject } from '../../src/core/records.ts';

describe('record keys in words', () => {
  it('names the system and the object of each kind of key; a Salesforce id by its prefix', () => {
    assert.equal(recordObject('hs:101'), 'HubSpot contact');
    assert.equal(recordObject('sf:00Q8c00000AbCdEAAV'), 'Salesforce lead');
    assert.equal(recordObject('sf:0038c00000AbCdEAAV'), 'Salesforce contact');
    assert.equal(recordObject('sf:a0B000000000001'), 'Salesforce record');
    assert.equal(recordObject('account:0018c00000AbCdEAAV'), 'Salesforce account');
    assert.equal(recordObject('company:42'), 'HubSpot company');
    assert.equal(recordObject('email:ada@example.com'), 'no record yet (by email)');
    assert.equal(recordObject('nonsense'), 'record');
  });
});
