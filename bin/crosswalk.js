#!/usr/bin/env node
// The `crosswalk` command. Works right after `npm ci`, with no build step: the TypeScript sources are
// compiled on first use (esbuild, a dependency, in about a second) into one JavaScript file,
// `dist/cli/crosswalk.mjs` (dependencies left as imports), which later starts reuse while no source
// is newer. Plain JavaScript starts with ~60 MB less memory than compiling each module at run time
// with tsx, and without tsx's `__name` wrapper around every closure it creates. Where that file cannot
// be written (a read-only install) or esbuild fails, the sources run through tsx as before;
// `CROSSWALK_TSX=1` asks for that (stack traces then name the sources' lines, not the bundle's).
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import process from 'node:process';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = `${root}src`;
// Two directories down from the root, as `src/cli/main.ts` is: `import.meta.url`-relative paths
// (src/server/console.ts: `../../dist/console/`) resolve the same from the bundle.
const bundle = `${root}dist/cli/crosswalk.mjs`;

/** The newest modification time (ms) of the sources the CLI is built from. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The bundle, built now if missing or older than a source; null when it cannot be. */
async function compiled() {
  if (process.env.CROSSWALK_TSX === '1') return null;
  try {
    let built = 0;
    try {
      built = statSync(bundle).mtimeMs;
    } catch {
      // not built yet
    }
    if (built > 0 && built >= newestSource(sources)) return bundle;
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [`${sources}/cli/main.ts`],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
    });
    // Written aside, then renamed: CLIs started together each see a whole file.
    mkdirSync(`${root}dist/cli`, { recursive: true });
    const aside = `${bundle}.${process.pid}.tmp`;
    writeFileSync(aside, result.outputFiles[0].contents);
    renameSync(aside, bundle);
    return bundle;
  } catch {
    return null;
  }
}

const file = await compiled();
let main;
if (file) ({ main } = await import(pathToFileURL(file).href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
