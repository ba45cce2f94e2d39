import { parseNanos } from '@billing/money';
import type { AdminCreditType } from '../domain/index.js';
import type { Queryable } from './top-up-repository.js';

export interface AdminCreditRow {
  readonly reference: string;
  readonly accountId: string;
  readonly type: AdminCreditType;
  readonly amountNanos: bigint;
  readonly reason: string;
  readonly expiresAtMs: number | null;
  readonly referredAccountId: string | null;
  readonly claimId: string | null;
  readonly creditId: string;
  readonly eventId: string;
  readonly fingerprint: string;
  readonly createdAtMs: number;
}

interface DbRow {
  reference: string;
  account_id: string;
  type: AdminCreditType;
  amount_nanos: string;
  reason: string;
  expires_at: Date | null;
  referred_account_id: string | null;
  claim_id: string | null;
  credit_id: string;
  event_id: string;
  fingerprint: string;
  created_at: Date;
}

function fromDb(r: DbRow): AdminCreditRow {
  return {
    reference: r.reference,
    accountId: r.account_id,
    type: r.type,
    amountNanos: parseNanos(r.amount_nanos),
    reason: r.reason,
    expiresAtMs: r.expires_at?.getTime() ?? null,
    referredAccountId: r.referred_account_id,
    claimId: r.claim_id,
    creditId: r.credit_id,
    eventId: r.event_id,
    fingerprint: r.fingerprint,
    createdAtMs: r.created_at.getTime(),
  };
}

export class AdminCreditRepository {
  constructor(private readonly schema: string) {}

  /** False when the reference exists already (the caller then compares fingerprints). */
  async insertOnce(db: Queryable, c: AdminCreditRow): Promise<boolean> {
    const res = await db.query(
      `INSERT INTO ${this.schema}.admin_credits
         (reference, account_id, type, amount_nanos, reason, expires_at, referred_account_id,
          claim_id, credit_id, event_id, fingerprint, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (reference) DO NOTHING`,
      [
        c.reference,
        c.accountId,
        c.type,
        c.amountNanos.toString(),
        c.reason,
        c.expiresAtMs === null ? null : new Date(c.expiresAtMs),
        c.referredAccountId,
        c.claimId,
        c.creditId,
        c.eventId,
        c.fingerprint,
        new Date(c.createdAtMs),
      ],
    );
    return (res.rowCount ?? 0) === 1;
  }

  async get(db: Queryable, reference: string): Promise<AdminCreditRow | undefined> {
    const res = await db.query<DbRow>(
      `SELECT * FROM ${this.schema}.admin_credits WHERE reference = $1`,
      [reference],
    );
    return res.rows[0] && fromDb(res.rows[0]);
  }
}
