// A stand-in for metering's `GET /v1/models` (the catalog the gateway reads), for tests and the
// bench: the shape metering answers, with the `sim/` models at the default catalog's prices and a
// few models of an `up/` provider that the simulated upstream server answers. Services never
// import each other's code, so this is a copy of the shape, checked by parseMeteringModels.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface PriceView {
  version: string;
  effectiveFrom: string;
  perMillionTokens: { input: string; output: string; cachedInput: string; cacheWrite: string };
}

const FROM = '2025-01-01T00:00:00.000Z';

function model(
  id: string,
  maxOutputTokens: number,
  p: PriceView['perMillionTokens'],
): Record<string, unknown> {
  const [provider] = id.split('/');
  return {
    id,
    displayName: id,
    provider,
    contextWindow: 128_000,
    maxOutputTokens,
    price: { version: `${id}@${FROM}`, effectiveFrom: FROM, perMillionTokens: p },
    nextPrice: null,
  };
}

const SIM_ECHO_1 = { input: '1', output: '2', cachedInput: '0.1', cacheWrite: '1.25' };
const SIM_ECHO_MINI = { input: '0.1', output: '0.4', cachedInput: '0.01', cacheWrite: '0.125' };

/** Metering's `GET /v1/models` answer for the tests. */
export const TEST_CATALOG = {
  at: FROM,
  data: [
    model('sim/echo-1', 16_384, SIM_ECHO_1),
    model('sim/echo-mini', 8_192, SIM_ECHO_MINI),
    ...['echo', 'no-usage', 'slow', 'broken', 'fail', 'reject', 'leak', 'leak-reject'].map((name) =>
      model(`up/${name}`, 4_096, SIM_ECHO_1),
    ),
    // In the catalog but without a price yet: not callable.
    { ...model('sim/unpriced', 1_000, SIM_ECHO_1), price: null },
  ],
};

export class MeteringCatalogStandIn {
  private server: http.Server | undefined;
  requests = 0;

  constructor(private readonly catalog: unknown = TEST_CATALOG) {}

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      this.requests += 1;
      const ok = req.method === 'GET' && req.url?.split('?')[0] === '/v1/models';
      const text = JSON.stringify(
        ok ? this.catalog : { error: { code: 'NOT_FOUND', message: 'no route' } },
      );
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      res.end(text);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return this.url;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the metering stand-in is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
