import {
  type BeforeApplicationShutdown,
  Inject,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type pg from 'pg';
import { SERVICE_OPTIONS } from './bootstrap.js';
import { PG_POOL } from './health.js';

/**
 * The lifecycle every service runs, in an order that loses nothing; one provider per service
 * extends it (`LedgerRuntime`...), because Nest runs the hooks of one module's providers
 * concurrently, so one provider must own what depends on order:
 *
 * - before the HTTP server listens (`onModuleInit`): `migrate`, the migrations of the service's
 *   schema (`options.schema`) on its pool, then
 *   `prepare` (what must be loaded before anything serves: a cache, a catalog);
 * - once the application is up (`onApplicationBootstrap`): `start` (background work: a scheduler,
 *   a refresher), whose answer is logged as the service's one "ready" line;
 * - on shutdown (`beforeApplicationShutdown`, SIGTERM or `app.close()`, after service-kit's drain
 *   let the requests in flight finish): `stop`, which finishes or abandons, uncommitted, what the
 *   background work was doing.
 *
 * The consumers and the outbox relay are the service's `ServiceMessaging`, which starts and stops
 * them on the same hooks; `ServiceKitModule` closes the pool after every
 * `beforeApplicationShutdown` hook has finished.
 *
 * The pool and the service's resolved options (`this.options`, from the module's
 * `SERVICE_OPTIONS`) are injected here, so a service's runtime injects only what is its own:
 *
 * ```ts
 * constructor(private readonly scheduler: ExpiryScheduler) {
 *   super('Ledger', migrateLedger);
 * }
 * ```
 */
export abstract class ServiceRuntime<Options extends { readonly schema: string }>
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  protected readonly logger: Logger;
  /** The service's resolved options (set by Nest once constructed: not in the constructor). */
  @Inject(SERVICE_OPTIONS) protected readonly options!: Options;
  @Inject(PG_POOL) private readonly pool!: pg.Pool;

  /**
   * @param name the logger context (`Ledger`)
   * @param migrate applies the service's migrations to a schema (`migrateLedger`)
   */
  constructor(
    name: string,
    private readonly migrate: (pool: pg.Pool, schema: string) => Promise<void>,
  ) {
    this.logger = new Logger(name);
  }

  /** After the migrations, before anything serves. */
  protected prepare(): Promise<void> {
    return Promise.resolve();
  }

  /** Starts the background work once the application is up; returns the "ready" line. */
  protected abstract start(): string;

  /** Stops the background work on shutdown. */
  protected stop(): Promise<void> {
    return Promise.resolve();
  }

  async onModuleInit(): Promise<void> {
    await this.migrate(this.pool, this.options.schema);
    await this.prepare();
  }

  onApplicationBootstrap(): void {
    this.logger.log(this.start());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
