// Jest runs in native ESM mode (NestJS 12 ships ES modules only), with swc as the transform.
// Test level is the file suffix: *.spec.ts unit, *.int.spec.ts integration, *.e2e.spec.ts end to end.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2024',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/apps', '<rootDir>/tests'],
  injectGlobals: true,
};

const projects = [
  {
    ...common,
    displayName: 'unit',
    testMatch: ['**/*.spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$'],
  },
  { ...common, displayName: 'int', testMatch: ['**/*.int.spec.ts'], testTimeout: 30_000 },
  { ...common, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'], testTimeout: 60_000 },
];

// TEST_LEVEL=unit|int|e2e picks one level (the npm scripts set it); without it, all three.
// Selecting by config rather than --selectProjects keeps positional test-path filters working:
// `npm run test:unit -- libs/money`.
const level = process.env.TEST_LEVEL;
const selected = level ? projects.filter((p) => p.displayName === level) : projects;
if (selected.length === 0) throw new Error(`TEST_LEVEL must be unit, int or e2e, not "${level}"`);

const reporters = ['default', '<rootDir>/tools/jest/summary-reporter.cjs'];

/** @type {import('jest').Config} */
export default selected.length === 1
  ? { ...selected[0], reporters }
  : { projects: selected, reporters };
