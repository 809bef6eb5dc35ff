import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Layers, as import paths (relative ones included: `../http/errors`, `../../local/x`). shared/ is
 * the domain and knows nothing of the entry points, the local runtime, the CDK app or the CLI;
 * within shared/, only shared/http/ (the edge's HTTP mapping) speaks HTTP; functions/ run on
 * Lambda, so they never reach into the local runtime or the CDK app. A later config object
 * replaces an earlier one's options for the same rule, so each folder lists all of its own.
 */
const outside = (...folders) => folders.flatMap((folder) => [`**/${folder}`, `**/${folder}/**`]);
const SHARED_STAYS_INSIDE = {
  group: outside('functions', 'local', 'infra', 'cli'),
  message: 'shared/ is the domain: it imports nothing from functions/, local/, infra/ or cli/.',
};
const ONLY_THE_EDGE_SPEAKS_HTTP = {
  group: ['**/http/*'],
  message: 'Only shared/http/ speaks HTTP: throw a domain error from shared/errors.ts and let the edge map it.',
};
const FUNCTIONS_RUN_ON_LAMBDA = {
  group: outside('local', 'infra'),
  message: 'functions/ run on Lambda: they import nothing from local/ (the local runtime) or infra/ (the CDK app).',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local/', 'local/bench/results/', 'coverage/', 'cli/dist/', 'console/dist/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The console runs in the browser; TypeScript (console/tsconfig.json, with the DOM) checks its names.
    files: ['console/src/**/*.{ts,tsx}'],
    rules: { 'no-undef': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['shared/http/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SHARED_STAYS_INSIDE] }] },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/http/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SHARED_STAYS_INSIDE, ONLY_THE_EDGE_SPEAKS_HTTP] }] },
  },
  {
    files: ['functions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [FUNCTIONS_RUN_ON_LAMBDA] }] },
  },
);
