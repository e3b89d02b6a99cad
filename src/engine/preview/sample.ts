/** U1: which records a sampled preview plans (`core/preview.ts` `inSample`). */
import { hash } from 'node:crypto';

/** A record key's digest as a fraction of [0, 1): the same key, the same fraction, in every preview. */
export function sampleFraction(key: string): number {
  return Number.parseInt(hash('md5', key, 'hex').slice(0, 13), 16) / 2 ** 52;
}
