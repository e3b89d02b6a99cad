/**
 * `registerConsole` (src/server/console.ts) on its own: what `/` and `/console/<file>` answer, with
 * which headers, from a built console and without one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { CONSOLE_CSP, registerConsole } from '../../src/server/console.ts';

const INDEX =
  '<!doctype html><title>Crosswalk</title><script type="module" src="/console/app-ABCD1234.js"></script>';

async function serve(distDir: string): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  registerConsole(app, { distDir });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

function assertSecure(response: Response): void {
  assert.equal(response.headers.get('content-security-policy'), CONSOLE_CSP);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
}

describe('the console server', () => {
  let dir: string;
  let built: { app: FastifyInstance; url: string };
  let missing: { app: FastifyInstance; url: string };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'crosswalk-console-dist-'));
    await writeFile(path.join(dir, 'index.html'), INDEX);
    await writeFile(path.join(dir, 'app-ABCD1234.js'), 'console.log(1);\n');
    await writeFile(path.join(dir, 'app-ABCD1234.css'), 'body{margin:0}\n');
    await writeFile(path.join(dir, 'notes.txt'), 'not hashed\n');
    built = await serve(dir);
    missing = await serve(path.join(dir, 'nowhere'));
  });
  after(async () => {
    await built.app.close();
    await missing.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / with a strict CSP, revalidated (ETag, no-cache)', async () => {
    const response = await fetch(`${built.url}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await response.text(), INDEX);
    assertSecure(response);
    assert.match(CONSOLE_CSP, /default-src 'none'/);
    assert.match(CONSOLE_CSP, /frame-ancestors 'none'/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const etag = response.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${built.url}/`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const script = await fetch(`${built.url}/console/app-ABCD1234.js`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assertSecure(script);
    const style = await fetch(`${built.url}/console/app-ABCD1234.css`);
    assert.equal(style.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal((await fetch(`${built.url}/console/notes.txt`)).headers.get('cache-control'), 'no-cache');
  });

  it('answers 404 for what it did not build, and never leaves its directory', async () => {
    for (const file of ['app-NOPE0000.js', '..%2Findex.html', '.hidden.js', 'index.html', 'x.exe']) {
      const response = await fetch(`${built.url}/console/${file}`);
      assert.equal(response.status, 404, file);
      assertSecure(response);
    }
  });

  it('answers 503 with how to build it when dist/console is missing', async () => {
    const response = await fetch(`${missing.url}/`);
    assert.equal(response.status, 503);
    assertSecure(response);
    assert.match(await response.text(), /npm run build:console/);
  });
});
