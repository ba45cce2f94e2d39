// The console (apps/console) is a browser app: Vite bundles it into apps/console/dist, which the
// standalone app serves at `/`. `npm run build` builds it with the rest; `npm start` runs this with
// `--if-stale` first (the `prestart` script), so a fresh clone's `npm start` serves a console and a
// later one rebuilds only when a source changed. `node tools/build/console.js [--if-stale]`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CONSOLE = join(ROOT, 'apps/console');
const BUILT = join(CONSOLE, 'dist/index.html');

/** What the bundle is made of: the console's sources and config, and the money library it uses. */
const INPUTS = [
  join(CONSOLE, 'src'),
  join(CONSOLE, 'index.html'),
  join(CONSOLE, 'vite.config.ts'),
  join(CONSOLE, 'package.json'),
  join(ROOT, 'libs/money/src'),
];

function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined || /\.spec\.ts$/.test(path)) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), 0);
}

/** True when dist/ is missing or older than a source (tests are not part of the bundle). */
export function consoleIsStale() {
  const built = statSync(BUILT, { throwIfNoEntry: false });
  return built === undefined || INPUTS.some((input) => newest(input) > built.mtimeMs);
}

/** Bundles the console into apps/console/dist with Vite (its config: apps/console/vite.config.ts). */
export async function buildConsole({ quiet = false } = {}) {
  // React's production build is chosen by NODE_ENV, which Vite takes from the environment when it
  // is set: under Jest (NODE_ENV=test) the bundle would be React's development build, twice the size.
  process.env.NODE_ENV = 'production';
  const { build } = await import('vite');
  await build({
    root: CONSOLE,
    configFile: join(CONSOLE, 'vite.config.ts'),
    logLevel: quiet ? 'warn' : 'info',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !consoleIsStale()) process.exit(0);
  const started = Date.now();
  await buildConsole({ quiet: ifStale });
  console.log(`built apps/console/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
