import { Inject, Injectable, Logger } from '@nestjs/common';
import { PG_POOL } from '@billing/service-kit';
import type pg from 'pg';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
import { ProjectionRunStore } from '../../ops/projection-run-store.js';
import { ALL_PROJECTIONS, recordedVerify } from '../../ops/recorded-run.js';
import type { StartVerifyResult } from './start-projections-verify.command.js';

/**
 * Runs the verifies an operator starts through the admin API, in this process, in the
 * background: the same recorded verify as the CLI's (ops/recorded-run.ts), started by `admin`.
 * One verify runs at a time across the CLI and every replica (`projection_runs` decides). On
 * shutdown a verify in flight is recorded as abandoned at once rather than holding the process
 * up for as long as it takes; one whose process is killed is abandoned by its missing heartbeat.
 */
@Injectable()
export class VerifyRunner {
  private readonly logger = new Logger('ProjectionsVerify');
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
    private readonly runs: ProjectionRunStore,
  ) {}

  async start(): Promise<StartVerifyResult> {
    if (this.stopping.signal.aborted) throw new Error('the ledger is stopping');
    const begun = await this.runs.begin('verify', ALL_PROJECTIONS, 'admin');
    if (!begun.ok) return begun;
    const { runId } = begun;
    this.logger.log(`projections verify ${runId} started`);
    const run = recordedVerify(
      { pool: this.pool, schema: this.options.schema, runs: this.runs, runId },
      { signal: this.stopping.signal },
    ).then(
      (report) =>
        this.logger.log(
          `projections verify ${runId}: ${report.ok ? 'ok' : `${report.differences.length} account(s) differ`}, ` +
            `${report.accounts} accounts, ${report.events} events`,
        ),
      (err: unknown) => {
        if (this.stopping.signal.aborted) return;
        this.logger.error(
          `projections verify ${runId} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      },
    );
    this.inFlight.set(runId, run);
    void run.finally(() => this.inFlight.delete(runId));
    return begun;
  }

  /** Records the runs in flight as abandoned; their work writes nothing more. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(
      [...this.inFlight.keys()].map((runId) =>
        this.runs
          .abandon(runId, 'the ledger stopped before the verify finished')
          .catch((err: unknown) =>
            this.logger.warn(
              `could not record verify ${runId} as abandoned (${err instanceof Error ? err.message : String(err)}); its heartbeat will`,
            ),
          ),
      ),
    );
  }
}
