/**
 * The admin endpoints every emulator has, under `/__emulator/`: reset, seed, faults and the request
 * log. Each emulator says what resetting and seeding mean for it and how it reads an admin body.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { faultSchema, type FaultQueue } from './faults.ts';
import type { RequestLog } from './request-log.ts';

export interface CommonAdmin {
  readonly faults: FaultQueue;
  readonly log: RequestLog;
  /** Empties the emulator (its own state; faults and the log are cleared here). */
  readonly reset: () => void;
  /** Adds the demo dataset for `count` people of seed `seed`; returns what it created. */
  readonly seed: (count: number, seed: number) => unknown;
  /** Parses an admin body with a schema (each emulator answers malformed JSON its own way). */
  readonly parse: <T extends z.ZodType>(schema: T, request: FastifyRequest) => z.output<T>;
  readonly sendJson: (reply: FastifyReply, status: number, body: unknown) => FastifyReply;
}

export const adminPath = (path: string): string => `/__emulator${path}`;

const seedSchema = z.object({
  count: z.number().int().min(0).max(5_000_000),
  seed: z.number().int().default(1),
});

export function registerCommonAdmin(app: FastifyInstance, admin: CommonAdmin): void {
  const { faults, log, sendJson } = admin;

  app.post(adminPath('/reset'), async (_request, reply) => {
    admin.reset();
    faults.clear();
    log.clear();
    return sendJson(reply, 200, { ok: true });
  });

  app.post(adminPath('/seed'), async (request, reply) => {
    const body = admin.parse(seedSchema, request);
    const started = performance.now();
    const created = admin.seed(body.count, body.seed);
    return sendJson(reply, 200, { created, ms: Math.round(performance.now() - started) });
  });

  app.post(adminPath('/faults'), async (request, reply) => {
    faults.add(admin.parse(faultSchema, request));
    return sendJson(reply, 200, { pending: faults.pending() });
  });
  app.get(adminPath('/faults'), async (_request, reply) =>
    sendJson(reply, 200, { pending: faults.pending() }),
  );
  app.delete(adminPath('/faults'), async (_request, reply) => {
    faults.clear();
    return sendJson(reply, 200, { pending: [] });
  });

  app.get(adminPath('/requests'), async (request, reply) => {
    const limit = Number((request.query as { limit?: string }).limit ?? 1000);
    return sendJson(reply, 200, { requests: log.recent(Number.isFinite(limit) ? limit : 1000) });
  });
}
