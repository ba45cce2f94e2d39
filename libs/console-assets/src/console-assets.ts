import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  /** The gzip of `body` for text files (compressed once, at load). */
  readonly gzip: Buffer | undefined;
}

/**
 * The console's built files (apps/console/dist), read into memory once: they are a few hundred
 * kilobytes, and serving them from memory keeps a request for a page off the disk and the event
 * loop free for the services. `undefined` when the console has not been built.
 */
export class ConsoleAssets {
  private constructor(
    private readonly files: ReadonlyMap<string, Asset>,
    readonly dir: string,
  ) {}

  static load(dir: string): ConsoleAssets | undefined {
    if (!existsSync(join(dir, 'index.html'))) return undefined;
    const files = new Map<string, Asset>();
    const walk = (folder: string): void => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) {
          walk(path);
          continue;
        }
        if (!statSync(path).isFile()) continue;
        const ext = extname(entry.name).toLowerCase();
        const body = readFileSync(path);
        files.set(`/${relative(dir, path).split(sep).join('/')}`, {
          type: TYPES[ext] ?? 'application/octet-stream',
          body,
          gzip: COMPRESSIBLE.has(ext) ? gzipSync(body, { level: 9 }) : undefined,
        });
      }
    };
    walk(dir);
    return new ConsoleAssets(files, dir);
  }

  /** The file at a URL path (`/assets/index-abc.js`), if the build has one. */
  file(path: string): Asset | undefined {
    return this.files.get(path);
  }

  get index(): Asset {
    const index = this.files.get('/index.html');
    if (index === undefined) throw new Error('the console build has no index.html');
    return index;
  }
}
