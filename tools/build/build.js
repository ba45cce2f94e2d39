// `npm run build`: compiles every workspace's src/ to JavaScript in its own dist/ (src/a/b.ts ->
// dist/a/b.js, with a source map), tests left out. Each package's `exports` point at dist/ by
// default, so `node services/<name>/dist/main.js` runs with only production dependencies
// installed: no TypeScript loader, no swc. The transform is the tests' (swc-options.js); types are
// checked by `npm run typecheck`, which `npm run build` runs first.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';
import { buildConsole, CONSOLE } from './console.js';
import { swcOptions } from './swc-options.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Test files and test-only helpers' specs are not part of a build. */
const isBuilt = (file) =>
  file.endsWith('.ts') && !file.endsWith('.d.ts') && !/\.spec\.ts$/.test(file);

/** Every workspace (the root package.json's globs are `<folder>/*`) that has a src/ folder. */
export function workspaces(root = ROOT) {
  const globs = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
  return globs.flatMap((glob) => {
    const parent = join(root, glob.replace(/\/\*$/, ''));
    return readdirSync(parent)
      .map((name) => join(parent, name))
      .filter((dir) => exists(join(dir, 'package.json')) && exists(join(dir, 'src')));
  });
}

function exists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return isBuilt(entry.name) ? [path] : [];
  });
}

async function compile(workspace) {
  const src = join(workspace, 'src');
  const dist = join(workspace, 'dist');
  rmSync(dist, { recursive: true, force: true });
  const files = sources(src);
  for (const file of files) {
    const out = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
    const { code, map } = await transformFile(file, {
      ...swcOptions(true),
      filename: file,
      sourceFileName: relative(dirname(out), file),
      outputPath: out,
      swcrc: false,
      configFile: false,
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, code); // swc ends it with the sourceMappingURL comment
    if (map !== undefined) writeFileSync(`${out}.map`, map);
  }
  return files.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  let total = 0;
  for (const workspace of workspaces()) {
    // A browser app: bundled by Vite (console.js), not compiled file by file for Node.
    if (workspace === CONSOLE) {
      await buildConsole();
      console.log('built apps/console/dist (Vite)');
      continue;
    }
    const count = await compile(workspace);
    total += count;
    console.log(`built ${relative(ROOT, workspace)}/dist (${count} files)`);
  }
  console.log(`built ${total} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
