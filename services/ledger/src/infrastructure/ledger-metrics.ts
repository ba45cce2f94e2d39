import { METRICS } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { LedgerErrorCode } from '../domain/errors.js';

/**
 * What `/metrics` tells an operator about the ledger, beyond every service's series: admission
 * holds (placed, refused by code, expired) and the event store's append latency. Labels are the
 * ledger's fixed error codes; never an account or a hold id.
 */
@Injectable()
export class LedgerMetrics {
  private readonly placed: Counter;
  private readonly refused: Counter<'reason'>;
  private readonly expired: Counter;
  private readonly append: Histogram;

  constructor(@Inject(METRICS) registry: Registry) {
    this.placed = new Counter({
      name: 'ledger_holds_placed_total',
      help: 'Admission holds placed (a retry of the same hold id counts once)',
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'ledger_holds_refused_total',
      help: 'Admission holds refused, by error code (LEDGER.INSUFFICIENT_FUNDS, ...)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.expired = new Counter({
      name: 'ledger_holds_expired_total',
      help: 'Holds released by expiry: no usage arrived within their TTL',
      registers: [registry],
    });
    this.append = new Histogram({
      name: 'event_store_append_duration_seconds',
      help: "The event store's work for one append (locks, hash chain, inserts), in seconds",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  holdPlaced(): void {
    this.placed.inc();
  }

  holdRefused(code: LedgerErrorCode): void {
    this.refused.inc({ reason: code });
  }

  holdsExpired(count: number): void {
    if (count > 0) this.expired.inc(count);
  }

  appended(seconds: number): void {
    this.append.observe(seconds);
  }
}
