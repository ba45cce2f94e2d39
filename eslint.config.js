// Type-aware linting with zero warnings allowed (`npm run lint`). Nx tags keep the dependency
// direction: services and tools depend on libs, libs never on services, libs/money on nothing.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import jest from 'eslint-plugin-jest';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.nx/**',
      'deploy/local/kafka/lib/**',
      '**/.data/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // The end-to-end harness (tests/e2e, in no project) starts the whole platform; the soak
          // bench (tools/bench/src/soak.bench.ts) drives it rather than copying it.
          // The console's browser test and its screenshots start `npm start`'s process with the
          // standalone app's own test harness (apps/standalone/src/testing), as its tests do.
          allow: [
            '../../../tests/e2e/*',
            '../../standalone/src/testing/*',
            '../../../standalone/src/testing/*',
          ],
          depConstraints: [
            { sourceTag: 'lib:money', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:service'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:service'] },
          ],
        },
      ],
    },
  },
  {
    // The Kafka client is replaceable in one folder (docs/adr/003-kafkajs-hazards.md, decision 1):
    // everything else uses @billing/messaging's `KafkaClient` and its types. Tests and the test
    // infrastructure library may drive the broker directly.
    files: ['**/*.ts'],
    ignores: ['libs/messaging/src/kafka/**', 'libs/testing/**', '**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kafkajs',
              message:
                'only libs/messaging/src/kafka/ imports kafkajs; use KafkaClient, createKafkaClient and the Kafka* types of @billing/messaging',
            },
          ],
        },
      ],
    },
  },
  {
    // The console's browser code (apps/console/src/app): React's rules of hooks, the DOM's globals.
    files: ['apps/console/src/app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: globals.browser },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['**/*.spec.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*'] }],
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
  prettier,
);
