/**
 * The Salesforce emulator's request pipeline for API calls (`/services/data/vXX.X/…`): version →
 * session → the daily API allocation (SPEC B1: every call counts; past the limit 403
 * `REQUEST_LIMIT_EXCEEDED`) → injected faults; `Sforce-Limit-Info` on every API response; the request
 * log; and the 404/405 and error answers in Salesforce's shape. OAuth and admin calls pass through
 * uncounted.
 *
 * Latency and injected delays are served once the request has arrived whole (after its body is read):
 * a client that gives up or disconnects while it waits does not undo the call, which Salesforce
 * completes all the same (a write is saved; only the answer is lost). A `drop` fault, by contrast,
 * cuts the connection before the request is processed.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SalesforceRequestError } from './errors.ts';
import {
  MAX_VERSION,
  MIN_VERSION,
  bearerToken,
  marksOf,
  notFoundErrors,
  sendErrors,
  type SalesforceContext,
} from './context.ts';

export interface PipelineOptions {
  /** Latency added to every API request, in ms. */
  readonly latencyMs: number;
}

const isApi = (url: string) => url.startsWith('/services/data/v');

export function registerPipeline(ctx: SalesforceContext, options: PipelineOptions): void {
  const { app, now, sessions, usage, faults, log } = ctx;
  const { latencyMs } = options;

  app.addHook('onRequest', async (request, reply) => {
    marksOf(request).startedAt = performance.now();
    const path = request.url.split('?')[0]!;
    if (!isApi(path)) return;
    marksOf(request).waitMs = latencyMs;
    // An answer given here has done nothing: it can wait where it is.
    const refuse = async (to: FastifyReply, status: number, errors: readonly unknown[]) => {
      if (latencyMs > 0) await sleep(latencyMs);
      return sendErrors(to, status, errors);
    };
    const version = /^\/services\/data\/v(\d+\.\d)(?:\/|$)/.exec(path)?.[1];
    if (!version || Number(version) < MIN_VERSION || Number(version) > MAX_VERSION) {
      return refuse(reply, 404, notFoundErrors);
    }
    const session = sessions.get(bearerToken(request));
    if (!session) {
      return refuse(reply, 401, [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]);
    }
    marksOf(request).session = session;
    if (usage.used(now()) >= usage.limit) {
      usage.refusedForLimit++;
      return refuse(reply, 403, [
        { errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' },
      ]);
    }
    usage.daily.add(now());
    usage.apiRequests++;
    const family = path.split('/')[4] ?? '';
    usage.byFamily.set(family, (usage.byFamily.get(family) ?? 0) + 1);
    marksOf(request).counted = true;
    const fault = faults.take(request.method, path);
    if (!fault) return;
    if (fault.kind === 'delay') {
      marksOf(request).waitMs = latencyMs + (fault.delayMs ?? 1000);
      return;
    }
    if (fault.kind === 'drop') {
      request.raw.socket.destroy();
      return reply.hijack();
    }
    if (fault.kind === 'status') {
      const status = fault.status ?? 500;
      return refuse(reply, status, [
        status === 503
          ? {
              errorCode: 'SERVER_UNAVAILABLE',
              message: 'Server temporarily unavailable; please try again later.',
            }
          : {
              errorCode: 'UNKNOWN_EXCEPTION',
              message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${randomUUID()}`,
            },
      ]);
    }
    const code = fault.code ?? 'UNABLE_TO_LOCK_ROW';
    if (code === 'REQUEST_LIMIT_EXCEEDED') {
      return refuse(reply, 403, [{ errorCode: code, message: 'TotalRequests Limit exceeded.' }]);
    }
    if (code === 'UNABLE_TO_LOCK_ROW') {
      // Not refused here: the write routes answer it per record.
      marksOf(request).lockFault = true;
      return;
    }
    // Other codes get the status Salesforce answers them with.
    const status =
      fault.status ?? (code === 'INVALID_SESSION_ID' ? 401 : code === 'SERVER_UNAVAILABLE' ? 503 : 400);
    return refuse(reply, status, [{ errorCode: code, message: `Injected fault: ${code}` }]);
  });

  // The request has arrived whole (body read): from here on it completes whatever the client does.
  app.addHook('preHandler', async (request) => {
    const waitMs = marksOf(request).waitMs ?? 0;
    if (waitMs > 0) await sleep(waitMs);
  });

  /** Adds a request to the log, once. */
  const record = (request: FastifyRequest, reply: FastifyReply) => {
    const marks = marksOf(request);
    if (marks.logged === true || request.url.startsWith('/__emulator/')) return;
    marks.logged = true;
    const startedAt = marks.startedAt ?? performance.now();
    log.add({
      at: new Date(now()).toISOString(),
      method: request.method,
      path: request.url,
      status: reply.statusCode,
      durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
      counted: marks.counted === true,
    });
  };

  app.addHook('onSend', async (request, reply, payload) => {
    if (isApi(request.url))
      reply.header('Sforce-Limit-Info', `api-usage=${usage.used(now())}/${usage.limit}`);
    // The client is gone, so no response will finish: the call was served all the same, log it now.
    if (request.raw.socket?.destroyed === true) record(request, reply);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => record(request, reply));

  app.setNotFoundHandler((request, reply) => {
    // A resource that exists under other methods answers 405, as Salesforce does.
    const url = request.url.split('?')[0]!;
    const allowed = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'].filter(
      (method) => app.findRoute({ method, url }) !== null,
    );
    if (allowed.length > 0) {
      return sendErrors(reply.header('allow', allowed.join(',')), 405, [
        {
          errorCode: 'METHOD_NOT_ALLOWED',
          message: `HTTP Method '${request.method}' not allowed. Allowed are ${allowed.join(',')}`,
        },
      ]);
    }
    return sendErrors(reply, 404, notFoundErrors);
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof SalesforceRequestError) return sendErrors(reply, error.status, error.body);
    if (error instanceof z.ZodError) {
      return reply
        .code(400)
        .type('application/json')
        .send({ error: { code: 'invalid_request', message: z.prettifyError(error) } });
    }
    const status =
      typeof (error as { statusCode?: unknown }).statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : 500;
    if (status === 413)
      return sendErrors(reply, 413, [
        { errorCode: 'REQUEST_ENTITY_TOO_LARGE', message: 'Request body is too large.' },
      ]);
    if (status < 500)
      return sendErrors(reply, status, [{ errorCode: 'INVALID_REQUEST', message: (error as Error).message }]);
    request.log.error(error);
    return sendErrors(reply, 500, [
      {
        errorCode: 'UNKNOWN_EXCEPTION',
        message: `An unexpected error occurred: ${(error as Error).message}`,
      },
    ]);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
