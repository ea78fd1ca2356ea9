// @ts-check
import { readdirSync } from 'node:fs';
import { URL } from 'node:url';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Layering (issue 10): which code may import which. domain, policy, crypto and redaction import
 * no other lib; event-store, read-store and projections never import platform; no lib imports an app;
 * an app imports no other app. Only test/ and bench/ may import apps. An import is caught by
 * alias (`@custodian/platform`), by relative path (`../../platform/src`,
 * `../../../libs/platform/src`) and by baseUrl path (`libs/platform/src`).
 */
const dirsIn = (dir) =>
  readdirSync(new URL(`./${dir}/`, import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
const LIBS = dirsIn('libs');
const APPS = dirsIn('apps');
const alternatives = (names) =>
  names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
const RELATIVE = '(?:\\./)?(?:\\.\\./)+';
/** An import of one of `names` (folders of libs/ or apps/) from outside it. */
const importOf = (dir, names) =>
  `^(?:${dir === 'libs' ? '@custodian/|' : ''}${RELATIVE}(?:${dir}/)?|${dir}/)(?:${alternatives(names)})(?:/|$)`;
/** An import of any app from outside apps/: the path must name apps/. */
const ANY_APP = `^(?:${RELATIVE})?apps/`;
/**
 * Decryption only through the audit (issue 11): outside libs/platform/src/vault, no code may
 * import what decrypts a customer's values without an access receipt.
 */
const UNAUDITED_DECRYPTION = [
  {
    name: '@custodian/crypto',
    importNames: ['decryptField', 'unwrapKey', 'SubjectKeys'],
    message:
      'Decryption goes through FieldVault against an AccessReceipt (an appended access record); see libs/platform/src/vault/access-receipt.ts.',
  },
];
const restrict = (files, patterns, { ignores = [], paths = UNAUDITED_DECRYPTION } = {}) => ({
  files,
  ignores,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      { paths, patterns: patterns.map(([regex, message]) => ({ regex, message })) },
    ],
  },
});
const VAULT = 'libs/platform/src/vault/**';
const NO_APPS = [ANY_APP, 'Layering: only test/ and bench/ import apps.'];
const layering = [
  ...['domain', 'policy', 'crypto', 'redaction'].map((lib) =>
    restrict(
      [`libs/${lib}/**`],
      [
        [
          importOf(
            'libs',
            LIBS.filter((other) => other !== lib),
          ),
          `Layering: libs/${lib} imports no other lib (domain, policy and crypto are the innermost layer).`,
        ],
        NO_APPS,
      ],
    ),
  ),
  restrict(
    ['libs/event-store/**', 'libs/read-store/**', 'libs/projections/**'],
    [
      [
        importOf('libs', ['platform']),
        'Layering: adapters and projections never import libs/platform (it wires them, not the other way round).',
      ],
      NO_APPS,
    ],
  ),
  restrict(['libs/platform/**'], [NO_APPS], { ignores: [VAULT] }),
  restrict([VAULT], [NO_APPS], { paths: [] }),
  ...APPS.filter(() => APPS.length > 1).map((app) =>
    restrict(
      [`apps/${app}/**`],
      [
        [
          importOf(
            'apps',
            APPS.filter((other) => other !== app),
          ),
          'Layering: an app imports no other app; shared code belongs in libs/.',
        ],
      ],
    ),
  ),
];

export default tseslint.config(
  { ignores: ['dist/**', 'data/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        require: 'readonly',
        module: 'writable',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { globals: { __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...layering,
  {
    files: ['bench/**', 'test/**', '**/*.spec.ts', 'apps/cli/**'],
    rules: { 'no-console': 'off' },
  },
);
