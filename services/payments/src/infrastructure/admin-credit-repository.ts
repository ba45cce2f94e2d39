import { parseNanos } from '@billing/money';
import { column, RowCodec, wroteOneRow, type Queryable } from '@billing/service-kit';
import type { AdminCredit } from '../domain/index.js';

/** A granted credit as stored: the validated request, and what granting it added. */
export interface AdminCreditRow extends AdminCredit {
  readonly creditId: string;
  readonly eventId: string;
  readonly fingerprint: string;
  readonly createdAtMs: number;
}

const rows = new RowCodec<AdminCreditRow>({
  reference: column.plain('reference'),
  accountId: column.plain('account_id'),
  type: column.plain('type'),
  amountNanos: column.bigint('amount_nanos', parseNanos),
  reason: column.plain('reason'),
  expiresAtMs: column.nullable(column.epochMs('expires_at')),
  referredAccountId: column.plain('referred_account_id'),
  claimId: column.plain('claim_id'),
  creditId: column.plain('credit_id'),
  eventId: column.plain('event_id'),
  fingerprint: column.plain('fingerprint'),
  createdAtMs: column.epochMs('created_at'),
});

export class AdminCreditRepository {
  private readonly insertOnceSql: string;

  constructor(private readonly schema: string) {
    this.insertOnceSql = rows.insert(
      `${schema}.admin_credits`,
      rows.fields,
      'ON CONFLICT (reference) DO NOTHING',
    );
  }

  /** False when the reference exists already (the caller then compares fingerprints). */
  async insertOnce(db: Queryable, c: AdminCreditRow): Promise<boolean> {
    return wroteOneRow(db, this.insertOnceSql, rows.params(c, rows.fields));
  }

  async get(db: Queryable, reference: string): Promise<AdminCreditRow | undefined> {
    return rows.byKey(db, `${this.schema}.admin_credits`, 'reference', reference);
  }
}
