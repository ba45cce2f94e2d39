import { parseNanos } from '@billing/money';
import { column, RowCodec, valueByKey, type Migration, type Queryable } from '@billing/service-kit';
import type { Referral, ReferralStatus } from '../domain/index.js';

/**
 * The referral program's tables (issue #17), kept in a migration of their own. Every guarantee is a
 * constraint: one code per account and one account per code; one referral per referred account
 * (the primary key: a reward at most once), never the account itself; one reward id per referral;
 * a decided referral names the top-up that decided it.
 */
export const referralMigrations: readonly Migration[] = [
  {
    id: '005_referrals',
    sql: `
      CREATE TABLE referral_codes (
        account_id   text PRIMARY KEY,
        code         text        NOT NULL UNIQUE,
        created_at   timestamptz NOT NULL
      );

      CREATE TABLE referrals (
        referred_account_id  text PRIMARY KEY,
        referrer_account_id  text        NOT NULL,
        code                 text        NOT NULL,
        status               text        NOT NULL
          CHECK (status IN ('pending', 'rewarded', 'not_rewarded', 'revoked')),
        referral_id          text        NOT NULL UNIQUE,
        created_at           timestamptz NOT NULL,
        top_up_id            text UNIQUE REFERENCES top_ups (top_up_id),
        reward_nanos         bigint CHECK (reward_nanos >= 0),
        decided_at           timestamptz,
        revoked_at           timestamptz,
        CHECK (referrer_account_id <> referred_account_id),
        CHECK ((status = 'pending') = (top_up_id IS NULL)),
        CHECK ((status IN ('rewarded', 'revoked')) = (reward_nanos IS NOT NULL AND reward_nanos > 0)),
        CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
      );
      CREATE INDEX referrals_referrer_idx ON referrals (referrer_account_id, created_at DESC);
    `,
  },
];

const rows = new RowCodec<Referral>({
  referredAccountId: column.plain('referred_account_id'),
  referrerAccountId: column.plain('referrer_account_id'),
  code: column.plain('code'),
  status: column.plain('status'),
  referralId: column.plain('referral_id'),
  createdAtMs: column.epochMs('created_at'),
  topUpId: column.plain('top_up_id'),
  rewardNanos: column.nullable(column.bigint('reward_nanos', parseNanos)),
  decidedAtMs: column.nullable(column.epochMs('decided_at')),
  revokedAtMs: column.nullable(column.epochMs('revoked_at')),
});

const NEW_REFERRAL = [
  'referredAccountId',
  'referrerAccountId',
  'code',
  'status',
  'referralId',
  'createdAtMs',
] as const satisfies readonly (keyof Referral)[];

export class ReferralRepository {
  private readonly insertSql: string;

  constructor(private readonly schema: string) {
    this.insertSql = rows.insert(`${schema}.referrals`, NEW_REFERRAL);
  }

  /**
   * Serialises everything that decides an account's referral (signing up with a code, settling
   * its top-ups) until the caller's transaction ends: the one lock both take, so a code used while
   * the first top-up settles is either before it (and rewarded) or after it (and refused).
   */
  async lockAccount(db: Queryable, accountId: string): Promise<void> {
    await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `${this.schema}.referral:${accountId}`,
    ]);
  }

  codeOf(db: Queryable, accountId: string): Promise<string | undefined> {
    const by = { select: 'code', where: 'account_id' };
    return valueByKey(db, `${this.schema}.referral_codes`, by, accountId);
  }

  /** Does nothing when the account has a code already or the code is taken: read it back. */
  async insertCode(db: Queryable, accountId: string, code: string, atMs: number): Promise<void> {
    await db.query(
      `INSERT INTO ${this.schema}.referral_codes (account_id, code, created_at)
       VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [accountId, code, new Date(atMs)],
    );
  }

  ownerOf(db: Queryable, code: string): Promise<string | undefined> {
    const by = { select: 'account_id', where: 'code' };
    return valueByKey(db, `${this.schema}.referral_codes`, by, code);
  }

  get(db: Queryable, referredAccountId: string): Promise<Referral | undefined> {
    return rows.byKey(db, `${this.schema}.referrals`, 'referredAccountId', referredAccountId);
  }

  async insert(db: Queryable, referral: Referral): Promise<void> {
    await db.query(this.insertSql, rows.params(referral, NEW_REFERRAL));
  }

  /** Decides a pending referral; false when it was not pending any more. */
  async decide(
    db: Queryable,
    referredAccountId: string,
    d: { status: ReferralStatus; topUpId: string; rewardNanos: bigint | null; atMs: number },
  ): Promise<boolean> {
    const res = await db.query(
      `UPDATE ${this.schema}.referrals
          SET status = $2, top_up_id = $3, reward_nanos = $4, decided_at = $5
        WHERE referred_account_id = $1 AND status = 'pending'`,
      [referredAccountId, d.status, d.topUpId, d.rewardNanos?.toString() ?? null, new Date(d.atMs)],
    );
    return (res.rowCount ?? 0) === 1;
  }

  /** Revokes a rewarded referral; false when it was not rewarded (revoked already). */
  async revoke(db: Queryable, referredAccountId: string, atMs: number): Promise<boolean> {
    const res = await db.query(
      `UPDATE ${this.schema}.referrals SET status = 'revoked', revoked_at = $2
        WHERE referred_account_id = $1 AND status = 'rewarded'`,
      [referredAccountId, new Date(atMs)],
    );
    return (res.rowCount ?? 0) === 1;
  }

  async listByReferrer(
    db: Queryable,
    referrerAccountId: string,
    limit: number,
  ): Promise<Referral[]> {
    const res = await db.query(
      `SELECT * FROM ${this.schema}.referrals WHERE referrer_account_id = $1
        ORDER BY created_at DESC, referred_account_id LIMIT $2`,
      [referrerAccountId, limit],
    );
    return rows.all(res);
  }

  /** Whether the account settled a top-up other than `exceptTopUpId` (refunded ones count). */
  async hasSettledTopUp(db: Queryable, accountId: string, exceptTopUpId = ''): Promise<boolean> {
    const res = await db.query(
      `SELECT 1 FROM ${this.schema}.top_ups
        WHERE account_id = $1 AND status IN ('settled', 'refunded') AND top_up_id <> $2 LIMIT 1`,
      [accountId, exceptTopUpId],
    );
    return (res.rowCount ?? 0) > 0;
  }
}
