#!/usr/bin/env node
// Builds the console (src/console, Preact + TSX) into dist/console: one hashed script, one hashed
// stylesheet and the index.html that loads them, which `registerConsole` (src/server/console.ts)
// serves. Run by `npm ci` (the `prepare` script) and by `npm run build:console`.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = path.join(root, 'src/console');
const outdir = path.join(root, 'dist/console');

/**
 * The contract imports `{ z }` from zod, a namespace the bundler cannot tree-shake: it would carry
 * zod's 40-odd error-message locales (about 260 KiB) that the console never uses. They become an
 * empty module; zod's English messages are its default and stay.
 */
const withoutZodLocales = {
  name: 'without-zod-locales',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export {};',
      loader: 'js',
    }));
  },
};

const started = Date.now();
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { app: path.join(source, 'main.tsx') },
  outdir,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Browsers of the last few years; no polyfills.
  target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  tsconfig: path.join(source, 'tsconfig.json'),
  plugins: [withoutZodLocales],
});

const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
const script = outputs.find((file) => /^app-[\w]+\.js$/.test(file));
const style = outputs.find((file) => /^app-[\w]+\.css$/.test(file));
if (script === undefined || style === undefined)
  throw new Error(`build-console: expected app-<hash>.js and app-<hash>.css, got ${outputs.join(', ')}`);

const template = await readFile(path.join(source, 'index.html'), 'utf8');
const html = template.replace('%SCRIPT%', `/console/${script}`).replace('%STYLE%', `/console/${style}`);
if (html.includes('%')) throw new Error('build-console: index.html has a placeholder left');
await writeFile(path.join(outdir, 'index.html'), html);

const sizes = await Promise.all(
  [script, style, 'index.html'].map(async (file) => {
    const bytes = await readFile(path.join(outdir, file));
    return `${file} ${(bytes.length / 1024).toFixed(1)} KiB (${(gzipSync(bytes).length / 1024).toFixed(1)} KiB gzip)`;
  }),
);
console.log(`console built in ${Date.now() - started} ms into dist/console:`);
for (const line of sizes) console.log(`  ${line}`);
