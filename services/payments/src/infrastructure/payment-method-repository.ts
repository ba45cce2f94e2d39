import type { Queryable } from './top-up-repository.js';

export interface PaymentMethodRow {
  readonly paymentMethodId: string;
  readonly accountId: string;
  readonly customerId: string;
  readonly type: string;
  readonly brand: string | null;
  readonly last4: string | null;
  readonly expMonth: number | null;
  readonly expYear: number | null;
  readonly attachedAtMs: number;
  readonly detachedAtMs: number | null;
}

interface DbRow {
  payment_method_id: string;
  account_id: string;
  customer_id: string;
  type: string;
  brand: string | null;
  last4: string | null;
  exp_month: number | null;
  exp_year: number | null;
  attached_at: Date;
  detached_at: Date | null;
}

function fromDb(r: DbRow): PaymentMethodRow {
  return {
    paymentMethodId: r.payment_method_id,
    accountId: r.account_id,
    customerId: r.customer_id,
    type: r.type,
    brand: r.brand,
    last4: r.last4,
    expMonth: r.exp_month,
    expYear: r.exp_year,
    attachedAtMs: r.attached_at.getTime(),
    detachedAtMs: r.detached_at?.getTime() ?? null,
  };
}

/** `stripe_customers` and `payment_methods`: the account's customer and its saved cards. */
export class PaymentMethodRepository {
  constructor(private readonly schema: string) {}

  async customerOf(db: Queryable, accountId: string): Promise<string | undefined> {
    const res = await db.query<{ customer_id: string }>(
      `SELECT customer_id FROM ${this.schema}.stripe_customers WHERE account_id = $1`,
      [accountId],
    );
    return res.rows[0]?.customer_id;
  }

  async accountOfCustomer(db: Queryable, customerId: string): Promise<string | undefined> {
    const res = await db.query<{ account_id: string }>(
      `SELECT account_id FROM ${this.schema}.stripe_customers WHERE customer_id = $1`,
      [customerId],
    );
    return res.rows[0]?.account_id;
  }

  /** Records the account's customer unless one is recorded already; answers the recorded one. */
  async saveCustomer(
    db: Queryable,
    accountId: string,
    customerId: string,
    nowMs: number,
  ): Promise<string> {
    await db.query(
      `INSERT INTO ${this.schema}.stripe_customers (account_id, customer_id, created_at)
       VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING`,
      [accountId, customerId, new Date(nowMs)],
    );
    const recorded = await this.customerOf(db, accountId);
    if (recorded === undefined) throw new Error(`customer of ${accountId} vanished`);
    return recorded;
  }

  async get(
    db: Queryable,
    paymentMethodId: string,
    lock = false,
  ): Promise<PaymentMethodRow | undefined> {
    const res = await db.query<DbRow>(
      `SELECT * FROM ${this.schema}.payment_methods WHERE payment_method_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [paymentMethodId],
    );
    return res.rows[0] && fromDb(res.rows[0]);
  }

  /** The account's saved cards, newest first; detached ones left out. */
  async listAttached(db: Queryable, accountId: string): Promise<PaymentMethodRow[]> {
    const res = await db.query<DbRow>(
      `SELECT * FROM ${this.schema}.payment_methods
        WHERE account_id = $1 AND detached_at IS NULL
        ORDER BY attached_at DESC, payment_method_id`,
      [accountId],
    );
    return res.rows.map(fromDb);
  }

  /**
   * Records a card saved to the account's customer. A card detached once stays detached (Stripe
   * never attaches a detached PaymentMethod again), so a late setup event cannot revive it.
   */
  async recordAttached(
    db: Queryable,
    pm: Omit<PaymentMethodRow, 'detachedAtMs'>,
  ): Promise<boolean> {
    const res = await db.query(
      `INSERT INTO ${this.schema}.payment_methods
         (payment_method_id, account_id, customer_id, type, brand, last4, exp_month, exp_year, attached_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (payment_method_id) DO NOTHING`,
      [
        pm.paymentMethodId,
        pm.accountId,
        pm.customerId,
        pm.type,
        pm.brand,
        pm.last4,
        pm.expMonth,
        pm.expYear,
        new Date(pm.attachedAtMs),
      ],
    );
    return (res.rowCount ?? 0) === 1;
  }

  async markDetached(db: Queryable, paymentMethodId: string, nowMs: number): Promise<boolean> {
    const res = await db.query(
      `UPDATE ${this.schema}.payment_methods SET detached_at = $2
        WHERE payment_method_id = $1 AND detached_at IS NULL`,
      [paymentMethodId, new Date(nowMs)],
    );
    return (res.rowCount ?? 0) === 1;
  }
}
