import 'reflect-metadata';
import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type INestApplication,
  type OnApplicationShutdown,
  type Type,
  ValidationPipe,
} from '@nestjs/common';
import { APP_GUARD, DiscoveryModule, NestFactory } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type pg from 'pg';
import { AUTH_OPTIONS, AuthGuard, type AuthOptions } from './auth.js';
import { ConfigError } from './config.js';
import { DeadLettersController } from './dead-letters.js';
import { createPool } from './database.js';
import type { CoreServiceEnv } from './env.js';
import { ApiErrorFilter } from './errors.js';
import {
  createMetricsRegistry,
  HealthController,
  METRICS,
  MetricsBinder,
  PG_POOL,
  ReadinessProbe,
  SERVICE_NAME,
} from './health.js';
import { httpObservability } from './logging/access-log.js';
import { setupLogging } from './logging/logger.js';
import { flushTracing, startTracing } from './tracing.js';
import { installDrain, type Refusal, stopOnSignals } from './shutdown.js';

export interface ServiceKitOptions {
  service: string;
  databaseUrl: string;
  poolSize?: number;
  /** Credentials accepted by the global AuthGuard (see auth.ts). */
  auth: AuthOptions;
}

/**
 * What every service has: its name, a pg pool on its database, `/health` and `/metrics`, and, when
 * it takes the admin token, the operator's dead-letter routes of its consumers
 * (`/v1/admin/dead-letters/<service>`).
 * Global so feature modules can inject `PG_POOL` without re-importing.
 */
@Module({})
export class ServiceKitModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** Runs after every beforeApplicationShutdown hook (consumers, relays) has finished. */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
    await flushTracing();
  }

  static forRoot(options: ServiceKitOptions): DynamicModule {
    return {
      module: ServiceKitModule,
      global: true,
      imports: [DiscoveryModule],
      // The dead-letter desk is an admin route: a service that takes no admin token (the
      // gateway) does not serve it.
      controllers: [
        HealthController,
        ...(options.auth.adminToken === undefined ? [] : [DeadLettersController]),
      ],
      providers: [
        { provide: SERVICE_NAME, useValue: options.service },
        {
          provide: PG_POOL,
          useFactory: (): pg.Pool =>
            createPool(options.databaseUrl, options.poolSize ?? 10, options.service),
        },
        { provide: METRICS, useFactory: () => createMetricsRegistry(options.service) },
        ReadinessProbe,
        MetricsBinder,
        { provide: AUTH_OPTIONS, useValue: options.auth },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [SERVICE_NAME, PG_POOL, METRICS, ReadinessProbe],
    };
  }
}

/**
 * What {@link serviceModule} reads from a service's resolved options: its database and pool size,
 * and the credentials its routes accept (the AuthGuard's; a service without admin, account or
 * internal routes has no such field, and those tokens are refused).
 */
export interface ServiceModuleOptions extends AuthOptions {
  readonly databaseUrl: string;
  readonly poolSize: number;
}

/** What a service's root module holds of its own, besides ServiceKitModule and its options. */
export interface ServiceModuleParts {
  /** Modules besides ServiceKitModule's (the CQRS buses). */
  readonly imports?: NonNullable<DynamicModule['imports']>;
  readonly controllers: NonNullable<DynamicModule['controllers']>;
  readonly providers: NonNullable<DynamicModule['providers']>;
  readonly exports?: DynamicModule['exports'];
}

/** What {@link serviceModule} builds a service's root module from. */
export interface ServiceModuleSpec extends ServiceModuleParts {
  /** The service's module class (`KeysModule`), whose `forRoot` calls this. */
  readonly module: Type;
  readonly service: string;
  /** The service's resolved options, provided under `token` (`KEYS_OPTIONS`). */
  readonly options: { readonly token: symbol; readonly value: ServiceModuleOptions };
}

/**
 * A service's resolved options under a token every service shares, for what service-kit runs in
 * each of them (`ServiceRuntime`); the service's own code injects its own token.
 */
export const SERVICE_OPTIONS = Symbol('SERVICE_OPTIONS');

/**
 * A service's root module, the same way in every service: ServiceKitModule (the pool, `/health`,
 * `/metrics`, the auth guard) under the service's name, on the database, pool size and credentials
 * of its resolved options, which are provided too; then its own imports, controllers and providers.
 * A service's module class gets it from {@link ServiceModule}.
 */
export function serviceModule(spec: ServiceModuleSpec): DynamicModule {
  const { module, service, options, imports = [], controllers, providers, exports } = spec;
  const { databaseUrl, poolSize, adminToken, auditorToken, accountTokens, serviceTokens } =
    options.value;
  const kit: ServiceKitOptions = {
    service,
    databaseUrl,
    poolSize,
    auth: { adminToken, auditorToken, accountTokens, serviceTokens },
  };
  return {
    module,
    imports: [ServiceKitModule.forRoot(kit), ...imports],
    controllers,
    providers: [
      { provide: options.token, useValue: options.value },
      { provide: SERVICE_OPTIONS, useValue: options.value },
      ...providers,
    ],
    ...(exports === undefined ? {} : { exports }),
  };
}

