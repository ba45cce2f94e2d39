import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A workspace package is imported two ways: built (`node .../dist/main.js` resolves the
// `default` condition of its `exports` to dist/) and from source (tsc, the swc loader of
// `npm start` and Jest read tsconfig.base.json's `paths`). The two maps must name the same entry
// points, or the build and the tests would run different modules.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;

interface Manifest {
  name: string;
  exports?: Record<string, { types: string; default: string }>;
}
const folders = readJson<{ workspaces: string[] }>('package.json').workspaces.flatMap((glob) => {
  const parent = glob.replace(/\/\*$/, '');
  return readdirSync(join(ROOT, parent))
    .map((name) => `${parent}/${name}`)
    .filter((dir) => existsSync(join(ROOT, dir, 'package.json')));
});
const paths = readJson<{ compilerOptions: { paths: Record<string, string[]> } }>(
  'tsconfig.base.json',
).compilerOptions.paths;

describe('workspace entry points', () => {
  const expected: Record<string, string[]> = {};
  for (const folder of folders) {
    const manifest = readJson<Manifest>(`${folder}/package.json`);
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const name = subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`;
      expected[name] = [`./${folder}/${target.types.slice(2)}`];

      it(`${name}: types is the source, default the built file of the same module`, () => {
        expect(target.types).toMatch(/^\.\/src\/.+\.ts$/);
        expect(target.default).toBe(
          target.types.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js'),
        );
        expect(existsSync(join(ROOT, folder, target.types))).toBe(true);
      });
    }
  }

  it('tsconfig.base.json maps exactly the exported entry points to their sources', () => {
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    expect(paths).toEqual(expected);
  });
});
