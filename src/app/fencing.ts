/**
 * What holding the writer lease means for the parts the engine is given: a store whose cursor and link
 * writes carry the lease's fence (the store refuses them once another process holds it), and CRM ports
 * whose writes are refused once this process may no longer hold the lease (`WriterLease.assertHeld`).
 * Reads pass through untouched.
 */
import type { HubSpotPort, SalesforcePort } from '../connectors/ports.ts';
import type { StateStore } from '../store/state-store.ts';
import type { WriterLease } from './writer-lease.ts';

/** The port methods that write to a CRM. */
/** The ports' methods that write to a system (the fence and the preview's dry connectors refuse them). */
export const SALESFORCE_WRITES = [
  'create',
  'update',
  'deleteRecords',
] as const satisfies readonly (keyof SalesforcePort)[];
export const HUBSPOT_WRITES = [
  'upsertByEmail',
  'update',
  'unsubscribeAll',
  'unsubscribeAllMany',
  'archive',
  'setPrimaryCompany',
  'createCompanies',
] as const satisfies readonly (keyof HubSpotPort)[];

/** `port` with each of `methods` refused (a rejected promise) while `check` throws. Getters stay live. */
function guarded<T extends object>(port: T, methods: readonly (keyof T)[], check: () => void): T {
  const names = new Set<PropertyKey>(methods);
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (!names.has(property) || typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        try {
          check();
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export function guardedSalesforce(port: SalesforcePort, lease: WriterLease): SalesforcePort {
  return guarded(port, SALESFORCE_WRITES, () => lease.assertHeld());
}

export function guardedHubSpot(port: HubSpotPort, lease: WriterLease): HubSpotPort {
  return guarded(port, HUBSPOT_WRITES, () => lease.assertHeld());
}

/**
 * `store` with its cursor and link writes, and batch writes (`writeBatch`: links among them), fenced
 * by `lease`. Other writes pass through unfenced: the
 * companies K1 created (`rememberCreatedCompanies`) are facts worth keeping whoever holds the lease.
 * It writes for one pair (the store's) under one lease: `forPair` throws, since a sibling would write
 * another pair's rows unfenced.
 */
export function fencedStore(store: StateStore, lease: WriterLease): StateStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      switch (property) {
        case 'forPair':
          return (pair: string) => {
            throw new Error(
              `a fenced store writes for the pair "${target.pair}" under its writer lease only, so it gives no store for the pair "${pair}": open the store (openStore) and call forPair on it, and take that pair's own writer lease to write`,
            );
          };
        case 'setCursor':
          return (name: string, value: string) => target.setCursor(name, value, lease.fence);
        case 'saveLink':
          return (link: Parameters<StateStore['saveLink']>[0]) => target.saveLink(link, lease.fence);
        case 'endLink':
          return (hsContactId: string, why: string, at: number) =>
            target.endLink(hsContactId, why, at, lease.fence);
        case 'writeBatch':
          return (batch: Parameters<StateStore['writeBatch']>[0]) => target.writeBatch(batch, lease.fence);
        default:
          return Reflect.get(target, property, receiver) as unknown;
      }
    },
  });
}
