import 'reflect-metadata';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  configureApp,
  METRICS,
  PG_POOL,
  ServiceModule,
  TRANSPORT,
  createKafkaTransport,
  type Transport,
} from '@billing/service-kit';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { CreateChatCompletionHandler } from './commands/create-chat-completion/create-chat-completion.handler.js';
import {
  GATEWAY_OPTIONS,
  resolveGatewayOptions,
  type GatewayModuleOptions,
  type ResolvedGatewayOptions,
} from './gateway.options.js';
import { errorBody, failures } from './domain/index.js';
import { GatewayRuntime } from './gateway.runtime.js';
import { ChatCompletionsController } from './http/chat-completions.controller.js';
import { GatewayErrorFilter } from './http/gateway-error.filter.js';
import { ApiFallbackController, ModelsController } from './http/models.controller.js';
import { CatalogCache } from './infrastructure/catalog-cache.js';
import { createAgents, type Agents } from './infrastructure/http-json.js';
import { BodyParserPool } from './infrastructure/body-parser.js';
import { KeyAuthenticator } from './infrastructure/key-authenticator.js';
import { KeyResolver } from './infrastructure/key-resolver.js';
import { KeyStore } from './infrastructure/key-store.js';
import { KeysClient } from './infrastructure/keys-client.js';
import { LedgerClient } from './infrastructure/ledger-client.js';
import { PlanRequestCounts } from './infrastructure/plan-request-counts.js';
import { PlanAdmission } from './commands/create-chat-completion/plan-admission.js';
import { GatewayMetrics } from './infrastructure/metrics.js';
import { HttpProvider, SimProvider } from './infrastructure/providers.js';
import { AGENTS, GATEWAY_METRICS } from './infrastructure/tokens.js';
import { UsageOutbox } from './messaging/usage-outbox.js';
import { GatewayMessaging } from './messaging/gateway-messaging.js';
import { KeysConsumer } from './messaging/keys-consumer.js';
import { ListModelsHandler } from './queries/list-models/list-models.handler.js';

type O = ResolvedGatewayOptions;

/**
 * The gateway: the OpenAI-compatible `/api/v1` surface, `keys.v1` in (the key cache),
 * `usage.observed.v1` out (through the outbox), holds on the ledger, the catalog from metering.
 */
