// Every workspace (libs/*, services/*, apps/*, tools/*) declares in its package.json exactly the
// packages it imports: what non-test code imports in `dependencies`, what only tests and test
// helpers import in `devDependencies`, nothing declared that nothing imports, and one version
// range per package across the repository. Without this a workspace works only because npm
// hoists a neighbour's dependency to the root, until the neighbour drops it.
// Run by `npm run lint`: node --import @swc-node/register/esm-register tools/lint/check-dependencies.ts
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface PackageJson {
  readonly name?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

export interface Workspace {
  /** The folder, relative to the repository root (`libs/money`). */
  readonly dir: string;
  readonly packageJson: PackageJson;
  /** Each TypeScript file (path relative to the workspace) with the packages it imports. */
  readonly imports: ReadonlyMap<string, ReadonlySet<string>>;
}

const WORKSPACE_PARENTS = ['libs', 'services', 'apps', 'tools'];
const BUILTINS = new Set(builtinModules);

/**
 * Test files, test helpers and a bundler's configuration (the console's vite.config.ts, which runs
 * at build time only, like a test): their imports belong in `devDependencies`.
 */
export function isTestFile(file: string): boolean {
  const path = file.split(sep).join('/');
  return (
    /\.spec\.ts$/.test(path) ||
    /(^|\/)testing\//.test(path) ||
    /(^|\/)test-support\.ts$/.test(path) ||
    /(^|\/)vite\.config\.ts$/.test(path)
  );
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for relative and built-in. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  if (specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0] ?? ''))
    return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The module specifiers a TypeScript (or TSX) source imports: static, type-only, re-exports, `import()`. */
export function importedSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal))
        found.push(arg.literal.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The problems of the workspaces, each one line naming the workspace and the package. The root
 * package.json (the toolchain, and the files in no workspace: tests/, services/*.spec.ts) takes
 * part only in the one-range-per-package rule.
 */
export function checkWorkspaces(
  workspaces: readonly Workspace[],
  root: PackageJson = {},
): string[] {
  const problems: string[] = [];
  const ranges = new Map<string, Map<string, string[]>>();
  const addRanges = (dir: string, declared: Readonly<Record<string, string>>): void => {
    for (const [pkg, range] of Object.entries(declared)) {
      let byRange = ranges.get(pkg);
      if (!byRange) ranges.set(pkg, (byRange = new Map<string, string[]>()));
      byRange.set(range, [...(byRange.get(range) ?? []), dir]);
    }
  };
  addRanges('package.json', { ...root.dependencies, ...root.devDependencies });
  for (const ws of workspaces) {
    const deps = ws.packageJson.dependencies ?? {};
    const devDeps = ws.packageJson.devDependencies ?? {};
    const own = ws.packageJson.name;
    const usedByCode = new Map<string, string>();
    const usedByTests = new Map<string, string>();
    for (const [file, packages] of ws.imports) {
      const used = isTestFile(file) ? usedByTests : usedByCode;
      for (const pkg of packages) if (pkg !== own && !used.has(pkg)) used.set(pkg, file);
    }
    for (const [pkg, file] of usedByCode) {
      if (pkg in deps) continue;
      const where = pkg in devDeps ? 'in devDependencies, but' : 'not declared, but';
      problems.push(
        `${ws.dir}: ${pkg} is ${where} imported by non-test code (${file}); add it to dependencies`,
      );
    }
    for (const [pkg, file] of usedByTests) {
      if (pkg in deps || pkg in devDeps) continue;
      problems.push(
        `${ws.dir}: ${pkg} is not declared, but imported by tests (${file}); add it to devDependencies`,
      );
    }
    for (const pkg of Object.keys(deps)) {
      if (usedByCode.has(pkg)) continue;
      problems.push(
        usedByTests.has(pkg)
          ? `${ws.dir}: ${pkg} is in dependencies, but only tests import it; move it to devDependencies`
          : `${ws.dir}: ${pkg} is in dependencies, but nothing imports it; remove it`,
      );
    }
    for (const pkg of Object.keys(devDeps)) {
      if (pkg in deps)
        problems.push(`${ws.dir}: ${pkg} is in both dependencies and devDependencies`);
      else if (!usedByTests.has(pkg) && !usedByCode.has(pkg))
        problems.push(`${ws.dir}: ${pkg} is in devDependencies, but nothing imports it; remove it`);
    }
    addRanges(ws.dir, { ...deps, ...devDeps });
  }
  const workspaceNames = new Set(workspaces.map((ws) => ws.packageJson.name));
  for (const [pkg, byRange] of ranges) {
    if (workspaceNames.has(pkg)) {
      for (const [range, dirs] of byRange)
        if (range !== '*')
          problems.push(
            `${dirs.join(', ')}: ${pkg} is a workspace; declare it as "*", not "${range}"`,
          );
    } else if (byRange.size > 1) {
      const listed = [...byRange]
        .map(([range, dirs]) => `"${range}" in ${dirs.join(', ')}`)
        .join('; ');
      problems.push(`${pkg} has different version ranges: ${listed}; use one range everywhere`);
    }
  }
  return problems;
}

function typeScriptFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...typeScriptFiles(path));
    else if (/\.[cm]?tsx?$/.test(entry)) files.push(path);
  }
  return files;
}

/** Reads every workspace of the repository at `root`. */
export function readWorkspaces(root: string): Workspace[] {
  const workspaces: Workspace[] = [];
  for (const parent of WORKSPACE_PARENTS) {
    for (const name of readdirSync(join(root, parent)).sort()) {
      const dir = join(root, parent, name);
      let packageJson: PackageJson;
      try {
        packageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
      } catch {
        continue; // not a workspace (a file, or a folder of scripts like tools/jest)
      }
      const imports = new Map<string, Set<string>>();
      for (const file of typeScriptFiles(dir)) {
        const packages = new Set<string>();
        for (const specifier of importedSpecifiers(file, readFileSync(file, 'utf8'))) {
          const pkg = packageOf(specifier);
          if (pkg !== undefined) packages.add(pkg);
        }
        imports.set(relative(dir, file), packages);
      }
      workspaces.push({ dir: relative(root, dir), packageJson, imports });
    }
  }
  return workspaces;
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const root = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;
  const problems = checkWorkspaces(readWorkspaces(process.cwd()), root);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(
      `check-dependencies: ${problems.length} problem(s) in the workspaces' package.json`,
    );
    process.exit(1);
  }
}
