// Jest runs in native ESM mode (NestJS 12 ships ES modules only), with swc as the transform.
// Test level is the file suffix: *.spec.ts unit, *.int.spec.ts integration, *.e2e.spec.ts end to end.
import { readFileSync } from 'node:fs';
import { swcOptions } from './tools/build/swc-options.js';

const swc = ['@swc/jest', swcOptions('inline')];

// A workspace package's `exports` name its built file (dist/) by default and its source under
// `types`; the tests run the sources, so each @billing import is mapped to the source file that
// tsconfig.base.json's `paths` name (the same map the swc loader of `npm start` and tsc use).
const sourcePaths = JSON.parse(
  readFileSync(new URL('./tsconfig.base.json', import.meta.url), 'utf8'),
).compilerOptions.paths;
const workspaceSources = Object.fromEntries(
  Object.entries(sourcePaths).map(([name, [file]]) => [
    `^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`,
    `<rootDir>/${file.replace(/^\.\//, '')}`,
  ]),
);

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', ...workspaceSources },
  roots: [
    '<rootDir>/libs',
    '<rootDir>/services',
    '<rootDir>/tools',
    '<rootDir>/apps',
    '<rootDir>/tests',
  ],
  injectGlobals: true,
  // TEST_INFRA=containers: PostgreSQL and Kafka in containers for the run (testcontainers);
  // otherwise the machine's own, from `npm run infra:up`.
  ...(process.env.TEST_INFRA === 'containers'
    ? {
        globalSetup: '<rootDir>/tools/jest/containers-setup.mjs',
        globalTeardown: '<rootDir>/tools/jest/containers-teardown.mjs',
      }
    : {}),
};

/**
 * A level's timeout for every test and hook. `testTimeout` alone is not enough: Jest ignores it
 * inside `projects` (a run of all levels at once, as `npm test` does), so the project's setup file
 * (tools/jest/level-timeout.ts) applies `globals.levelTimeoutMs` with jest.setTimeout.
 */
const timeout = (ms) => ({
  testTimeout: ms,
  globals: { levelTimeoutMs: ms },
  setupFilesAfterEnv: ['<rootDir>/tools/jest/level-timeout.ts'],
});

const projects = [
  {
    ...common,
    ...timeout(5_000),
    displayName: 'unit',
    testMatch: ['**/*.spec.ts'],
    testPathIgnorePatterns: [
      '/node_modules/',
      '\\.int\\.spec\\.ts$',
      '\\.e2e\\.spec\\.ts$',
      '\\.chaos\\.spec\\.ts$',
      '\\.compose\\.spec\\.ts$',
    ],
  },
  { ...common, ...timeout(30_000), displayName: 'int', testMatch: ['**/*.int.spec.ts'] },
  { ...common, ...timeout(60_000), displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'] },
  // Faults caused for real against the whole platform (tests/chaos): `npm run test:chaos`, not
  // part of a run of all levels (its short version is an e2e test).
  { ...common, ...timeout(600_000), displayName: 'chaos', testMatch: ['**/*.chaos.spec.ts'] },
  // docker-compose.yml run for real (tests/compose): `npm run test:compose`, which builds the
  // images first; never part of a run of all levels (it needs a Docker engine).
  { ...common, ...timeout(120_000), displayName: 'compose', testMatch: ['**/*.compose.spec.ts'] },
];

// TEST_LEVEL=unit|int|e2e|chaos|compose picks one level (the npm scripts set it); without it,
// unit, int and e2e. Selecting by config rather than --selectProjects keeps positional test-path filters
// working: `npm run test:unit -- libs/money`.
const level = process.env.TEST_LEVEL;
const selected = level
  ? projects.filter((p) => p.displayName === level)
  : projects.filter((p) => !['chaos', 'compose'].includes(p.displayName));
if (selected.length === 0) {
  throw new Error(`TEST_LEVEL must be unit, int, e2e, chaos or compose, not "${level}"`);
}

const reporters = ['default', '<rootDir>/tools/jest/summary-reporter.cjs'];

/** @type {import('jest').Config} */
// The chaos level also prints its trials' figures as one table at the end (tests/chaos).
if (level === 'chaos') reporters.push('<rootDir>/tools/jest/chaos-reporter.mjs');

export default selected.length === 1
  ? { ...selected[0], reporters }
  : { projects: selected, reporters };
