import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { PeriodicTask, PG_POOL } from '@billing/service-kit';
import type pg from 'pg';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
import { ExpireDueCommand, type ExpireDueResult } from './expire-due.command.js';

/** Accounts expired per round; a backlog is worked off round after round. */
const ACCOUNTS_PER_ROUND = 500;

/**
 * Drives expiry: every `schedulerIntervalMs` it asks `expiry_schedule` which accounts have a hold
 * or a lot due at the ledger's clock and sends them an ExpireDueCommand. Small on purpose: the
 * domain decides what expires, commands that draw money settle what is due themselves (a late
 * scheduler never lets a charge use an expired lot), and several replicas may run it at once
 * (the per-account queue and the stream version keep that harmless).
 */
@Injectable()
export class ExpiryScheduler {
  private readonly logger = new Logger('ExpiryScheduler');
  // Nothing is lost by a late round (charges settle what is due themselves).
  private readonly task = new PeriodicTask(
    this.logger,
    'expiry round',
    () => this.expireDue(),
    (_result, failed) => {
      if (failed > 0) this.logger.log(`expiry rounds resume after ${failed} failed`);
    },
  );

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  start(): void {
    this.task.start(this.options.schedulerIntervalMs);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One round: every account due now (up to a limit), expired. Exposed for tests and ops. */
  runOnce(): Promise<ExpireDueResult> {
    return this.task.runOnce();
  }

  private async expireDue(): Promise<ExpireDueResult> {
    const now = new Date(this.options.nowMs()).toISOString();
    const due = await this.pool.query<{ account_id: string }>(
      `SELECT account_id FROM "${this.options.schema}".expiry_schedule
       WHERE due_at <= $1::timestamptz ORDER BY due_at LIMIT $2`,
      [now, ACCOUNTS_PER_ROUND],
    );
    if (due.rows.length === 0) return { accounts: 0, events: 0 };
    return this.commandBus.execute(new ExpireDueCommand(due.rows.map((r) => r.account_id)));
  }
}
