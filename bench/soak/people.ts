/**
 * The people of the soak: what sales reps do in Salesforce (through jsforce, as a sales rep — never
 * the integration user Crosswalk writes as — and the emulator's admin convert and merge calls with
 * that rep's username) and what marketers do in HubSpot (through @hubspot/api-client and the
 * communication preferences API): creates, edits, clears, opt-outs, email changes, deletes, merges
 * and lead conversions, drawn from a seeded mix. Targets are picked from the emulators' in-process
 * state (no API call), so picking costs nothing and faults never hit it.
 *
 * Every applied operation is written to the `Ledger`, which the invariants read afterwards: which
 * records each side changed and when, what the soak itself created, deleted and opted out.
 */
import { Client } from '@hubspot/api-client';
import { Connection } from 'jsforce';
import type { SalesforceEmulator } from '../../src/emulators/salesforce/server.ts';
import type { HubSpotEmulator } from '../../src/emulators/hubspot/server.ts';
import type { SfRecord } from '../../src/emulators/salesforce/org.ts';
import type { StoredObject } from '../../src/emulators/hubspot/portal.ts';
import { emailKey } from '../../src/core/matching.ts';
import type { Random } from './random.ts';

/** The sales rep whose session makes every Salesforce change (a person's change, not Crosswalk's). */
export const SALES_REP = 'sam.rivera@crosswalk.example';
const API_VERSION = '60.0';

export const opKinds = {
  'sf-create-lead': 8,
  'sf-create-contact': 4,
  'sf-edit': 14,
  'sf-clear': 4,
  'sf-opt-out': 4,
  'sf-uncheck-opt-out': 1,
  'sf-email-change': 2,
  'sf-delete': 2,
  'sf-merge': 2,
  'sf-convert': 3,
  'hs-create': 8,
  'hs-edit': 14,
  'hs-clear': 4,
  'hs-opt-out': 4,
  'hs-email-change': 1,
  'hs-delete': 2,
  'hs-merge': 2,
  'hs-recreate': 2,
  'hs-invalid-title': 1,
} as const;
export type OpKind = keyof typeof opKinds;

export interface OpRecord {
  readonly n: number;
  readonly at: string;
  readonly kind: OpKind;
  /** `applied`, `failed` (the API refused it, or it kept failing) or `skipped` (no target). */
  readonly outcome: 'applied' | 'failed' | 'skipped';
  readonly detail: string;
}

/** What the soak did, for the invariants. Times are epoch ms of when the change was answered. */
export class Ledger {
  /** Salesforce lead/contact id → the last time the soak changed it. */
  readonly touchedSf = new Map<string, number>();
  /** HubSpot contact id → the last time the soak changed it. */
  readonly touchedHs = new Map<string, number>();
  /** Salesforce ids the soak created (records and accounts). */
  readonly createdSf = new Set<string>();
  /** Salesforce ids the soak deleted or merged away. */
  readonly goneSf = new Set<string>();
  /** HubSpot contact ids the soak deleted or merged away. */
  readonly goneHs = new Set<string>();
  /** Email key → the last time the soak deleted (or merged away) the HubSpot contact that had it. */
  readonly hsGoneByEmail = new Map<string, number>();
  /** Email key → the last time the soak deleted (or merged away) a Salesforce record that had it. */
  readonly sfGoneByEmail = new Map<string, number>();
  /** Emails the soak unsubscribed in HubSpot. */
  readonly optedOutInHs = new Set<string>();
  readonly ops: OpRecord[] = [];

  touchSf(id: string): void {
    this.touchedSf.set(id, Date.now());
  }

  touchHs(id: string): void {
    this.touchedHs.set(id, Date.now());
  }

