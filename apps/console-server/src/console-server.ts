import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  closeGracefully,
  listenOn,
  serveConsolePage,
  type ConsoleAssets,
} from '@billing/console-assets';
import { route, SERVICES, type ServiceName } from '@billing/contracts/http-routes';
import type { ConsoleServerConfig } from './config.js';
import { ServiceProxy, type ProxyFailure } from './proxy.js';

/** How long one service's `/health/ready` may take before it counts as not ready. */
const READY_PROBE_MS = 2_000;

/**
 * Paths of the route table that stay off the console's origin: `/services/<name>/...` is the
 * standalone app's door to one service's own routes (its metrics, its docs), which in the
 * distributed mode are on the service's own port; `/v1/internal/...` is service to service (the
 * gateway's key lookup), never a browser's; `/webhooks/...` is Stripe's, published to payments by
 * the platform's own ingress (deploy/kubernetes), not a second door through the console.
 */
const NOT_PUBLIC = /^\/(?:services|v1\/internal|webhooks)(?:\/|$)/i;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function houseError(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: { code, message } });
}

export interface ServiceReadiness {
  readonly ready: boolean;
  /** The service's HTTP status, or why it did not answer. */
  readonly status: number | 'unreachable' | 'timeout';
}

/**
 * The console's origin in the distributed mode (issue #16): the built console at `/` (the same
 * files, cache headers and Content-Security-Policy as the standalone app, from
 * `@billing/console-assets`), and every API path passed to the service that owns it by the
 * standalone app's own route table (`@billing/contracts/http-routes`). The browser talks to one
 * origin, so no service needs CORS, and the account token it sends as `Authorization: Bearer`
 * goes through unread: this process holds no secret and checks no credential.
 */
export class ConsoleServer {
  private server: Server | undefined;
  private closing = false;
  private readonly proxy = new ServiceProxy();

  constructor(
    private readonly config: ConsoleServerConfig,
    private readonly assets: ConsoleAssets,
  ) {}

  /** Starts listening; resolves with the port (useful when the configured port is 0). */
  async listen(): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    // A client has this long to send its request's head, and its whole request; the response
    // (an SSE stream, a long completion) is bounded by the upstream timeouts instead.
    server.headersTimeout = 20_000;
    server.requestTimeout = 120_000;
    const listening = await listenOn(server, this.config.port, this.config.host);
    this.server = server;
    return listening;
  }

  /** Stops accepting; requests in flight get the grace period to finish, then are cut. */
  async close(graceMs = this.config.shutdownGraceMs): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    this.closing = true;
    await closeGracefully(server, graceMs);
    this.proxy.close();
  }

  /** Each service's `/health/ready`, asked in parallel. */
  async readiness(): Promise<Record<ServiceName, ServiceReadiness>> {
    const probe = async (service: ServiceName): Promise<ServiceReadiness> => {
      const base = this.config.services[service];
      const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}/health/ready`;
      try {
        const answer = await fetch(url, { signal: AbortSignal.timeout(READY_PROBE_MS) });
        await answer.body?.cancel();
        return { ready: answer.status === 200, status: answer.status };
      } catch (err) {
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        return { ready: false, status: timedOut ? 'timeout' : 'unreachable' };
      }
    };
    const results = await Promise.all(SERVICES.map(async (s) => [s, await probe(s)] as const));
    return Object.fromEntries(results) as Record<ServiceName, ServiceReadiness>;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.closing) res.setHeader('connection', 'close');
    const url = req.url ?? '/';
    const target = route(url);
    switch (target.kind) {
      case 'service': {
        if (NOT_PUBLIC.test(url)) {
          this.notFound(req, res);
          return;
        }
        const inference = target.service === 'gateway' && /^\/api\//i.test(target.url);
        this.proxy.forward(
          req,
          res,
          {
            base: this.config.services[target.service],
            url: target.url,
            timeoutMs: inference ? this.config.completionsTimeoutMs : this.config.upstreamTimeoutMs,
            maxBodyBytes: this.config.maxBodyBytes,
          },
          (failure) => this.failed(res, target.service, failure),
        );
        return;
      }
      case 'health':
        this.ready(res).catch((err: unknown) => {
          if (!res.headersSent) houseError(res, 500, 'INTERNAL', 'internal error');
          else res.destroy(err instanceof Error ? err : undefined);
        });
        return;
      case 'live':
        // The process answers: that is all liveness says (a service being down included).
        json(res, 200, { status: 'ok', service: 'console-server' });
        return;
      case 'console':
        serveConsolePage(this.assets, target.path, req, res);
        return;
      case 'console-api':
        this.consoleApi(target.path, req, res);
        return;
      // Each service serves its own /metrics and /docs on its own port in the distributed mode.
      case 'metrics':
      case 'docs':
      case 'not-found':
        this.notFound(req, res);
        return;
    }
  }

  /**
   * Ready when the console's files are loaded (they are before the server listens) and every
   * service answers its own `/health/ready` with 200: a console whose ledger is down shows
   * nothing but errors. Liveness (`/health/live`) stays apart, so an outage of a service never
   * has the console server restarted.
   */
  private async ready(res: ServerResponse): Promise<void> {
    const services = await this.readiness();
    const ok = Object.values(services).every((s) => s.ready);
    json(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', assets: 'loaded', services });
  }

  /**
   * `/v1/console/*`. The settings are answered from this process's environment, the variables
   * payments reads (BONUS_RATE, TOP_UP_MIN_USD, TOP_UP_MAX_USD): payments has no such route, and
   * the figures are configuration, not state. The sign-in code exchange exists only in the
   * standalone mode: here the platform hands its users their account tokens (README.md).
   */
  private consoleApi(path: string, req: IncomingMessage, res: ServerResponse): void {
    const at = path.replace(/\/+$/, '').toLowerCase();
    if (at === '/v1/console/settings' && (req.method === 'GET' || req.method === 'HEAD')) {
      json(res, 200, this.config.settings);
      return;
    }
    if (at === '/v1/console/sessions') {
      req.resume();
      houseError(
        res,
        404,
        'NOT_FOUND',
        "sign-in links are the standalone mode's; in the distributed mode the platform's own sign-in hands the console an account token",
      );
      return;
    }
    this.notFound(req, res);
  }

  private notFound(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    houseError(res, 404, 'NOT_FOUND', `Cannot ${req.method ?? 'GET'} ${req.url ?? '/'}`);
  }

  private failed(res: ServerResponse, service: ServiceName, failure: ProxyFailure): void {
    switch (failure) {
      case 'unavailable':
        houseError(
          res,
          502,
          'CONSOLE.SERVICE_UNAVAILABLE',
          `the ${service} service did not answer`,
        );
        return;
      case 'timeout':
        houseError(
          res,
          504,
          'CONSOLE.SERVICE_TIMEOUT',
          `the ${service} service did not answer in time`,
        );
        return;
      case 'too-large':
        houseError(
          res,
          413,
          'CONSOLE.REQUEST_TOO_LARGE',
          `the request body exceeds ${this.config.maxBodyBytes} bytes`,
        );
        return;
    }
  }
}
