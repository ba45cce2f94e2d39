import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVICES, type ServiceName } from '@billing/contracts/http-routes';

/** One request as a stand-in saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** A route a test gives one stand-in; anything else is echoed back as JSON. */
export type StandInRoute = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/**
 * A stand-in for one of the five services: a plain HTTP server on a loopback port that records
 * what reached it and, unless a test gave it a route of its own, answers with
 * `{service, method, url, headers, bodyBytes}`. `/health/ready` answers 200.
 */
export class StandInService {
  readonly seen: SeenRequest[] = [];
  readonly routes = new Map<string, StandInRoute>();
  private server: Server | undefined;
  port = 0;

  constructor(readonly name: ServiceName) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = req.url ?? '/';
        if (url === '/health/ready') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
          return;
        }
        this.seen.push({ method: req.method ?? '', url, headers: req.headers, body });
        const own = this.routes.get(`${req.method ?? ''} ${url.split('?')[0] ?? ''}`);
        if (own !== undefined) {
          own(req, res, body);
          return;
        }
        const text = JSON.stringify({
          service: this.name,
          method: req.method,
          url,
          headers: req.headers,
          bodyBytes: body.length,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The five stand-ins, started. */
export async function startStandIns(): Promise<Record<ServiceName, StandInService>> {
  const standIns = Object.fromEntries(SERVICES.map((s) => [s, new StandInService(s)])) as Record<
    ServiceName,
    StandInService
  >;
  await Promise.all(Object.values(standIns).map((s) => s.start()));
  return standIns;
}

/** The console server's environment pointing at the stand-ins. */
export function standInEnv(standIns: Record<ServiceName, StandInService>): NodeJS.ProcessEnv {
  return {
    GATEWAY_URL: standIns.gateway.url,
    KEYS_URL: standIns.keys.url,
    METERING_URL: standIns.metering.url,
    LEDGER_URL: standIns.ledger.url,
    PAYMENTS_URL: standIns.payments.url,
  };
}
