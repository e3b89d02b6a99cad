/**
 * Salesforce record ids: 15 case-sensitive characters (3-character key prefix, then the rest), plus a
 * 3-character suffix that encodes the case of the first 15 so that the 18-character form is
 * case-insensitive. The API answers with 18-character ids and accepts both forms.
 */

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-5]{3})?$/;

/** The 3-character case-encoding suffix of a 15-character id. */
export function idSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return suffix;
}

/**
 * The 18-character form of a 15- or 18-character id, or `undefined` when `value` is not a well-formed id.
 * An 18-character id is case-insensitive: its suffix says which of the first 15 characters are upper
 * case, so `00q…aaa` and `00Q…AAA` name the same record.
 */
export function normalizeId(value: string): string | undefined {
  if (!ID_PATTERN.test(value)) return undefined;
  if (value.length === 15) return value + idSuffix(value);
  const suffix = value.slice(15).toUpperCase();
  let id15 = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    const bits = SUFFIX_ALPHABET.indexOf(suffix[chunk]!);
    for (let i = 0; i < 5; i++) {
      const c = value[chunk * 5 + i]!;
      id15 += bits & (1 << i) ? c.toUpperCase() : c.toLowerCase();
    }
  }
  return id15 + suffix;
}

/** Mints ids for one key prefix, in order: `prefix + pod + base62 counter`, 18 characters. */
export class IdSequence {
  #next = 1;
  constructor(
    readonly keyPrefix: string,
    private readonly pod: string,
  ) {
    if (keyPrefix.length !== 3 || pod.length !== 3)
      throw new Error('key prefix and pod are 3 characters each');
  }

  next(): string {
    let n = this.#next++;
    let body = '';
    for (let i = 0; i < 9; i++) {
      body = BASE62[n % 62]! + body;
      n = Math.floor(n / 62);
    }
    const id15 = this.keyPrefix + this.pod + body;
    return id15 + idSuffix(id15);
  }
}