  counts(): { applied: number; failed: number; skipped: number; byKind: Map<OpKind, number> } {
    const byKind = new Map<OpKind, number>();
    let applied = 0;
    let failed = 0;
    let skipped = 0;
    for (const op of this.ops) {
      if (op.outcome === 'applied') {
        applied++;
        byKind.set(op.kind, (byKind.get(op.kind) ?? 0) + 1);
      } else if (op.outcome === 'failed') failed++;
      else skipped++;
    }
    return { applied, failed, skipped, byKind };
  }
}

const FIRST = ['Ada', 'Zoë', 'José', 'Amara', 'Björn', 'Li', 'Noor', 'Seán', 'Élodie', 'Kai', 'Mateo'];
const LAST = ["O'Brien", 'Müller', 'Nakamura', 'Okafor', 'García', 'Smith-Jones', 'Ødegaard', 'Rossi'];
const TITLES = [
  'VP Sales',
  'Head of Ünicode',
  'CTO',
  'Growth "Lead"',
  'Ops \\ Finance',
  'Chief of Staff',
  'Buyer',
  'Directrice générale',
];

/** Thrown by an operation that has no target right now (nothing is sent). */
class NoTarget extends Error {}

/** A refusal worth retrying: a lost connection, a 5xx, a 429, a locked row. */
function retryable(error: unknown): boolean {
  const e = error as { code?: unknown; errorCode?: unknown; name?: unknown; message?: unknown };
  if (typeof e.code === 'number') return e.code === 429 || e.code >= 500;
  const code = typeof e.errorCode === 'string' ? e.errorCode : '';
  if (code !== '')
    return (
      ['UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION'].includes(code) ||
      /^ERROR_HTTP_5/.test(code)
    );
  // No answer at all (a dropped socket), or an answer jsforce could not parse.
  return true;
}

function describeError(error: unknown): string {
  const e = error as { code?: unknown; errorCode?: unknown; message?: unknown };
  const code =
    typeof e.errorCode === 'string' ? e.errorCode : typeof e.code === 'number' ? `HTTP ${e.code}` : '';
  return `${code} ${String(e.message ?? error)}`.trim().slice(0, 200);
}

export interface People {
  /** Runs one operation drawn from the mix; returns its record (also kept in the ledger). */
  act(): Promise<OpRecord>;
}

