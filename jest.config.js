/**
 * Tests by tier, one jest project each (`npm run test:unit`, `test:int`, `test:e2e`; `npm test`
 * runs all three):
 *   unit  *.unit.spec.ts beside the code: no server
 *   int   *.int.spec.ts beside the code: need EventStoreDB or MongoDB (EVENTSTORE_CONNECTION_STRING,
 *         MONGODB_URI); without them describeWhenEnv reports them skipped, with the reason
 *   e2e   test/*.e2e-spec.ts: the real app over HTTP, on real files
 * A spec named by no tier would run in none, so this config refuses to load while one exists.
 */
const { readdirSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join, relative } = require('node:path');
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

const TIERS = { unit: '**/*.unit.spec.ts', int: '**/*.int.spec.ts', e2e: '**/*.e2e-spec.ts' };
const TIERED = /\.(unit|int)\.spec\.ts$|\.e2e-spec\.ts$/;
const ROOTS = ['apps', 'libs', 'test'];

function specsWithoutTier(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : specsWithoutTier(path);
    return /spec\.ts$/.test(entry.name) && !TIERED.test(entry.name)
      ? [relative(__dirname, path)]
      : [];
  });
}
const untiered = ROOTS.flatMap((root) => specsWithoutTier(join(__dirname, root)));
if (untiered.length > 0)
  throw new Error(
    `name each spec by its tier (*.unit.spec.ts, *.int.spec.ts, *.e2e-spec.ts); ` +
      `these would run in no tier: ${untiered.join(', ')}`,
  );

module.exports = {
  testTimeout: 30000,
  // Two test files at a time even on two cores (jest's default there is one, in band): much of
  // the e2e time is spent waiting on child processes, file syncs and timers, and the second
  // worker takes the suite from about 370 s to 280 s here (docs/testing.md). `npx jest -i` runs
  // one file at a time, e.g. to time a file alone.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: Object.entries(TIERS).map(([tier, pattern]) => ({
    displayName: tier,
    testEnvironment: 'node',
    roots: ROOTS.map((root) => `<rootDir>/${root}`),
    testMatch: [pattern],
    transform: {
      // Type checking is `npm run typecheck`'s job; tests only transpile.
      '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    },
    moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  })),
};
