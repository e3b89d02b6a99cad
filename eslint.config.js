// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import patterns for folders of src/ (`**\/<name>/**`). */
const folders = (/** @type {string[]} */ ...names) => names.map((name) => `**/${name}/**`);

/** A layer wall: files that may not import what `patterns` name. */
const wall = (
  /** @type {string[]} */ files,
  /** @type {{ group: string[]; message: string }[]} */ patterns,
) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use `as const` objects, not enums.' },
      ],
    },
  },
  // The walls between layers (docs/architecture.md): core ← ports ← engine ← app ← server/cli, with
  // adapters (connectors, store backends) joined to the engine only in app/service.ts. Flat config
  // does not merge rules across blocks, so each folder has exactly one `no-restricted-imports`.
  wall(
    ['src/emulators/**'],
    [
      {
        group: ['**/connectors/**', 'jsforce', '@hubspot/api-client'],
        message: 'Emulators never import connectors or official clients (connectors could then cheat).',
      },
      {
        group: folders('engine', 'store', 'app', 'server', 'cli', 'api'),
        message: 'Emulators stand alone: they know the CRMs, not Crosswalk.',
      },
    ],
  ),
  wall(
    ['src/engine/**'],
    [
      {
        group: [
          ...folders(
            'connectors/salesforce',
            'connectors/hubspot',
            'store/embedded',
            'store/postgres',
            'emulators',
          ),
          '**/store/open-store.ts',
          '**/store/migrations.ts',
        ],
        message:
          'The engine uses the ports (connectors/ports.ts, store/state-store.ts); app/service.ts picks the adapters.',
      },
      {
        group: [...folders('app', 'server', 'cli', 'api'), '**/config/options.ts'],
        message:
          'The engine is below app, server, cli and the API contract, and takes typed options, not config.',
      },
      {
        group: ['jsforce', '@hubspot/api-client', 'pg', 'better-sqlite3', 'fastify', 'commander'],
        message: 'The engine does no I/O of its own: the ports do.',
      },
    ],
  ),
  wall(
    ['src/connectors/**'],
    [
      {
        group: folders('store', 'engine', 'app', 'server', 'cli', 'api', 'config', 'emulators'),
        message:
          'Connectors import only core, their port and their client (the emulators are tested through them).',
      },
    ],
  ),
  wall(
    ['src/store/**'],
    [
      {
        group: folders('connectors', 'engine', 'app', 'server', 'cli', 'api', 'config', 'emulators'),
        message: 'The store imports only core and its drivers.',
      },
    ],
  ),
  // The HTTP contract and its typed client: importable alone, by a browser bundle too.
  wall(
    ['src/api/**'],
    [
      {
        group: [
          ...folders('connectors', 'engine', 'store', 'app', 'server', 'cli', 'emulators'),
          '**/config/options.ts',
        ],
        message: 'api/ imports only core and the settings table, so a browser can import it alone.',
      },
      { group: ['node:*', 'fastify', 'pg', 'better-sqlite3'], message: 'api/ runs in a browser too.' },
    ],
  ),
  // The console runs in a browser and talks only to the JSON API: it imports the contract and its
  // client (src/api), the core's constants and the settings table, and Preact.
  wall(
    ['src/console/**'],
    [
      {
        group: [
          ...folders('connectors', 'engine', 'store', 'app', 'server', 'cli', 'emulators'),
          '**/config/options.ts',
        ],
        message: 'The console talks to Crosswalk only through the JSON API (src/api).',
      },
      {
        group: ['node:*', 'fastify', 'pg', 'better-sqlite3', 'jsforce', '@hubspot/api-client', 'commander'],
        message: 'The console runs in a browser.',
      },
    ],
  ),
  wall(
    ['src/config/**'],
    [
      {
        group: folders('connectors', 'engine', 'store', 'app', 'server', 'cli', 'api', 'emulators'),
        message: 'config imports only core (and zod).',
      },
    ],
  ),
  wall(
    ['src/app/**'],
    [
      {
        group: folders('server', 'cli', 'emulators'),
        message: 'app/ is below server/ and cli/, and never knows the emulators.',
      },
    ],
  ),
  wall(
    ['src/server/**'],
    [
      {
        group: folders('engine', 'store', 'connectors/salesforce', 'connectors/hubspot', 'cli', 'emulators'),
        message: 'server/ reaches the engine and the store through app/ (server → app → engine).',
      },
    ],
  ),
  {
    // The sync core is pure: values in, a plan out. No I/O, no clock, no randomness (SPEC; STYLE §2).
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'fs/*',
                'http',
                'https',
                'net',
                'child_process',
                'crypto',
                'os',
                'path',
              ],
              message: 'core does no I/O: take the values as arguments.',
            },
            {
              group: [
                'jsforce',
                '@hubspot/api-client',
                'fastify',
                'pg',
                'better-sqlite3',
                'pino',
                'commander',
              ],
              message: 'core does no I/O: connectors, stores and servers live outside it.',
            },
            {
              group: folders(
                'engine',
                'connectors',
                'store',
                'app',
                'api',
                'config',
                'server',
                'cli',
                'emulators',
              ),
              message: 'core depends on nothing outside core (core ← ports ← engine ← app ← server/cli).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'fetch',
          'setTimeout',
          'setInterval',
          'setImmediate',
          'process',
          'performance',
          'crypto',
          'console',
        ].map((name) => ({ name, message: 'core is pure: inject time, ids and logging.' })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core has no clock: take the time as an argument.' },
        { object: 'Math', property: 'random', message: 'core has no randomness.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use `as const` objects, not enums.' },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'core has no clock: take the time as an argument.',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Build scripts run on Node.
    files: ['scripts/**/*.mjs'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly' },
    },
  },
);
