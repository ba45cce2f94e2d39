import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The lifecycle the console's two front servers share (the standalone app's and the distributed
 * console server's): listen, and close gracefully.
 */

/** Listens on `port` (0: any free one) of `host`; resolves with the port, rejects on an error. */
export async function listenOn(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Stops accepting connections and closes the idle ones at once; requests in flight get up to
 * `graceMs` to finish, then their connections are cut. Resolves once the server has closed.
 */
export async function closeGracefully(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
