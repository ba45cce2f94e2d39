import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConsoleAssets } from './console-assets.js';

describe('ConsoleAssets.load: the build in memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-assets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is undefined without an index.html (an unbuilt console is not served half-way)', () => {
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty/app.js'), '1');
    expect(ConsoleAssets.load(join(dir, 'empty'))).toBeUndefined();
  });

  it('keys every file by its URL path, types it, and gzips text files only', () => {
    const build = join(dir, 'build');
    mkdirSync(join(build, 'assets/nested'), { recursive: true });
    writeFileSync(join(build, 'index.html'), '<!doctype html>');
    writeFileSync(join(build, 'assets/nested/app-1.js'), 'export {};');
    writeFileSync(join(build, 'assets/logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const assets = ConsoleAssets.load(build);
    expect(assets?.index.body.toString()).toBe('<!doctype html>');
    const script = assets?.file('/assets/nested/app-1.js');
    expect(script?.type).toBe('text/javascript; charset=utf-8');
    expect(gunzipSync(script?.gzip ?? Buffer.alloc(0)).toString()).toBe('export {};');
    expect(assets?.file('/assets/logo.png')?.gzip).toBeUndefined();
    // Only the exact key of a built file: no normalisation that a crafted path could use.
    expect(assets?.file('/assets/nested/../nested/app-1.js')).toBeUndefined();
    expect(assets?.file('assets/nested/app-1.js')).toBeUndefined();
  });
});
