/**
 * T3, issue 15: the emails HubSpot has, as an import keeps them, compactly. A million emails held as
 * strings in a `Set` take ~70 MB of heap, and as numbers ~34 MB (each a heap number, the table a
 * large object V8 copies as it grows). Here each is a 52-bit digest in one `Float64Array` (open
 * addressing, linear probing, at most half full): 16 MB for a million, outside the collected heap.
 *
 * A digest the set holds only says "HubSpot may have this email": the batch then reads the contacts
 * of that email (`byEmails`), which answers exactly. A wasted read needs an email the set lacks to
 * share a digest with one it holds: about n / 2^52 per lookup, once in ~4,500 imports of 1M.
 */
import { hash } from 'node:crypto';

/** The first 52 bits (13 hex digits) of the key's MD5, never 0 (0 marks a free slot). */
function digestOf(key: string): number {
  return Number.parseInt(hash('md5', key, 'hex').slice(0, 13), 16) || 1;
}

const INITIAL_SLOTS = 1024;

/** A set of email keys (`emailKey`), by digest. */
export class EmailSet {
  #slots = new Float64Array(INITIAL_SLOTS);
  #size = 0;

  constructor(keys: Iterable<string> = []) {
    for (const key of keys) this.add(key);
  }

  add(key: string): void {
    if (2 * (this.#size + 1) > this.#slots.length) this.#grow();
    if (this.#place(this.#slots, digestOf(key))) this.#size++;
  }

  /** Whether the key may be in the set: true for every key added (and, rarely, for another). */
  has(key: string): boolean {
    const slots = this.#slots;
    const digest = digestOf(key);
    const mask = slots.length - 1;
    // The digest's low bits are uniform (MD5): they pick the first slot.
    for (let i = digest & mask; slots[i] !== 0; i = (i + 1) & mask) if (slots[i] === digest) return true;
    return false;
  }

  get size(): number {
    return this.#size;
  }

  /** Puts `digest` in the first free slot from its own; false when it is there already. */
  #place(slots: Float64Array, digest: number): boolean {
    const mask = slots.length - 1;
    let i = digest & mask;
    for (; slots[i] !== 0; i = (i + 1) & mask) if (slots[i] === digest) return false;
    slots[i] = digest;
    return true;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Float64Array(old.length * 2);
    for (const digest of old) if (digest !== 0) this.#place(this.#slots, digest);
  }
}
