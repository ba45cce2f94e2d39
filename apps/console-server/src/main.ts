// `npm run start:console` (sources) / `npm run start:prod:console` (the build): the console's
// origin in the distributed mode. Configuration: docs/CONTRACTS.md, "Environment"; README.md here.
import { ConsoleAssets } from '@billing/console-assets';
import { loadConsoleServerEnv } from './config.js';
import { ConsoleServer } from './console-server.js';

function fatal(message: string): never {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', service: 'console-server', message })}\n`,
  );
  process.exit(1);
}

let config;
try {
  config = loadConsoleServerEnv();
} catch (err) {
  fatal(err instanceof Error ? err.message : String(err));
}
// Without its files there is nothing to serve: refuse to start rather than be "up" and empty.
const assets = ConsoleAssets.load(config.assetsDir);
if (assets === undefined) {
  fatal(`no console build in ${config.assetsDir} (npm run console:build, or set CONSOLE_DIST_DIR)`);
}

const server = new ConsoleServer(config, assets);
const port = await server.listen();
const upstreams = Object.fromEntries(
  Object.entries(config.services).map(([name, url]) => [name, url.href]),
);
process.stdout.write(
  `${JSON.stringify({ level: 'info', service: 'console-server', message: 'listening', host: config.host, port, services: upstreams })}\n`,
);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(
    `${JSON.stringify({ level: 'info', service: 'console-server', message: `${signal}: stopping` })}\n`,
  );
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
