/** T2, F10: which Salesforce change events wake a read (core/change-events.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RULE_FIELDS, objectsToRead, type ChangeEventSummary } from '../../src/core/change-events.ts';

const US = '005000000000001AAA';
const REP = '005000000000002AAA';
const context = {
  integrationUserId: US,
  readFields: {
    Lead: new Set([...RULE_FIELDS.Lead, 'Title', 'Company']),
    Contact: new Set([...RULE_FIELDS.Contact, 'Title']),
  },
};
const event = (over: Partial<ChangeEventSummary>): ChangeEventSummary => ({
  entityName: 'Lead',
  changeType: 'UPDATE',
  changedFields: ['Title', 'LastModifiedDate'],
  commitUser: REP,
  ...over,
});

describe('change events that wake a read (T2, F10)', () => {
  it('F10: Crosswalk’s own writes wake nothing, whatever they changed', () => {
    assert.deepEqual(
      objectsToRead([event({ commitUser: US }), event({ commitUser: US, changeType: 'CREATE' })], context),
      [],
    );
  });

  it('F10: an update of fields the sync does not read wakes nothing; one it reads does', () => {
    assert.deepEqual(objectsToRead([event({ changedFields: ['Rating', 'LastModifiedDate'] })], context), []);
    assert.deepEqual(objectsToRead([event({ changedFields: ['Rating', 'Company'] })], context), ['Lead']);
    // Fields the rules read though unmapped: the email (M1), the opt-out (O1), the owner (F6).
    for (const field of ['Email', 'HasOptedOutOfEmail', 'OwnerId', 'IsConverted'])
      assert.deepEqual(objectsToRead([event({ changedFields: [field] })], context), ['Lead'], field);
    // A compound field's part names its field after the dot.
    assert.deepEqual(
      objectsToRead([event({ entityName: 'Contact', changedFields: ['Name.Title'] })], context),
      ['Contact'],
    );
  });

  it('T1: creates, deletes, undeletes and gap events always wake their object', () => {
    for (const changeType of ['CREATE', 'DELETE', 'UNDELETE', 'GAP_UPDATE', 'GAP_OVERFLOW'])
      assert.deepEqual(
        objectsToRead([event({ changeType, changedFields: [] })], context),
        ['Lead'],
        changeType,
      );
  });

  it('names each object once, Lead before Contact; other entities are not the sync’s', () => {
    const events = [
      event({ entityName: 'Contact' }),
      event({ entityName: 'Account', changeType: 'CREATE' }),
      event({}),
      event({ entityName: 'Contact' }),
    ];
    assert.deepEqual(objectsToRead(events, context), ['Lead', 'Contact']);
  });

  it('before the first run knows who Crosswalk is and what it reads, every update wakes its object', () => {
    const unknown = { integrationUserId: null, readFields: { Lead: null, Contact: null } };
    assert.deepEqual(objectsToRead([event({ changedFields: ['Rating'], commitUser: US })], unknown), [
      'Lead',
    ]);
  });
});
