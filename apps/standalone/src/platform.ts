import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TOPICS } from '@billing/contracts';
import { createGatewayApp, type UpstreamProvider } from '@billing/gateway';
import { KeysModule } from '@billing/keys';
import { LedgerModule } from '@billing/ledger';
import { InProcessTransport } from '@billing/messaging';
import { MeteringModule } from '@billing/metering';
import { PAYMENTS_OPTIONS, PaymentsModule, type ResolvedPaymentsOptions } from '@billing/payments';
import { formatUsd } from '@billing/money';
import {
  configureApp,
  METRICS,
  nestMessagingLogger,
  openApiDocument,
  PG_POOL,
  ReadinessProbe,
  ServiceKitModule,
} from '@billing/service-kit';
import {
  Logger,
  type DynamicModule,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { ConsoleSettings } from './console/console-front.js';
import type { Secrets } from './data-dir.js';
import { transactionAwarePool } from './embedded-postgres/transaction-aware-pool.js';
import { GatedTransport } from './gated-transport.js';
import { mergeMetrics, mergeOpenApi, type OpenApiDocument } from './merge.js';
import type { ServiceSettings } from './service-settings.js';
import { SERVICES, type ServiceName } from '@billing/contracts/http-routes';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface PlatformOptions {
  /** Where every service's pool connects (the embedded Postgres). */
  readonly databaseUrl: string;
  /** This process's own HTTP base URL: the gateway reaches the ledger and metering there. */
  readonly selfUrl: string;
  readonly secrets: Secrets;
  readonly nodeEnv: 'development' | 'test';
  readonly upstreams?: ReadonlyMap<string, UpstreamProvider>;
  /** The gateway's HOLD_TTL_SECONDS (its default when undefined). */
  readonly holdTtlSeconds?: number | undefined;
  /** Metering's INSURANCE_EVALUATE_EVERY_SECONDS (its default when undefined). */
  readonly insuranceEvaluateEverySeconds?: number | undefined;
  /**
   * Payments' credit lifetimes and referral reward, the gateway's Builder plan limits, from the
   * environment by the services' own rules (loadServiceSettings); their defaults when undefined.
   */
  readonly settings?: ServiceSettings | undefined;
  /** Where the console is (http://localhost:8080): a checkout returns to its top-up pages. */
  readonly consoleUrl?: string;
  readonly logger: LoggerService;
  /** Called as each service becomes able to answer HTTP (the front server routes to it then). */
  readonly onReady?: (service: ServiceName, handler: RequestHandler) => void;
}

/**
 * Pool sizes. PGlite runs one statement at a time and one transaction at a time (SessionQueue), so
 * more connections add no throughput; what matters is that the connections a service holds for
 * long (its relay, listeners, consumer lanes) leave some for its HTTP requests.
 */
const POOL_SIZES: Record<ServiceName, number> = {
  metering: 5,
  ledger: 8,
  keys: 4,
  payments: 5,
  gateway: 5,
};
/** Every pool at its largest, the gateway's key listener, and room for `psql` or the ops CLI. */
export const MAX_CONNECTIONS = Object.values(POOL_SIZES).reduce((a, b) => a + b, 0) + 1 + 16;

/**
 * How many consumers each topic has once every module has started (DESIGN.md's table as built):
 * publishing waits for them (see GatedTransport).
 */
const CONSUMERS_PER_TOPIC: Record<string, number> = {
  [TOPICS.keys]: 1, // gateway (key cache)
  [TOPICS.usageObserved]: 1, // metering
  [TOPICS.usageRecorded]: 2, // ledger (charge), keys (used, last used)
  [TOPICS.payments]: 2, // ledger (credits), keys (Builder subscription)
  [TOPICS.ledger]: 1, // payments (auto top-up)
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The five services as five Nest applications in this process, each with its own DI container,
 * pool and ServiceKitModule (their global providers would collide in one container), sharing one
 * in-process transport. None of them listens: the front server hands each request to the right
 * application's Express handler.
 */
export class Platform {
  private readonly apps = new Map<ServiceName, INestApplication>();
  private readonly logger = new Logger('Standalone');
  private documents: Promise<OpenApiDocument> | undefined;

  private readonly bus = new InProcessTransport({
    logger: nestMessagingLogger('InProcessTransport'),
  });
  readonly transport = new GatedTransport(this.bus);

  constructor(private readonly options: PlatformOptions) {}

  /**
   * Creates and starts the five applications in dependency order (metering and the ledger before
   * the gateway, which reads the catalog and places holds over HTTP), then lets the relays publish
   * once every consumer has subscribed. On failure, what was started is stopped.
   */
  async start(): Promise<void> {
    try {
      for (const service of SERVICES) {
        const app = await this.create(service);
        this.apps.set(service, app);
        // onModuleInit (migrations, caches), then onApplicationBootstrap (consumers, relays).
        await app.init();
        this.options.onReady?.(service, app.getHttpAdapter().getInstance() as RequestHandler);
      }
      await this.openTransport();
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  /**
   * The five services' OpenAPI documents, each from its application created exactly as `start()`
   * creates it (the same modules, controllers and DTO classes) but never started: no migration,
   * consumer or relay runs and no pool connects, so no database is needed. The same document as
   * the one the service serves at `/services/<name>/docs/openapi.json`.
   */
  async describe(): Promise<ReadonlyMap<ServiceName, OpenAPIObject>> {
    const documents = new Map<ServiceName, OpenAPIObject>();
    for (const service of SERVICES) {
      const app = await this.create(service);
      try {
        documents.set(service, openApiDocument(app, service));
      } finally {
        await app.close();
      }
    }
    return documents;
  }

  private async create(service: ServiceName): Promise<INestApplication> {
    const o = this.options;
    const common = {
      databaseUrl: o.databaseUrl,
      adminToken: o.secrets.ADMIN_TOKEN,
      auditorToken: o.secrets.AUDITOR_TOKEN,
      consoleJwtSecret: o.secrets.CONSOLE_JWT_SECRET,
      transport: this.transport,
      poolSize: POOL_SIZES[service],
    };
    // The standalone process owns the signals (main.ts): configureApp installs no handler, so the
    // five applications are closed in order by `stop()`, never each on its own.
    let app: INestApplication;
    if (service === 'gateway') {
      // The gateway gets its own service credential, never the admin token.
      const {
        adminToken: _admin,
        auditorToken: _auditor,
        consoleJwtSecret: _jwt,
        ...infrastructure
      } = common;
      app = await createGatewayApp(
        {
          ...infrastructure,
          serviceToken: o.secrets.SERVICE_TOKEN,
          apiKeyPepper: o.secrets.API_KEY_PEPPER,
          ledgerUrl: o.selfUrl,
          meteringUrl: o.selfUrl,
          keysUrl: o.selfUrl,
          upstreams: o.upstreams ?? new Map(),
          ...(o.settings === undefined ? {} : { builderPlan: o.settings.builderPlan }),
          ...(o.holdTtlSeconds === undefined ? {} : { holdTtlSeconds: o.holdTtlSeconds }),
        },
        ['log', 'warn', 'error'],
      );
    } else {
      app = await NestFactory.create(
        this.withTransactionAwarePool(this.moduleOf(service, common)),
        {
          rawBody: true,
          bufferLogs: false,
          logger: o.logger,
        },
      );
      configureApp(app, service);
    }
    return app;
  }

  private moduleOf(
    service: Exclude<ServiceName, 'gateway'>,
    common: {
      databaseUrl: string;
      adminToken: string;
      auditorToken: string;
      consoleJwtSecret: string;
      transport: GatedTransport;
      poolSize: number;
    },
  ): DynamicModule {
    const s = this.options.secrets;
    switch (service) {
      case 'metering': {
        const every = this.options.insuranceEvaluateEverySeconds;
        return MeteringModule.forRoot({
          ...common,
          ...(every === undefined ? {} : { insurance: { evaluateEveryMs: every * 1_000 } }),
        });
      }
      case 'ledger':
        return LedgerModule.forRoot({
          ...common,
          serviceTokens: [{ service: 'gateway', token: s.SERVICE_TOKEN }],
        });
      case 'keys':
        return KeysModule.forRoot({
          ...common,
          serviceTokens: [{ service: 'gateway', token: s.SERVICE_TOKEN }],
          apiKeyPepper: s.API_KEY_PEPPER,
          apiKeyEncryptionKey: s.API_KEY_ENCRYPTION_KEY,
        });
      case 'payments':
        return PaymentsModule.forRoot({
          ...common,
          nodeEnv: this.options.nodeEnv,
          // Top-ups settle at once through the simulated provider; it refuses production.
          paymentProvider: 'simulated',
          ...this.options.settings?.payments,
          ...(this.options.consoleUrl === undefined
            ? {}
            : {
                checkout: {
                  successUrl: `${this.options.consoleUrl}/top-up/return`,
                  cancelUrl: `${this.options.consoleUrl}/top-up?cancelled=1`,
                },
                paymentMethodSetup: {
                  successUrl: `${this.options.consoleUrl}/auto-top-up?card=saved`,
                  cancelUrl: `${this.options.consoleUrl}/auto-top-up?card=cancelled`,
                },
              }),
          // Stripe is not called. A webhook secret nobody knows makes `/webhooks/stripe` refuse
          // every event, which is right: no Stripe account sends events to this process.
          stripe: {
            secretKey: 'sk_test_standalone_not_used',
            webhookSecret: `whsec_${randomBytes(24).toString('hex')}`,
          },
        });
    }
  }

  /**
   * Gives the module's ServiceKitModule a pool that runs a query made inside one of its
   * transactions on that transaction's connection (see transactionAwarePool): the ledger re-reads
   * an account's stream through the pool in the middle of its write transaction, which on PGlite's
   * single session would wait forever. The gateway's module is built inside createGatewayApp and
   * keeps the plain pool (it reads nothing through the pool inside a transaction).
   */
  private withTransactionAwarePool(module: DynamicModule): DynamicModule {
    let replaced = 0;
    const imports = (module.imports ?? []).map((imported) => {
      if (typeof imported !== 'object' || !('module' in imported)) return imported;
      if (imported.module !== ServiceKitModule) return imported;
      const providers = (imported.providers ?? []).map((provider) => {
        if (
          typeof provider !== 'object' ||
          !('provide' in provider) ||
          provider.provide !== PG_POOL ||
          !('useFactory' in provider)
        ) {
          return provider;
        }
        replaced += 1;
        const factory = provider.useFactory as (...deps: unknown[]) => pg.Pool;
        return {
          ...provider,
          useFactory: (...deps: unknown[]) => transactionAwarePool(factory(...deps)),
        };
      });
      return { ...imported, providers };
    });
    if (replaced !== 1) {
      this.logger.warn(
        `${String(module.module.name)}: no PG_POOL provider found in its ServiceKitModule; a pool ` +
          'query made inside a transaction would wait for that transaction forever',
      );
      return module;
    }
    return { ...module, imports };
  }

  /**
   * Waits until every topic has all its consumers and no new subscription has come for a moment
   * (consumers subscribe in the background of onApplicationBootstrap), then opens the transport:
   * what the consumers subscribed now is what each publish waits for from here on.
   */
  private async openTransport(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const subscribed = this.transport.subscriptions();
      const short = Object.entries(CONSUMERS_PER_TOPIC).filter(
        ([topic, n]) => (subscribed.get(topic)?.length ?? 0) < n,
      );
      const settled = Date.now() - this.transport.lastSubscribedAt > 100;
      if (short.length === 0 && settled) break;
      if (Date.now() > deadline) {
        throw new Error(
          `consumers did not subscribe: ${short.map(([t, n]) => `${t} has ${subscribed.get(t)?.length ?? 0} of ${n}`).join(', ')}`,
        );
      }
      await sleep(20);
    }
    this.transport.open();
    const lines = [...this.transport.subscriptions()].map(
      ([t, names]) => `${t} → ${names.join(', ')}`,
    );
    this.logger.log(`in-process bus open: ${lines.join('; ')}`);
  }

  /**
   * `/health` and `/health/ready`: each service's readiness (its database through its own pool,
   * and each of its consumers on the in-process bus running), as on its own port.
   */
  async health(): Promise<{ ok: boolean; body: unknown }> {
    const checks: Record<string, 'up' | 'down' | 'starting'> = {};
    let databaseUp = false;
    await Promise.all(
      SERVICES.map(async (service) => {
        const app = this.apps.get(service);
        if (app === undefined) {
          checks[service] = 'starting';
          return;
        }
        try {
          const readiness = await app.get(ReadinessProbe, { strict: false }).check();
          checks[service] = readiness.ok ? 'up' : 'down';
          if (readiness.checks.database === 'up') databaseUp = true;
        } catch {
          checks[service] = 'down';
        }
      }),
    );
    const ok = SERVICES.every((s) => checks[s] === 'up');
    const database = databaseUp ? 'up' : 'down';
    return {
      ok,
      body: {
        status: ok ? 'ok' : 'degraded',
        service: 'standalone',
        checks: { database, ...Object.fromEntries(SERVICES.map((s) => [s, checks[s]])) },
      },
    };
  }

  /** What the console shows before a top-up, as payments is configured; undefined until it runs. */
  consoleSettings(): ConsoleSettings | undefined {
    const payments = this.apps.get('payments');
    if (payments === undefined) return undefined;
    const options = payments.get<ResolvedPaymentsOptions>(PAYMENTS_OPTIONS, { strict: false });
    return {
      bonusRate: options.bonusRate,
      minTopUp: formatUsd(options.topUpLimits.minNanos),
      maxTopUp: formatUsd(options.topUpLimits.maxNanos),
    };
  }

  /** `/metrics`: every service's registry as one exposition, each sample labelled by service. */
  async metrics(): Promise<{ contentType: string; text: string }> {
    const registries = SERVICES.flatMap((s) => {
      const app = this.apps.get(s);
      return app === undefined ? [] : [app.get<Registry>(METRICS, { strict: false })];
    });
    const texts = await Promise.all(registries.map((r) => r.metrics()));
    return {
      contentType: registries[0]?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8',
      text: mergeMetrics(texts),
    };
  }

  /** `/docs/openapi.json`: the five services' OpenAPI documents as one. */
  openApi(): Promise<OpenApiDocument> {
    this.documents ??= Promise.all(
      SERVICES.map(async (service) => {
        const answer = await fetch(`${this.options.selfUrl}/services/${service}/docs/openapi.json`);
        if (!answer.ok) throw new Error(`${service} /docs/openapi.json answered ${answer.status}`);
        return { service, document: (await answer.json()) as OpenApiDocument };
      }),
    ).then(mergeOpenApi);
    this.documents.catch(() => (this.documents = undefined));
    return this.documents;
  }

  /**
   * Stops in an order that loses nothing: publishing first (the deliveries in flight are applied
   * by every consumer of their topic), then the applications (consumers, relays, the gateway's
   * pending usage into its outbox, the pools). What stayed in an outbox is published at the next
   * start.
   */
  async stop(): Promise<void> {
    await this.transport.drain();
    const apps = [...this.apps.entries()].reverse();
    this.apps.clear();
    const results = await Promise.allSettled(apps.map(([, app]) => app.close()));
    await this.bus.close();
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${apps[i]?.[0]}: ${String(r.reason)}`] : [],
    );
    if (failed.length > 0) throw new Error(`closing failed: ${failed.join('; ')}`);
  }
}
