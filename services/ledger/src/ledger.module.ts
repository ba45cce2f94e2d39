import { PostgresEventStore, type EventStore } from '@billing/event-store';
import { PG_POOL, ServiceModule } from '@billing/service-kit';
import { CqrsModule } from '@nestjs/cqrs';
import type pg from 'pg';
import { ApplyInputsHandler } from './commands/apply-inputs/apply-inputs.handler.js';
import { ExtendHoldHandler } from './commands/extend-hold/extend-hold.handler.js';
import { ExpireDueHandler } from './commands/expire-due/expire-due.handler.js';
import { ExpiryScheduler } from './commands/expire-due/expiry-scheduler.js';
import { PlaceHoldHandler } from './commands/place-hold/place-hold.handler.js';
import { ReleaseHoldHandler } from './commands/release-hold/release-hold.handler.js';
import { StartProjectionsVerifyHandler } from './commands/start-projections-verify/start-projections-verify.handler.js';
import { VerifyRunner } from './commands/start-projections-verify/verify-runner.js';
import { AccountsController } from './http/accounts.controller.js';
import { AuditController } from './http/audit.controller.js';
import { ProjectionsController } from './http/projections.controller.js';
import { AccountLoader } from './infrastructure/account-loader.js';
import { AccountStateCache } from './infrastructure/account-state-cache.js';
import { AccountWriteQueue } from './infrastructure/account-write-queue.js';
import { LedgerMetrics } from './infrastructure/ledger-metrics.js';
import { LedgerWriter } from './infrastructure/ledger-writer.js';
import { ProjectionWriter } from './infrastructure/projection-tables.js';
import { SnapshotStore } from './infrastructure/snapshots.js';
import { EVENT_STORE } from './infrastructure/tokens.js';
import {
  LEDGER_OPTIONS,
  resolveLedgerOptions,
  type ResolvedLedgerOptions,
} from './ledger.options.js';
import { LedgerRuntime } from './ledger.runtime.js';
import { LedgerMessaging } from './messaging/ledger-messaging.js';
import { ProjectionRunStore } from './ops/projection-run-store.js';
import { ExplainRequestHandler } from './queries/explain-request/explain-request.handler.js';
import { GetBalanceHandler } from './queries/get-balance/get-balance.handler.js';
import { GetProjectionRunHandler } from './queries/get-projection-run/get-projection-run.handler.js';
import { GetProjectionsHandler } from './queries/get-projections/get-projections.handler.js';
import { GetCreditsBreakdownHandler } from './queries/get-credits-breakdown/get-credits-breakdown.handler.js';
import { GetUsageHandler } from './queries/get-usage/get-usage.handler.js';
import { ListAccountEventsHandler } from './queries/list-account-events/list-account-events.handler.js';
import { ListHoldsHandler } from './queries/list-holds/list-holds.handler.js';
import { ListLogEventsHandler } from './queries/list-log-events/list-log-events.handler.js';
import { ListTransactionsHandler } from './queries/list-transactions/list-transactions.handler.js';
import { VerifyAccountChainHandler } from './queries/verify-account-chain/verify-account-chain.handler.js';

const commandHandlers = [
  ApplyInputsHandler,
  PlaceHoldHandler,
  ReleaseHoldHandler,
  ExtendHoldHandler,
  ExpireDueHandler,
  StartProjectionsVerifyHandler,
];

const queryHandlers = [
  GetBalanceHandler,
  GetCreditsBreakdownHandler,
  ListTransactionsHandler,
  GetUsageHandler,
  ListAccountEventsHandler,
  ListHoldsHandler,
  ExplainRequestHandler,
  ListLogEventsHandler,
  VerifyAccountChainHandler,
  GetProjectionsHandler,
  GetProjectionRunHandler,
];

/**
 * The ledger service: the event store and projections in its schema, the consumers of
 * `payments.v1` and `usage.recorded.v1`, BalanceChanged on `ledger.v1` through the outbox, the
 * holds API, the queries, the audit routes and the projections' runs. See README.md.
 */
export class LedgerModule extends ServiceModule({
  service: 'ledger',
  options: { token: LEDGER_OPTIONS, resolve: resolveLedgerOptions },
  parts: (options) => ({
    imports: [CqrsModule.forRoot()],
    controllers: [AccountsController, AuditController, ProjectionsController],
    providers: [
      LedgerMetrics,
      {
        provide: EVENT_STORE,
        inject: [PG_POOL, LedgerMetrics],
        useFactory: (pool: pg.Pool, metrics: LedgerMetrics): EventStore =>
          new PostgresEventStore({
            pool,
            schema: options.schema,
            onAppend: (seconds) => metrics.appended(seconds),
          }),
      },
      {
        provide: AccountStateCache,
        useFactory: () => new AccountStateCache(options.stateCacheSize),
      },
      {
        provide: SnapshotStore,
        useFactory: () => new SnapshotStore(options.schema, options.snapshotEvery),
      },
      {
        provide: AccountLoader,
        inject: [EVENT_STORE, PG_POOL, SnapshotStore],
        useFactory: (store: EventStore, pool: pg.Pool, snapshots: SnapshotStore) =>
          new AccountLoader({
            pool,
            store,
            snapshots,
            stateOptions: { maxActiveHolds: options.maxActiveHolds },
          }),
      },
      {
        provide: LedgerWriter,
        inject: [
          EVENT_STORE,
          PG_POOL,
          AccountStateCache,
          LEDGER_OPTIONS,
          AccountLoader,
          SnapshotStore,
        ],
        useFactory: (
          store: EventStore,
          pool: pg.Pool,
          cache: AccountStateCache,
          o: ResolvedLedgerOptions,
          loader: AccountLoader,
          snapshots: SnapshotStore,
        ) =>
          new LedgerWriter({
            loader,
            snapshots,
            store,
            pool,
            schema: o.schema,
            cache,
            projections: new ProjectionWriter(o.schema),
            balanceTopic: o.topics.ledger,
            clock: o.nowMs,
          }),
      },
      {
        provide: AccountWriteQueue,
        inject: [PG_POOL, LedgerWriter],
        useFactory: (pool: pg.Pool, writer: LedgerWriter) => new AccountWriteQueue(pool, writer),
      },
      {
        provide: ProjectionRunStore,
        inject: [PG_POOL],
        useFactory: (pool: pg.Pool) => new ProjectionRunStore(pool, options.schema),
      },
      VerifyRunner,
      LedgerMessaging,
      ExpiryScheduler,
      LedgerRuntime,
      ...commandHandlers,
      ...queryHandlers,
    ],
    exports: [
      LedgerMessaging,
      ExpiryScheduler,
      AccountStateCache,
      AccountLoader,
      EVENT_STORE,
      LEDGER_OPTIONS,
    ],
  }),
}) {}
