import { ServiceRuntime, TRANSPORT, type Transport } from '@billing/service-kit';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { CreateChatCompletionHandler } from './commands/create-chat-completion/create-chat-completion.handler.js';
import type { ResolvedGatewayOptions } from './gateway.options.js';
import { CatalogCache } from './infrastructure/catalog-cache.js';
import { AGENTS } from './infrastructure/tokens.js';
import { BodyParserPool } from './infrastructure/body-parser.js';
import type { Agents } from './infrastructure/http-json.js';
import { KeyStore } from './infrastructure/key-store.js';
import { migrateGateway } from './infrastructure/migrations.js';
import { UsageOutbox } from './messaging/usage-outbox.js';
import { KeysConsumer } from './messaging/keys-consumer.js';

/** How long shutdown waits for requests whose connection was cut to record their usage. */
const HANDLERS_IDLE_TIMEOUT_MS = 10_000;

/**
 * The gateway's lifecycle (service-kit's ServiceRuntime), in an order that loses nothing:
 *
 * - before the HTTP server listens: the schema's migrations, then the key cache (listening for
 *   changes first, then reading the table) and a first copy of the catalog;
 * - once the application is up: the keys.v1 consumer (the outbox relay is GatewayMessaging's);
 * - on shutdown (after service-kit's drain let the requests in flight finish, see
 *   libs/service-kit shutdown.ts): the consumer, then the requests still recording their usage
 *   (a stream cut at the end of the grace period), then the usage still waiting to be written to
 *   the outbox, then the key listener; service-kit closes the pool after every
 *   beforeApplicationShutdown hook.
 */
@Injectable()
export class GatewayRuntime
  extends ServiceRuntime<ResolvedGatewayOptions>
  implements OnApplicationShutdown
{
  constructor(
    @Inject(TRANSPORT) private readonly transport: Transport,
    @Inject(AGENTS) private readonly agents: Agents,
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(CatalogCache) private readonly catalog: CatalogCache,
    @Inject(UsageOutbox) private readonly usage: UsageOutbox,
    @Inject(KeysConsumer) private readonly consumer: KeysConsumer,
    @Inject(BodyParserPool) private readonly bodies: BodyParserPool,
    @Inject(CreateChatCompletionHandler) private readonly handler: CreateChatCompletionHandler,
  ) {
    super('Gateway', migrateGateway);
  }

  protected override async prepare(): Promise<void> {
    await this.keys.start();
    await this.catalog.start();
  }

  protected override start(): string {
    this.consumer.start();
    const upstreams = [...this.options.upstreams.keys()];
    return (
      `gateway ready on schema ${this.options.schema} (consumes ${this.options.topics.keys}; ` +
      `publishes ${this.options.topics.usageObserved}; upstreams: sim` +
      `${upstreams.length > 0 ? `, ${upstreams.join(', ')}` : ''})`
    );
  }

  protected override async stop(): Promise<void> {
    await this.consumer.stop();
    await this.handler.idle(HANDLERS_IDLE_TIMEOUT_MS);
    await this.usage.drain();
    await this.keys.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.catalog.stop();
    this.agents.destroy();
    await this.bodies.close();
    if (this.options.transport === undefined) await this.transport.close();
  }
}
