/**
 * Salesforce emulator routes: what the org says about itself — `GET /services/data` (versions), the
 * version's resources, `…/limits` (`DailyApiRequests` from the same count the pipeline keeps, SPEC B1),
 * describe (`…/sobjects`, `…/sobjects/{type}`, `…/sobjects/{type}/describe`), and the replication
 * calls `…/sobjects/{type}/updated` and `…/deleted` (whole-minute windows, 30 and 15 days back), which
 * is how deletes in Salesforce are found (SPEC D1).
 */
import type { FastifyRequest } from 'fastify';
import { COLLECTION_LIMIT, type SalesforceOrg } from './org.ts';
import { describeField, objects, type ObjectDef } from './schema.ts';
import { SalesforceRequestError } from './errors.ts';
import { formatDateTime, parseDateTime } from './time.ts';
import {
  DAY_MS,
  MAX_VERSION,
  api,
  objectFrom,
  sendJson,
  sessionOf,
  versionOf,
  type SalesforceContext,
} from './context.ts';

/** The first version `GET /services/data` lists (older ones are served but not listed). */
const FIRST_LISTED_VERSION = 50;

function objectUrls(object: ObjectDef, version: string) {
  const base = `/services/data/v${version}/sobjects/${object.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

/** An object as the global describe lists it. */
function objectSummary(object: ObjectDef, version: string) {
  return {
    name: object.name,
    label: object.label,
    labelPlural: object.labelPlural,
    keyPrefix: object.keyPrefix,
    custom: false,
    createable: object.createable,
    updateable: object.updateable,
    deletable: object.deletable,
    queryable: true,
    retrieveable: true,
    searchable: true,
    replicateable: true,
    triggerable: true,
    undeletable: object.deletable,
    mergeable: ['Lead', 'Contact', 'Account'].includes(object.name),
    layoutable: true,
    urls: objectUrls(object, version),
  };
}

function totalRecords(org: SalesforceOrg): number {
  let sum = 0;
  for (const name of objects.keys()) sum += org.count(name);
  return sum;
}

/** The `start`/`end` window of a replication call, as Salesforce checks and rounds it. */
function replicationWindow(request: FastifyRequest, now: () => number, maxDaysBack: number) {
  const q = request.query as Record<string, string | undefined>;
  if (!q.start || !q.end)
    throw new SalesforceRequestError(
      400,
      'MISSING_ARGUMENT',
      'The start and end parameters are required (e.g. start=2024-05-01T00:00:00+00:00).',
    );
  const start = parseDateTime(q.start);
  const end = parseDateTime(q.end);
  if (start === undefined || end === undefined) {
    throw new SalesforceRequestError(
      400,
      'INVALID_REPLICATION_DATE',
      `Invalid date format for start or end: use ISO 8601, e.g. 2024-05-01T00:00:00+00:00.`,
    );
  }
  if (start >= end)
    throw new SalesforceRequestError(400, 'INVALID_REPLICATION_DATE', 'EndDate before StartDate');
  if (start < now() - maxDaysBack * DAY_MS) {
    throw new SalesforceRequestError(
      400,
      'INVALID_REPLICATION_DATE',
      `startDate cannot be more than ${maxDaysBack} days ago`,
    );
  }
  // Salesforce ignores seconds: the window is whole minutes, and never reaches past now.
  return { from: floorMinute(start), to: floorMinute(Math.min(end, now())) };
}

function floorMinute(t: number): number {
  return t - (t % 60_000);
}

export function registerDescribeRoutes(ctx: SalesforceContext): void {
  const { app, org, now, usage } = ctx;

  // --- versions and resources ------------------------------------------------------------------
  app.get('/services/data', async (_request, reply) => {
    const versions = [];
    for (let v = FIRST_LISTED_VERSION; v <= MAX_VERSION; v++)
      versions.push({ label: `v${v}.0`, url: `/services/data/v${v}.0`, version: `${v}.0` });
    return sendJson(reply, 200, versions);
  });

  app.get(api(''), async (request, reply) => {
    const base = `/services/data/v${versionOf(request)}`;
    return sendJson(reply, 200, {
      limits: `${base}/limits`,
      identity: `${ctx.baseUrl()}/id/${org.orgId}/${sessionOf(request).userId}`,
      sobjects: `${base}/sobjects`,
      query: `${base}/query`,
      queryAll: `${base}/queryAll`,
      composite: `${base}/composite`,
    });
  });

  app.get(api('/limits'), async (_request, reply) => {
    const used = usage.used(now());
    const remaining = (max: number, usedOf = 0) => ({ Max: max, Remaining: Math.max(0, max - usedOf) });
    return sendJson(reply, 200, {
      DailyApiRequests: remaining(usage.limit, used),
      DailyBulkApiBatches: remaining(15_000),
      DailyBulkV2QueryJobs: remaining(10_000),
      DailyBulkV2QueryFileStorageMB: remaining(1_000_000),
      DataStorageMB: remaining(1024, Math.ceil((totalRecords(org) * 2) / 1024)),
      FileStorageMB: remaining(1024),
      SingleEmail: remaining(5000),
    });
  });

  // --- describe --------------------------------------------------------------------------------
  app.get(api('/sobjects'), async (request, reply) =>
    sendJson(reply, 200, {
      encoding: 'UTF-8',
      maxBatchSize: COLLECTION_LIMIT,
      sobjects: [...objects.values()].map((o) => objectSummary(o, versionOf(request))),
    }),
  );

  app.get(api('/sobjects/:type'), async (request, reply) => {
    const object = objectFrom(request);
    return sendJson(reply, 200, {
      objectDescribe: objectSummary(object, versionOf(request)),
      recentItems: [],
    });
  });

  app.get(api('/sobjects/:type/describe'), async (request, reply) => {
    const object = objectFrom(request);
    return sendJson(reply, 200, {
      ...objectSummary(object, versionOf(request)),
      fields: object.fields.map(describeField),
      childRelationships: [],
      recordTypeInfos: [],
    });
  });

  // --- updated / deleted -----------------------------------------------------------------------
  app.get(api('/sobjects/:type/updated'), async (request, reply) => {
    const object = objectFrom(request);
    const { from, to } = replicationWindow(request, now, 30);
    const fromStamp = formatDateTime(from);
    const toStamp = formatDateTime(to);
    const ids: string[] = [];
    for (const record of org.table(object.name).values()) {
      const stamp = record.SystemModstamp as string;
      if (record.IsDeleted !== true && stamp >= fromStamp && stamp < toStamp) ids.push(record.Id as string);
    }
    if (ids.length > 600_000)
      throw new SalesforceRequestError(400, 'EXCEEDED_ID_LIMIT', 'too many ids: narrow the window');
    return sendJson(reply, 200, { ids, latestDateCovered: toStamp });
  });

  app.get(api('/sobjects/:type/deleted'), async (request, reply) => {
    const object = objectFrom(request);
    const { from, to } = replicationWindow(request, now, 15);
    const deletedRecords: { id: string; deletedDate: string }[] = [];
    for (const record of org.table(object.name).values()) {
      if (record.IsDeleted !== true) continue;
      const at = org.deletedAt(record.Id as string);
      if (at !== undefined && at >= from && at < to)
        deletedRecords.push({ id: record.Id as string, deletedDate: formatDateTime(at - (at % 1000)) });
    }
    return sendJson(reply, 200, {
      deletedRecords,
      earliestDateAvailable: formatDateTime(org.createdAt - (org.createdAt % 60_000)),
      latestDateCovered: formatDateTime(to),
    });
  });
}
