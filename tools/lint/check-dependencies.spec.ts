import { describe, expect, it } from '@jest/globals';
import {
  checkWorkspaces,
  importedSpecifiers,
  isTestFile,
  packageOf,
  type PackageJson,
  type Workspace,
} from './check-dependencies.js';

function workspace(
  dir: string,
  packageJson: PackageJson,
  files: Record<string, readonly string[]>,
): Workspace {
  return {
    dir,
    packageJson,
    imports: new Map(Object.entries(files).map(([file, pkgs]) => [file, new Set(pkgs)])),
  };
}

describe('importedSpecifiers', () => {
  it('finds static, type-only, side-effect, re-exported and dynamic imports', () => {
    const source = [
      "import pg from 'pg';",
      "import type { Request } from 'express';",
      "import 'reflect-metadata';",
      "export { x } from '@nestjs/common';",
      "export * from './local.js';",
      "const k = await import('kafkajs');",
      "type T = import('jose').JWTPayload;",
      "const s = 'import from nowhere';",
    ].join('\n');
    expect(importedSpecifiers('a.ts', source)).toEqual([
      'pg',
      'express',
      'reflect-metadata',
      '@nestjs/common',
      './local.js',
      'kafkajs',
      'jose',
    ]);
  });
});

describe('packageOf', () => {
  it('names the package of a bare specifier, scoped or not, with or without a subpath', () => {
    expect(packageOf('pg')).toBe('pg');
    expect(packageOf('@billing/service-kit/database')).toBe('@billing/service-kit');
    expect(packageOf('gpt-tokenizer/encoding/o200k_base')).toBe('gpt-tokenizer');
  });

  it('ignores relative paths and Node built-ins', () => {
    expect(packageOf('./x.js')).toBeUndefined();
    expect(packageOf('../y/z.js')).toBeUndefined();
    expect(packageOf('node:fs')).toBeUndefined();
    expect(packageOf('crypto')).toBeUndefined();
    expect(packageOf('fs/promises')).toBeUndefined();
  });
});

describe('isTestFile', () => {
  it('counts spec files, testing/ folders, test-support and the bundler config as tests, nothing else', () => {
    expect(isTestFile('src/a.spec.ts')).toBe(true);
    expect(isTestFile('src/a.int.spec.ts')).toBe(true);
    expect(isTestFile('src/testing/app.ts')).toBe(true);
    expect(isTestFile('src/test-support.ts')).toBe(true);
    expect(isTestFile('vite.config.ts')).toBe(true);
    expect(isTestFile('src/a.ts')).toBe(false);
    expect(isTestFile('src/app/page.tsx')).toBe(false);
    expect(isTestFile('src/attesting/a.ts')).toBe(false);
  });
});

describe('checkWorkspaces', () => {
  it('accepts a workspace that declares exactly what it imports', () => {
    const ws = workspace(
      'libs/a',
      { name: '@x/a', dependencies: { pg: '^8.0.0' }, devDependencies: { 'fast-check': '^4.0.0' } },
      { 'src/a.ts': ['pg', '@x/a'], 'src/a.spec.ts': ['pg', 'fast-check'] },
    );
    expect(checkWorkspaces([ws])).toEqual([]);
  });

  it('names the workspace and the package that non-test code imports undeclared', () => {
    const ws = workspace('services/s', { name: '@x/s' }, { 'src/main.ts': ['reflect-metadata'] });
    expect(checkWorkspaces([ws])).toEqual([
      'services/s: reflect-metadata is not declared, but imported by non-test code (src/main.ts); add it to dependencies',
    ]);
  });

  it('refuses a devDependency imported by non-test code', () => {
    const ws = workspace(
      'libs/a',
      { name: '@x/a', devDependencies: { pg: '^8.0.0' } },
      { 'src/a.ts': ['pg'] },
    );
    expect(checkWorkspaces([ws])).toEqual([
      'libs/a: pg is in devDependencies, but imported by non-test code (src/a.ts); add it to dependencies',
    ]);
  });

  it('asks for test-only imports in devDependencies, and moves dependencies only tests use', () => {
    const ws = workspace(
      'libs/a',
      { name: '@x/a', dependencies: { kafkajs: '2.2.4' } },
      { 'src/testing/app.ts': ['kafkajs', '@x/testing'] },
    );
    expect(checkWorkspaces([ws])).toEqual([
      'libs/a: @x/testing is not declared, but imported by tests (src/testing/app.ts); add it to devDependencies',
      'libs/a: kafkajs is in dependencies, but only tests import it; move it to devDependencies',
    ]);
  });

  it('refuses declared packages that nothing imports', () => {
    const ws = workspace(
      'libs/a',
      { name: '@x/a', dependencies: { rxjs: '^7.0.0' }, devDependencies: { jose: '^6.0.0' } },
      { 'src/a.ts': [] },
    );
    expect(checkWorkspaces([ws])).toEqual([
      'libs/a: rxjs is in dependencies, but nothing imports it; remove it',
      'libs/a: jose is in devDependencies, but nothing imports it; remove it',
    ]);
  });

  it('refuses two ranges of one package, the root package.json included', () => {
    const a = workspace(
      'libs/a',
      { name: '@x/a', dependencies: { kafkajs: '2.2.4' } },
      { 'src/a.ts': ['kafkajs'] },
    );
    const b = workspace(
      'libs/b',
      { name: '@x/b', dependencies: { kafkajs: '^2.2.4' } },
      { 'src/b.ts': ['kafkajs'] },
    );
    expect(checkWorkspaces([a, b])).toEqual([
      'kafkajs has different version ranges: "2.2.4" in libs/a; "^2.2.4" in libs/b; use one range everywhere',
    ]);
    expect(checkWorkspaces([a], { devDependencies: { kafkajs: '2.2.3' } })).toEqual([
      'kafkajs has different version ranges: "2.2.3" in package.json; "2.2.4" in libs/a; use one range everywhere',
    ]);
  });

  it('wants a workspace package declared as "*"', () => {
    const a = workspace('libs/a', { name: '@x/a' }, {});
    const b = workspace(
      'libs/b',
      { name: '@x/b', dependencies: { '@x/a': '^0.1.0' } },
      { 'src/b.ts': ['@x/a'] },
    );
    expect(checkWorkspaces([a, b])).toEqual([
      'libs/b: @x/a is a workspace; declare it as "*", not "^0.1.0"',
    ]);
  });
});