export async function startPeople(
  sf: SalesforceEmulator,
  hs: HubSpotEmulator,
  rng: Random,
  ledger: Ledger,
  tag: string,
): Promise<People> {
  const session = await fetch(`${sf.url}/__emulator/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: SALES_REP }),
  });
  if (!session.ok) throw new Error(`no session for ${SALES_REP}: ${session.status}`);
  const { accessToken } = (await session.json()) as { accessToken: string };
  const rep = new Connection({ instanceUrl: sf.url, accessToken, version: API_VERSION });
  const hubspot = new Client({ accessToken: hs.accessToken, basePath: hs.url });
  const org = sf.org;
  const portal = hs.portal;
  let fresh = 0;
  let n = 0;

  /** A new email no record has: sometimes with capitals (Salesforce keeps case; HubSpot lower-cases). */
  const freshEmail = (): string => {
    fresh++;
    const local = `soak-${tag}-${fresh}`;
    return rng.chance(0.15) ? `${local.toUpperCase()}@Soak.Example` : `${local}@soak.example`;
  };
  const name = () => `${rng.pick(FIRST)!}${rng.chance(0.3) ? ` ${rng.int(1, 99)}` : ''}`;
  const lastName = () => `${rng.pick(LAST)!}${rng.chance(0.5) ? `-${rng.int(1, 999)}` : ''}`;
  const title = () => `${rng.pick(TITLES)!}${rng.chance(0.5) ? ` ${rng.int(1, 99)}` : ''}`;

  const live = (object: 'Lead' | 'Contact'): SfRecord[] =>
    [...org.table(object).values()].filter(
      (r) => r.IsDeleted !== true && (object === 'Contact' || r.IsConverted !== true),
    );
  const livePeople = (): SfRecord[] => [...live('Lead'), ...live('Contact')];
  const liveContacts = (): StoredObject[] => [...portal.objects.contacts.values()].filter((c) => !c.archived);
  const objectOf = (r: SfRecord): 'Lead' | 'Contact' => (String(r.Id).startsWith('00Q') ? 'Lead' : 'Contact');
  const withEmail = (records: SfRecord[]) =>
    records.filter((r) => emailKey(r.Email as string | null) !== null);
  const target = <T>(items: readonly T[]): T => {
    const item = rng.pick(items);
    if (item === undefined) throw new NoTarget();
    return item;
  };
  /** A Salesforce record to change: one with an email, mostly (without one it is never synced, M6). */
  const sfTarget = (records: SfRecord[] = livePeople()): SfRecord => {
    const emailed = withEmail(records);
    return target(rng.chance(0.9) && emailed.length > 0 ? emailed : records);
  };
  const hsEmail = (c: StoredObject) => c.values.get('email') ?? null;

  /** Runs `send` until it succeeds, a refusal is final, or the fourth try fails. */
  async function withRetries<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (attempt >= 4 || !retryable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  }

  async function admin<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${sf.url}/__emulator${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      const error = new Error(`admin ${path} → ${response.status}: ${text.slice(0, 200)}`);
      Object.assign(error, { errorCode: 'ADMIN_REFUSED' });
      throw error;
    }
    return JSON.parse(text) as T;
  }

  async function sfUpdate(record: SfRecord, values: Record<string, unknown>): Promise<string> {
    const object = objectOf(record);
    await withRetries(async () => {
      const result = await rep.sobject(object).update({ Id: record.Id as string, ...values });
      if (!result.success) throw Object.assign(new Error(JSON.stringify(result)), { errorCode: 'REFUSED' });
    });
    ledger.touchSf(record.Id as string);
    return `${object} ${String(record.Id)} ${JSON.stringify(values)}`;
  }

  async function sfCreate(object: 'Lead' | 'Contact', values: Record<string, unknown>): Promise<string> {
    const id = await withRetries(async () => {
      const result = await rep.sobject(object).create(values);
      if (!result.success) throw Object.assign(new Error(JSON.stringify(result)), { errorCode: 'REFUSED' });
      return result.id;
    });
    ledger.createdSf.add(id);
    ledger.touchSf(id);
    return `${object} ${id} ${JSON.stringify(values)}`;
  }

  async function hsUpdate(contact: StoredObject, properties: Record<string, string>): Promise<string> {
    await withRetries(() => hubspot.crm.contacts.basicApi.update(contact.id, { properties }));
    ledger.touchHs(contact.id);
    return `contact ${contact.id} ${JSON.stringify(properties)}`;
  }

  async function hsCreate(properties: Record<string, string>): Promise<string> {
    const created = await withRetries(() =>
      hubspot.crm.contacts.basicApi.create({ properties, associations: [] }),
    );
    ledger.touchHs(created.id);
    return `contact ${created.id} ${JSON.stringify(properties)}`;
  }

  /** Marks a Salesforce record gone (deleted, or merged into `master`) by the soak. */
  function sfGone(record: SfRecord, master?: SfRecord): void {
    ledger.goneSf.add(record.Id as string);
    const key = emailKey(record.Email as string | null);
    // Merged into a record with the same email, the email stays in Salesforce (D3: the link follows).
    if (key && key !== emailKey(master?.Email as string | null | undefined))
      ledger.sfGoneByEmail.set(key, Date.now());
  }

  /** Marks a HubSpot contact gone (deleted or merged away) by the soak. */
  function hsGone(contact: StoredObject): void {
    ledger.goneHs.add(contact.id);
    const key = emailKey(hsEmail(contact));
    if (key) ledger.hsGoneByEmail.set(key, Date.now());
  }

  const ops: Record<OpKind, () => Promise<string>> = {
    'sf-create-lead': () =>
      sfCreate('Lead', {
        FirstName: name(),
        LastName: lastName(),
        Company: `Soak Co ${rng.int(1, 40)}`,
        Title: title(),
        ...(rng.chance(0.95) ? { Email: freshEmail() } : {}),
      }),
    'sf-create-contact': () => {
      const accounts = [...org.table('Account').values()].filter((a) => a.IsDeleted !== true);
      const account = rng.chance(0.6) ? rng.pick(accounts) : undefined;
      return sfCreate('Contact', {
        FirstName: name(),
        LastName: lastName(),
        Title: title(),
        Email: freshEmail(),
        ...(account ? { AccountId: account.Id } : {}),
      });
    },
    'sf-edit': () => {
      const values: Record<string, unknown> = {};
      if (rng.chance(0.5)) values.FirstName = name();
      if (rng.chance(0.4)) values.LastName = lastName();
      if (rng.chance(0.6) || Object.keys(values).length === 0) values.Title = title();
      return sfUpdate(sfTarget(), values);
    },
    'sf-clear': () => sfUpdate(sfTarget(), rng.chance(0.6) ? { Title: null } : { FirstName: null }),
    'sf-opt-out': () =>
      sfUpdate(sfTarget(livePeople().filter((r) => r.HasOptedOutOfEmail !== true)), {
        HasOptedOutOfEmail: true,
      }),
    'sf-uncheck-opt-out': () =>
      sfUpdate(sfTarget(livePeople().filter((r) => r.HasOptedOutOfEmail === true)), {
        HasOptedOutOfEmail: false,
      }),
    'sf-email-change': () => sfUpdate(target(withEmail(livePeople())), { Email: freshEmail() }),
    'sf-delete': async () => {
      const record = sfTarget();
      const object = objectOf(record);
      await withRetries(async () => {
        const result = await rep.sobject(object).destroy(record.Id as string);
        if (!result.success) throw Object.assign(new Error(JSON.stringify(result)), { errorCode: 'REFUSED' });
      });
      sfGone(record);
      return `${object} ${String(record.Id)} (${String(record.Email)})`;
    },
    'sf-merge': async () => {
      const object = rng.chance(0.6) ? 'Lead' : 'Contact';
      const records = live(object);
      // Mostly the dataset's own duplicates (two records, one email), as a rep would merge them.
      const byEmail = new Map<string, SfRecord[]>();
      for (const r of records) {
        const key = emailKey(r.Email as string | null);
        if (key) byEmail.set(key, [...(byEmail.get(key) ?? []), r]);
      }
      const pairs = [...byEmail.values()].filter((rs) => rs.length > 1);
      const pair = rng.chance(0.5) && pairs.length > 0 ? target(pairs) : [target(records), target(records)];
      const [master, loser] = [pair[0]!, pair[1]!];
      if (master.Id === loser.Id) throw new NoTarget();
      await withRetries(() =>
        admin('/merge', { object, masterId: master.Id, loserIds: [loser.Id], username: SALES_REP }),
      );
      sfGone(loser, master);
      ledger.touchSf(master.Id as string);
      return `${object} ${String(loser.Id)} (${String(loser.Email)}) into ${String(master.Id)} (${String(master.Email)})`;
    },
    'sf-convert': async () => {
      const lead = sfTarget(live('Lead'));
      const accounts = [...org.table('Account').values()].filter((a) => a.IsDeleted !== true);
      const account = rng.chance(0.3) ? rng.pick(accounts) : undefined;
      const { contactId, accountId } = await withRetries(() =>
        admin<{ contactId: string; accountId: string }>('/convert', {
          leadId: lead.Id,
          username: SALES_REP,
          ...(account ? { accountId: account.Id } : {}),
        }),
      );
      ledger.createdSf.add(contactId);
      ledger.createdSf.add(accountId);
      ledger.touchSf(contactId);
      ledger.touchSf(lead.Id as string);
      return `Lead ${String(lead.Id)} (${String(lead.Email)}) → Contact ${contactId}`;
    },
    'hs-create': () =>
      hsCreate({
        ...(rng.chance(0.95) ? { email: freshEmail() } : {}),
        firstname: name(),
        lastname: lastName(),
        jobtitle: title(),
      }),
    'hs-edit': () => {
      const properties: Record<string, string> = {};
      if (rng.chance(0.5)) properties.firstname = name();
      if (rng.chance(0.4)) properties.lastname = lastName();
      if (rng.chance(0.6) || Object.keys(properties).length === 0) properties.jobtitle = title();
      return hsUpdate(target(liveContacts()), properties);
    },
    'hs-clear': () =>
      hsUpdate(target(liveContacts()), rng.chance(0.6) ? { jobtitle: '' } : { firstname: '' }),
    'hs-opt-out': async () => {
      const contact = target(
        liveContacts().filter((c) => hsEmail(c) !== null && c.values.get('hs_email_optout') !== 'true'),
      );
      const email = hsEmail(contact)!;
      await withRetries(async () => {
        const response = await fetch(
          `${hs.url}/communication-preferences/v4/statuses/${encodeURIComponent(email)}/unsubscribe-all?channel=EMAIL`,
          { method: 'POST', headers: { authorization: `Bearer ${hs.accessToken}` } },
        );
        if (!response.ok) throw Object.assign(new Error(await response.text()), { code: response.status });
      });
      ledger.optedOutInHs.add(emailKey(email)!);
      ledger.touchHs(contact.id);
      return `contact ${contact.id} (${email})`;
    },
    'hs-email-change': () => hsUpdate(target(liveContacts()), { email: freshEmail().toLowerCase() }),
    'hs-delete': async () => {
      const contact = target(liveContacts());
      await withRetries(() => hubspot.crm.contacts.basicApi.archive(contact.id));
      hsGone(contact);
      return `contact ${contact.id} (${hsEmail(contact) ?? 'no email'})`;
    },
    'hs-merge': async () => {
      const contacts = liveContacts();
      const primary = target(contacts);
      const loser = target(contacts);
      if (primary.id === loser.id) throw new NoTarget();
      await withRetries(() =>
        hubspot.crm.contacts.basicApi.merge({ primaryObjectId: primary.id, objectIdToMerge: loser.id }),
      );
      hsGone(loser);
      ledger.touchHs(primary.id);
      return `contact ${loser.id} (${hsEmail(loser) ?? 'no email'}) into ${primary.id} (${hsEmail(primary) ?? 'no email'})`;
    },
    // Someone creates again, by hand, a HubSpot contact the soak deleted: its email is still in Salesforce.
    'hs-recreate': () => {
      const emails = [...ledger.hsGoneByEmail.keys()].filter(
        (e) => portal.contactByEmail(e) === undefined && org.idsWithEmail(e).size > 0,
      );
      return hsCreate({ email: target(emails), firstname: name(), lastname: lastName(), jobtitle: title() });
    },
    // A value Salesforce refuses (Title holds 128 characters): it syncs only where Salesforce is blank.
    'hs-invalid-title': () => hsUpdate(target(liveContacts()), { jobtitle: `Title ${'x'.repeat(140)}` }),
  };

  return {
    async act(): Promise<OpRecord> {
      const kind = rng.weighted(opKinds);
      n++;
      let outcome: OpRecord['outcome'] = 'applied';
      let detail: string;
      try {
        detail = await ops[kind]();
      } catch (error) {
        if (error instanceof NoTarget) {
          outcome = 'skipped';
          detail = 'no target';
        } else {
          outcome = 'failed';
          detail = describeError(error);
        }
      }
      const record: OpRecord = { n, at: new Date().toISOString(), kind, outcome, detail };
      ledger.ops.push(record);
      return record;
    },
  };
}
