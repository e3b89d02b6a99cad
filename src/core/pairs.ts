/**
 * A **connection pair**: one Salesforce org and one HubSpot portal synced together. Everything the
 * state store keeps belongs to one pair, named by its pair id; the pair `default` is the one
 * Crosswalk synced before there were several, and holds everything stored before pairs existed.
 */

/** The pair every existing store, command and caller uses unless told otherwise. */
export const DEFAULT_PAIR = 'default';

/** A pair id: lower-case letters, digits and dashes, starting with a letter or digit, 1–63 long. */
export const PAIR_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Why `id` is not a valid pair id (naming the fix), or null when it is one. */
export function pairIdProblem(id: string): string | null {
  if (PAIR_ID.test(id)) return null;
  const shown = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
  return `${shown} is not a valid connection pair id: use 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit (e.g. "default", "acme-eu")`;
}

/** `id` when it is a valid pair id; throws an Error that names the fix otherwise. */
export function checkPairId(id: string): string {
  const problem = pairIdProblem(id);
  if (problem !== null) throw new Error(problem);
  return id;
}
