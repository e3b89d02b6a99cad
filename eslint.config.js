// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // Emulators are product code but must never lean on the connectors they are meant to test.
    files: ['src/emulators/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/connectors/**', 'jsforce', '@hubspot/api-client'],
              message: 'Emulators never import connectors or official clients (connectors could then cheat).',
            },
          ],
        },
      ],
    },
  },
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
              group: [
                '**/engine/**',
                '**/connectors/**',
                '**/store/**',
                '**/server/**',
                '**/cli/**',
                '**/emulators/**',
              ],
              message:
                'core depends on nothing outside core (core ← engine ← connectors/store ← server/cli).',
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
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