/** What {@link ServiceModule} makes a service's root module from: only what is the service's. */
export interface ServiceDefinition<Input, Options extends ServiceModuleOptions> {
  readonly service: string;
  /** The token its resolved options are provided under (`KEYS_OPTIONS`), and their resolution. */
  readonly options: { readonly token: symbol; readonly resolve: (input: Input) => Options };
  /** Its own imports, controllers, providers and exports, which may read the resolved options. */
  readonly parts: (options: Options) => ServiceModuleParts;
}

/** The class {@link ServiceModule} returns, for a service's module to extend. */
export interface ServiceModuleClass<Input> {
  new (): object;
  /** Resolves the options (a RangeError when they cannot work), then builds the root module. */
  forRoot(input: Input): DynamicModule;
}

/**
 * The base class of a service's root module, the way Nest's `ConfigurableModuleBuilder` gives one:
 * the service's module extends it and states only what is its own, and gets
 * `XModule.forRoot(input)`, which resolves the options and returns {@link serviceModule}'s module.
 * No `@Module()` is needed: the dynamic module says everything.
 *
 * ```ts
 * export class KeysModule extends ServiceModule({
 *   service: 'keys',
 *   options: { token: KEYS_OPTIONS, resolve: resolveKeysOptions },
 *   parts: () => ({ imports: [CqrsModule.forRoot()], controllers: [...], providers: [...] }),
 * }) {}
 * ```
 */
export function ServiceModule<Input, Options extends ServiceModuleOptions>(
  definition: ServiceDefinition<Input, Options>,
): ServiceModuleClass<Input> {
  const { service, options, parts } = definition;
  return class {
    static forRoot(this: Type, input: Input): DynamicModule {
      const value = options.resolve(input);
      return serviceModule({
        module: this,
        service,
        options: { token: options.token, value },
        ...parts(value),
      });
    }
  };
}

/**
 * Applies the house defaults to a Nest application: error shape, validation, OpenAPI at /docs,
 * and the drain that lets SIGTERM finish the requests in flight (see shutdown.ts; signals are
 * handled by `stopOnSignals`, in the process's main, never here: a test app or the standalone's
 * five applications must not exit the process).
 */
export function configureApp(
  app: INestApplication,
  service: string,
  options: { refuseWhileDraining?: Refusal } = {},
): void {
  // First, so that the access line and the request's log context cover every answer, the
  // drain's 503s included.
  app.use(httpObservability(service, app.getHttpAdapter().getInstance() as object));
  installDrain(app, options.refuseWhileDraining);
  app.useGlobalFilters(new ApiErrorFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  SwaggerModule.setup('docs', app, openApiDocument(app, service), {
    jsonDocumentUrl: 'docs/openapi.json',
  });
}

/**
 * The service's OpenAPI document, as it serves it at `/docs/openapi.json`: built from the
 * application's controllers and DTO classes, which needs the application created, not started
 * (no database connection, no consumer).
 */
export function openApiDocument(app: INestApplication, service: string): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(`${service} API`).setVersion('1').addBearerAuth().build(),
  );
}

/** A service's module as a configured Nest application, not yet listening. */
export async function createServiceApp(
  service: string,
  module: unknown,
): Promise<INestApplication> {
  const app = await NestFactory.create(module as never, { rawBody: true, bufferLogs: false });
  configureApp(app, service);
  return app;
}

/**
 * Creates, configures and starts a service, stopping it gracefully on SIGTERM/SIGINT; logs where
 * it listens, never its configuration.
 */
export async function startService(
  service: string,
  module: unknown,
  env: ProcessEnv,
): Promise<INestApplication> {
  const app = await createServiceApp(service, module);
  await listen(app, service, env);
  return app;
}

/**
 * The whole `main.ts` of a service process: loads and validates the environment, builds the
 * application from it (`createServiceApp(service, XModule.forRoot(xOptionsFromEnv(env)))`, or the
 * service's own factory) and listens. An invalid environment (`ConfigError`) is printed, names
 * only, and the process exits with 1; anything else is thrown, so it crashes with its stack.
 */
export async function runService<E extends ProcessEnv>(
  service: string,
  loadEnv: () => E,
  createApp: (env: E) => Promise<INestApplication>,
): Promise<void> {
  try {
    const env = loadEnv();
    setupLogging({ service });
    startTracing(service);
    await listen(await createApp(env), service, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** What a service's process needs from its environment to listen and to stop. */
export type ProcessEnv = Pick<
  CoreServiceEnv,
  'PORT' | 'SHUTDOWN_GRACE_SECONDS' | 'WATCHDOG_STALL_SECONDS'
>;

/** Listens on PORT and stops gracefully on SIGTERM/SIGINT (`stopOnSignals`). */
export async function listen(
  app: INestApplication,
  service: string,
  env: ProcessEnv,
): Promise<void> {
  await app.listen(env.PORT, '0.0.0.0');
  stopOnSignals(app, service, {
    graceSeconds: env.SHUTDOWN_GRACE_SECONDS,
    watchdogStallSeconds: env.WATCHDOG_STALL_SECONDS,
  });
  new Logger(service).log(`listening on :${env.PORT}`);
}
