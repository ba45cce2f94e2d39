import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// DESIGN.md: libs/money depends on nothing. The Nx lint rule covers other @billing libs; this
// test also covers npm packages and Node built-ins, so a stray import fails CI either way.
const srcDir = fileURLToPath(new URL('.', import.meta.url));
const packageJsonPath = fileURLToPath(new URL('../package.json', import.meta.url));

const productionFiles = readdirSync(srcDir).filter(
  (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'),
);

describe('libs/money boundaries', () => {
  it('has production sources to check', () => {
    expect(productionFiles).toContain('index.ts');
  });

  it.each(productionFiles)(
    'given %s, when its imports are read, then each one is a sibling file',
    (name) => {
      const source = readFileSync(`${srcDir}/${name}`, 'utf8');
      const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(
        (match) => match[1],
      );
      for (const specifier of specifiers) expect(specifier).toMatch(/^\.\/[a-z-]+\.js$/);
    },
  );

  it('declares no runtime dependencies in package.json', () => {
    const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as Record<string, unknown>;
    expect(pkg['dependencies']).toBeUndefined();
    expect(pkg['peerDependencies']).toBeUndefined();
    expect(pkg['optionalDependencies']).toBeUndefined();
  });
});