export class GatewayModule extends ServiceModule({
  service: 'gateway',
  // Only public routes (the API key is checked by the use case): its options carry no admin,
  // account or service tokens to accept.
  options: { token: GATEWAY_OPTIONS, resolve: resolveGatewayOptions },
  // No CQRS buses: the controllers call the handlers directly (see docs/CONVENTIONS.md).
  parts: (options) => ({
    // The fallback last: Express matches routes in registration order.
    controllers: [ChatCompletionsController, ModelsController, ApiFallbackController],
    providers: [
      {
        provide: TRANSPORT,
        useFactory: (): Transport =>
          options.transport ??
          createKafkaTransport(options.kafkaBrokers, 'gateway', {
            security: options.kafkaSecurity,
          }),
      },
      GatewayMessaging,
      { provide: AGENTS, useFactory: (): Agents => createAgents() },
      {
        provide: KeyStore,
        inject: [PG_POOL, GATEWAY_OPTIONS],
        useFactory: (pool: pg.Pool, o: O) => new KeyStore(pool, o.databaseUrl, o.schema),
      },
      {
        provide: KeyResolver,
        inject: [KeyStore, GATEWAY_OPTIONS, AGENTS],
        useFactory: (keys: KeyStore, o: O, agents: Agents) =>
          new KeyResolver(
            keys,
            o.keysUrl === undefined ? undefined : new KeysClient(o.keysUrl, o.serviceToken, agents),
            { negativeTtlMs: o.keyNegativeCacheMs, clock: o.nowMs },
          ),
      },
      {
        provide: KeyAuthenticator,
        inject: [GATEWAY_OPTIONS, KeyResolver],
        useFactory: (o: O, resolver: KeyResolver) =>
          new KeyAuthenticator(o.apiKeyPepper, resolver, o.nowMs),
      },
      { provide: BodyParserPool, useFactory: () => new BodyParserPool() },
      {
        provide: CatalogCache,
        inject: [GATEWAY_OPTIONS, AGENTS],
        useFactory: (o: O, agents: Agents) =>
          new CatalogCache(
            o.meteringUrl !== undefined && o.catalog === undefined
              ? { kind: 'metering', url: o.meteringUrl, refreshMs: o.catalogRefreshMs }
              : { kind: 'fixed', body: o.catalog },
            agents,
            o.nowMs,
          ),
      },
      {
        provide: LedgerClient,
        inject: [GATEWAY_OPTIONS, AGENTS],
        useFactory: (o: O, agents: Agents) => new LedgerClient(o.ledgerUrl, o.serviceToken, agents),
      },
      {
        provide: UsageOutbox,
        inject: [PG_POOL, GATEWAY_OPTIONS],
        useFactory: (pool: pg.Pool, o: O) =>
          new UsageOutbox(pool, o.schema, o.topics.usageObserved),
      },
      {
        provide: GATEWAY_METRICS,
        inject: [METRICS, UsageOutbox, KeyStore, CatalogCache],
        useFactory: (
          registry: Registry,
          usage: UsageOutbox,
          keys: KeyStore,
          catalog: CatalogCache,
        ) =>
          new GatewayMetrics(
            registry,
            () => usage.pending,
            () => keys.index.size,
            (model) => catalog.current()?.models.has(model) === true,
          ),
      },
      {
        provide: PlanAdmission,
        inject: [PG_POOL, GATEWAY_OPTIONS],
        useFactory: (pool: pg.Pool, o: O) =>
          new PlanAdmission(o.builderPlan, new PlanRequestCounts(pool, o.schema, o.nowMs)),
      },
      {
        provide: CreateChatCompletionHandler,
        inject: [
          GATEWAY_OPTIONS,
          KeyAuthenticator,
          CatalogCache,
          LedgerClient,
          AGENTS,
          UsageOutbox,
          GATEWAY_METRICS,
          PlanAdmission,
        ],
        useFactory: (
          o: O,
          keys: KeyAuthenticator,
          catalog: CatalogCache,
          ledger: LedgerClient,
          agents: Agents,
          usage: UsageOutbox,
          metrics: GatewayMetrics,
          plans: PlanAdmission,
        ) =>
          new CreateChatCompletionHandler(
            o,
            keys,
            catalog,
            ledger,
            { sim: new SimProvider(), http: new HttpProvider(agents, o.upstreamIdleTimeoutMs) },
            usage,
            metrics,
            plans,
          ),
      },
      {
        provide: ListModelsHandler,
        inject: [GATEWAY_OPTIONS, KeyAuthenticator, CatalogCache],
        useFactory: (o: O, keys: KeyAuthenticator, catalog: CatalogCache) =>
          new ListModelsHandler(o, keys, catalog),
      },
      {
        provide: KeysConsumer,
        inject: [PG_POOL, TRANSPORT, KeyStore, GATEWAY_OPTIONS],
        useFactory: (pool: pg.Pool, transport: Transport, keys: KeyStore, o: O) =>
          new KeysConsumer(pool, transport, keys, o),
      },
      GatewayRuntime,
    ],
  }),
}) {}

/**
 * The gateway as a configured Nest application, not yet listening: `main.ts` listens on PORT,
 * tests and the bench on port 0.
 */
export async function createGatewayApp(
  options: GatewayModuleOptions,
  logger: LogLevel[] | false = ['log', 'warn', 'error'],
): Promise<NestExpressApplication> {
  // No body parser: the one route with a body reads it itself, after the API key was checked,
  // within MAX_BODY_BYTES, parsing large bodies off the event loop (ChatCompletionsController).
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(options), {
    logger,
    bodyParser: false,
  });
  configureApp(app, 'gateway', {
    refuseWhileDraining: (res) => {
      const failure = failures.shuttingDown();
      res.status(failure.status).json(errorBody(failure));
    },
  });
  // Registered after configureApp's filter, so it is the one Nest consults first.
  app.useGlobalFilters(new GatewayErrorFilter());
  return app;
}
