import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ConsoleFront } from './console/console-front.js';
import type { RequestHandler } from './platform.js';
import { closeGracefully, listenOn } from '@billing/console-assets';
import { route, SERVICES, type ServiceName } from '@billing/contracts/http-routes';

/** What the front server asks of the rest of the process. */
export interface FrontServerTarget {
  health(): Promise<{ ok: boolean; body: unknown }>;
  metrics(): Promise<{ contentType: string; text: string }>;
  openApi(): Promise<unknown>;
  /** The console's pages and its `/v1/console/*` routes. */
  readonly console: ConsoleFront;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function houseError(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: { code, message } });
}

/** One page for the five documents, with Swagger UI's files as the services serve them. */
function docsPage(): string {
  const urls = [
    { url: '/docs/openapi.json', name: 'all services' },
    ...SERVICES.map((s) => ({ url: `/services/${s}/docs/openapi.json`, name: s })),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>LLM billing platform (standalone): API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  urls: ${JSON.stringify(urls)},
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  persistAuthorization: true,
});
</script>
</body>
</html>
`;
}

/**
 * The one HTTP port of the standalone mode. Each request goes, unchanged, to the Express handler
 * of the service that owns its route (`@billing/contracts/http-routes`); nothing is proxied or
 * copied, so streams (SSE) and request bodies behave exactly as on the service's own port.
 * `/health`, `/metrics` and `/docs` answer for all five; every path outside the API's prefixes is
 * the console's.
 */
export class FrontServer {
  private readonly handlers = new Map<ServiceName, RequestHandler>();
  private server: Server | undefined;
  private closing = false;

  constructor(private readonly target: FrontServerTarget) {}

  /** From now on, requests for `service` go to `handler`; until then they get 503. */
  serve(service: ServiceName, handler: RequestHandler): void {
    this.handlers.set(service, handler);
  }

  /** Starts listening; resolves with the port (useful when `port` is 0). */
  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    // The gateway's own limits apply to its streams; the front server adds none.
    server.requestTimeout = 0;
    const listening = await listenOn(server, port, host);
    this.server = server;
    return listening;
  }

  /** Stops accepting; requests in flight get up to `graceMs` to finish, then are cut. */
  async close(graceMs = 5_000): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    this.closing = true;
    await closeGracefully(server, graceMs);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.closing) res.setHeader('connection', 'close');
    const target = route(req.url ?? '/');
    switch (target.kind) {
      case 'service': {
        const handler = this.handlers.get(target.service);
        if (handler === undefined) {
          res.setHeader('retry-after', '1');
          houseError(res, 503, 'STANDALONE.STARTING', `the ${target.service} service is starting`);
          return;
        }
        req.url = target.url;
        handler(req, res);
        return;
      }
      case 'health':
        this.answer(res, async () => {
          const { ok, body } = await this.target.health();
          json(res, ok ? 200 : 503, body);
        });
        return;
      case 'live':
        // The process answers: that is all liveness says (services still starting included).
        json(res, 200, { status: 'ok', service: 'standalone' });
        return;
      case 'metrics':
        this.answer(res, async () => {
          const { contentType, text } = await this.target.metrics();
          res.writeHead(200, { 'content-type': contentType });
          res.end(text);
        });
        return;
      case 'docs':
        this.docs(target.path, req, res);
        return;
      case 'console':
        this.target.console.page(target.path, req, res);
        return;
      case 'console-api':
        this.target.console.api(target.path, req, res);
        return;
      case 'not-found':
        houseError(res, 404, 'NOT_FOUND', `Cannot ${req.method ?? 'GET'} ${req.url ?? '/'}`);
        return;
    }
  }

  private docs(path: string, req: IncomingMessage, res: ServerResponse): void {
    if (/^\/docs\/?$/i.test(path)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(docsPage());
      return;
    }
    if (/^\/docs\/openapi\.json$/i.test(path)) {
      this.answer(res, async () => json(res, 200, await this.target.openApi()));
      return;
    }
    // Swagger UI's own files, as the gateway serves them.
    const gateway = this.handlers.get('gateway');
    if (gateway === undefined) {
      houseError(res, 503, 'STANDALONE.STARTING', 'the documentation is starting');
      return;
    }
    gateway(req, res);
  }

  private answer(res: ServerResponse, run: () => Promise<void>): void {
    run().catch((err: unknown) => {
      if (!res.headersSent) houseError(res, 500, 'INTERNAL', 'internal error');
      else res.destroy(err instanceof Error ? err : undefined);
    });
  }
}
