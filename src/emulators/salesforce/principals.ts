/**
 * Who can own records in the emulated org, seeded at start and on every reset: users (an integration
 * user, the default, then a few sales reps, one inactive) and groups — two lead queues that can own
 * leads, and one public group that cannot own anything.
 */
import type { SfValue } from './org.ts';

export interface SeededUser {
  readonly id: string;
  readonly username: string;
  readonly email: string;
}

export interface SeededQueue {
  readonly id: string;
  readonly name: string;
  readonly developerName: string;
}

/** First name, last name, email (also the username), active. */
const people: readonly (readonly [string, string, string, boolean])[] = [
  ['Integration', 'User', 'integration@crosswalk.example', true],
  ['Sam', 'Rivera', 'sam.rivera@crosswalk.example', true],
  ['Alex', 'Moreau', 'alex.moreau@crosswalk.example', true],
  ['Jo', 'Tanaka', 'jo.tanaka@crosswalk.example', true],
  ['Former', 'Rep', 'former.rep@crosswalk.example', false],
];

/** Name, developer name, type, email. Every queue here supports leads (its QueueSobject). */
const groups: readonly (readonly [string, string, 'Queue' | 'Regular', string | null])[] = [
  ['Inbound Leads', 'Inbound_Leads', 'Queue', 'inbound-leads@crosswalk.example'],
  ['Partner Leads', 'Partner_Leads', 'Queue', null],
  ['All Sales Reps', 'All_Sales_Reps', 'Regular', null],
];

/** Record values with the system fields, created at `stamp` by `createdById`. */
function withSystem(
  values: Record<string, SfValue>,
  id: string,
  createdById: string,
  stamp: string,
): Record<string, SfValue> {
  return {
    Id: id,
    ...values,
    CreatedDate: stamp,
    CreatedById: createdById,
    LastModifiedDate: stamp,
    LastModifiedById: createdById,
    SystemModstamp: stamp,
  };
}

/**
 * The seeded users' and groups' records: `nextId(object)` mints ids, `put` stores a record. Users
 * come first (the first is the integration user, who creates the groups).
 */
export function seedPrincipals(
  nextId: (object: 'User' | 'Group') => string,
  put: (object: 'User' | 'Group', id: string, record: Record<string, SfValue>) => void,
  stamp: string,
): { users: SeededUser[]; queues: SeededQueue[] } {
  const users = people.map(([first, last, email, active]) => {
    const id = nextId('User');
    const values = {
      Username: email,
      FirstName: first,
      LastName: last,
      Name: `${first} ${last}`,
      Email: email,
      Alias: (first.slice(0, 1) + last.slice(0, 4)).toLowerCase(),
      IsActive: active,
    };
    put('User', id, withSystem(values, id, id, stamp));
    return { id, username: email, email };
  });
  const creator = users[0]!.id;
  const queues: SeededQueue[] = [];
  for (const [name, developerName, type, email] of groups) {
    const id = nextId('Group');
    const values = {
      Name: name,
      DeveloperName: developerName,
      Type: type,
      Email: email,
      DoesSendEmailToMembers: false,
    };
    put('Group', id, withSystem(values, id, creator, stamp));
    if (type === 'Queue') queues.push({ id, name, developerName });
  }
  return { users, queues };
}
