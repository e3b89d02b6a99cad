/**
 * The Salesforce records a run read once (a reconciliation's Bulk API 2.0 read, issue 15), answering
 * what `SalesforcePort.byIds` and `byEmails` answer without a call: by id (15- or 18-character,
 * deleted records included, unknown ids left out) and by email (case-insensitive, deleted records
 * left out, as `query` leaves them out).
 *
 * It holds the records as they were when read: `add` again what changed since (a later poll of the
 * changes) to keep it close to the org.
 */
import type { SfRecord } from '../core/records.ts';

export class RecordIndex {
  /** By the 15-character id: both forms of an id find the record. */
  readonly #byId = new Map<string, SfRecord>();
  /** Lower-cased email → ids (15-character) of the records that are not deleted. */
  readonly #byEmail = new Map<string, Set<string>>();

  get size(): number {
    return this.#byId.size;
  }

  /** Adds records, or replaces what the index held of them. */
  add(records: Iterable<SfRecord>): void {
    for (const record of records) {
      const key = record.id.slice(0, 15);
      const before = this.#byId.get(key);
      if (before?.email) this.#byEmail.get(before.email.toLowerCase())?.delete(key);
      this.#byId.set(key, record);
      if (record.email && !record.isDeleted) {
        const email = record.email.toLowerCase();
        const ids = this.#byEmail.get(email);
        if (ids) ids.add(key);
        else this.#byEmail.set(email, new Set([key]));
      }
    }
  }

  /** The records of these ids, each once; ids the index does not hold are left out. */
  byIds(ids: readonly string[]): SfRecord[] {
    const out = new Map<string, SfRecord>();
    for (const id of ids) {
      const record = this.#byId.get(id.slice(0, 15));
      if (record) out.set(record.id, record);
    }
    return [...out.values()];
  }

  /** The records (not deleted) whose email is one of `emails`, case-insensitively and trimmed. */
  byEmails(emails: readonly string[]): SfRecord[] {
    const out = new Map<string, SfRecord>();
    for (const email of emails) {
      for (const key of this.#byEmail.get(email.trim().toLowerCase()) ?? []) {
        const record = this.#byId.get(key)!;
        out.set(record.id, record);
      }
    }
    return [...out.values()];
  }
}
