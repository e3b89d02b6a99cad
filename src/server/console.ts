/**
 * Serves the console (the web dashboard, src/console) next to the HTTP API: `GET /` answers its
 * index.html and `GET /console/<file>` its hashed script and stylesheet, all from `dist/console`
 * (built by `npm run build:console`, which `npm ci` runs). The page holds no data, so it is served
 * without the API token; every number comes from the JSON API, which asks for it.
 *
 * Every answer carries a strict Content-Security-Policy (no inline script or style, nothing from
 * another origin, no framing), `nosniff` and no referrer. Without a build, `/` answers 503 with
 * how to build it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build:console` writes the console. */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/** The path prefix of the console's assets. */
export const CONSOLE_ASSETS = '/console/';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleOptions {
  /** The built console (default {@link CONSOLE_DIST_DIR}). */
  readonly distDir?: string;
}

const types: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A built file's name: letters, digits, dots, dashes, underscores; no path, no leading dot. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
/** esbuild's `[name]-[hash]` names: content-addressed, so cacheable for good. */
const HASHED = /-[A-Z0-9]{8,}\.(?:js|css)(?:\.map|\.LEGAL\.txt)?$/;

const MISSING = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Crosswalk console not built</title></head>
<body><h1>The Crosswalk console is not built</h1>
<p>Run <code>npm run build:console</code> (or <code>npm ci</code>, which runs it), then reload this page.</p>
<p>The JSON API works without it: try <a href="/api/health">/api/health</a>.</p></body></html>
`;

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

async function readOrUndefined(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`the console cannot read ${file}`, { cause: error });
  }
}

/**
 * Registers `GET /` and `GET /console/:file` on `app`. Files are read when asked for (there are
 * three), so a build made while the service runs is served at once.
 */
export function registerConsole(app: FastifyInstance, options: ConsoleOptions = {}): void {
  const dir = options.distDir ?? CONSOLE_DIST_DIR;

  app.get('/', async (request, reply) => {
    const html = await readOrUndefined(path.join(dir, 'index.html'));
    secure(reply).header('cache-control', 'no-cache');
    if (html === undefined) return reply.code(503).type('text/html; charset=utf-8').send(MISSING);
    const etag = `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`;
    reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(html);
  });

  app.get<{ Params: { file: string } }>(`${CONSOLE_ASSETS}:file`, async (request, reply) => {
    const { file } = request.params;
    const type = types[path.extname(file)];
    const body =
      ASSET_NAME.test(file) && type !== undefined ? await readOrUndefined(path.join(dir, file)) : undefined;
    secure(reply);
    if (body === undefined || type === undefined)
      return reply
        .code(404)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(`No console file ${file}: reload the page (the console may have been rebuilt).\n`);
    reply.header('cache-control', HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.type(type).send(body);
  });
}
