/**
 * U1: the store of a preview. It reads the pair's store, and keeps what the run writes in memory
 * instead, so that a later batch of the run finds what an earlier one linked, as in the applied run:
 * links made and ended, cursors moved, and the settings and mappings the previewed change sets.
 * Errors the run would record are collected for the report; explanations, audit rows and the run
 * history are dropped. The API calls the preview spends are recorded in the real store: they are real
 * calls, and count against the Salesforce allocation like any other (B1, E3).
 *
 * Every other write throws: a preview must never change the pair's state, and a write this file does
 * not know of is a bug to find in tests, not to let through.
 */
import type { Link } from '../../core/records.ts';
import type { Mapping } from '../../core/model.ts';
import type { BatchWrite, ErrorEntry, LinkChange, StateStore } from '../../store/state-store.ts';

/** What the previewed run would have written to the store, beyond the links (kept in `links`). */
export interface PreviewWrites {
  readonly errors: Omit<ErrorEntry, 'firstSeen' | 'attempts'>[];
}

/** Methods that only read: passed to the pair's store as they are. */
const READS = new Set<string>([
  'linkByHubSpotId',
  'linkBySalesforceId',
  'linksByHubSpotIds',
  'linksBySalesforceIds',
  'endedLinkWhy',
  'countLinks',
  'linkedContactIds',
  'cursor',
  'lease',
  'createdCompanies',
  'webhookInbox',
  'webhookInboxSize',
  'settings',
  'mappings',
  'errors',
  'audit',
  'errorPage',
  'errorCounts',
  'auditOfRun',
  'runs',
  'run',
  'runSeries',
  'runTotals',
  'lifetimeTotals',
  'apiCallSeries',
  'outcomeCounts',
  'apiCalls',
  'explanation',
  'pairs',
  'recordApiCalls',
]);

/** Writes that leave nothing a later batch reads: dropped. */
const DROPPED = new Set<string>([
  'saveExplanation',
  'appendAudit',
  'recordRun',
  'rememberCreatedCompanies',
  'releaseCreates',
  'addToWebhookInbox',
  'removeFromWebhookInbox',
  'clearErrors',
  'close',
]);

/** A preview's store, and what its run wrote there. */
export interface PreviewStore {
  readonly store: StateStore;
  readonly writes: PreviewWrites;
}

/**
 * The preview's store over `store`. The previewed change is made through it (the same operations
 * as the change itself: `setSetting`, `saveMappings`), so the run's plan context loads it.
 */
export function previewStore(store: StateStore): PreviewStore {
  const writes: PreviewWrites = { errors: [] };
  const links = new Map<string, Link | null>(); // hs contact id → its link now (null: ended)
  const bySf = new Map<string, string | null>(); // sf id → hs contact id (null: no link now)
  const cursors = new Map<string, string>();
  const settings: Record<string, unknown> = {};
  let mappings: readonly Mapping[] | null = null;

  const apply = (change: LinkChange) => {
    if ('save' in change) {
      const old = links.get(change.save.hsContactId);
      if (old) bySf.set(old.sfId, null);
      links.set(change.save.hsContactId, change.save);
      bySf.set(change.save.sfId, change.save.hsContactId);
    } else {
      const old = links.get(change.end);
      if (old) bySf.set(old.sfId, null);
      links.set(change.end, null);
    }
  };
  /** The link of a contact as the run left it: its own, else the store's unless the run moved it. */
  const byHs = async (id: string): Promise<Link | null> => {
    if (links.has(id)) return links.get(id)!;
    const link = await store.linkByHubSpotId(id);
    return link && bySf.get(link.sfId) === null ? null : link;
  };
  const bySfId = async (id: string): Promise<Link | null> => {
    if (bySf.has(id)) {
      const hs = bySf.get(id);
      return hs ? (links.get(hs) ?? null) : null;
    }
    const link = await store.linkBySalesforceId(id);
    return link && links.has(link.hsContactId) ? null : link;
  };
  const overrides: Partial<StateStore> = {
    linkByHubSpotId: byHs,
    linkBySalesforceId: bySfId,
    linksByHubSpotIds: async (ids) => {
      const mine = ids.flatMap((id) => (links.has(id) && links.get(id) ? [links.get(id)!] : []));
      const stored = await store.linksByHubSpotIds(ids.filter((id) => !links.has(id)));
      return [...stored.filter((l) => !bySf.has(l.sfId)), ...mine];
    },
    linksBySalesforceIds: async (ids) => {
      const mine = ids.flatMap((id) => {
        const hs = bySf.get(id);
        return hs ? [links.get(hs)!] : [];
      });
      const stored = await store.linksBySalesforceIds(ids.filter((id) => !bySf.has(id)));
      return [...stored.filter((l) => !links.has(l.hsContactId)), ...mine];
    },
    saveLink: (link) => Promise.resolve(apply({ save: link })),
    endLink: (hsContactId, why, at) => Promise.resolve(apply({ end: hsContactId, why, at })),
    cursor: async (name) => cursors.get(name) ?? store.cursor(name),
    setCursor: (name, value) => Promise.resolve(void cursors.set(name, value)),
    settings: async () => ({ ...(await store.settings()), ...settings }),
    setSetting: (key, value) => Promise.resolve(void (settings[key] = value)),
    mappings: async () => (mappings ? [...mappings] : store.mappings()),
    saveMappings: (next) => Promise.resolve(void (mappings = next)),
    recordError: (entry) => {
      writes.errors.push(entry);
      return Promise.resolve({ ...entry, firstSeen: entry.lastSeen, attempts: 1 });
    },
    writeBatch: (batch: BatchWrite) => {
      writes.errors.push(...batch.errors);
      for (const change of batch.links) apply(change);
      return Promise.resolve();
    },
    // No other writer creates while a preview runs as far as it knows: every target is its own.
    claimCreates: () => Promise.resolve({ held: [], stale: [] }),
  };
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (typeof prop !== 'string') return Reflect.get(target, prop, target) as unknown;
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof StateStore];
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (READS.has(prop)) return (value as (...args: unknown[]) => unknown).bind(target);
      if (DROPPED.has(prop)) return () => Promise.resolve();
      return () => {
        throw new Error(`a preview writes nothing, but its run called the store's ${prop}: a bug`);
      };
    },
  });
  return { store: wrapped, writes };
}
