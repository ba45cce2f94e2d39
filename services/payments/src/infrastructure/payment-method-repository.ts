import {
  column,
  insertOrKeep,
  RowCodec,
  wroteOneRow,
  type Queryable,
  valueByKey,
} from '@billing/service-kit';

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

const rows = new RowCodec<PaymentMethodRow>({
  paymentMethodId: column.plain('payment_method_id'),
  accountId: column.plain('account_id'),
  customerId: column.plain('customer_id'),
  type: column.plain('type'),
  brand: column.plain('brand'),
  last4: column.plain('last4'),
  expMonth: column.plain('exp_month'),
  expYear: column.plain('exp_year'),
  attachedAtMs: column.epochMs('attached_at'),
  detachedAtMs: column.nullable(column.epochMs('detached_at')),
});

/** A card is recorded attached; `markDetached` alone sets `detachedAtMs`. */
const ATTACHED = rows.fields.filter(
  (key): key is Exclude<keyof PaymentMethodRow, 'detachedAtMs'> => key !== 'detachedAtMs',
);

/** `stripe_customers` maps an account to its one customer, and back. */
const CUSTOMER_OF_ACCOUNT = { select: 'customer_id', where: 'account_id' };
const ACCOUNT_OF_CUSTOMER = { select: 'account_id', where: 'customer_id' };

/** `stripe_customers` and `payment_methods`: the account's customer and its saved cards. */
export class PaymentMethodRepository {
  private readonly recordAttachedSql: string;
  private readonly customers: string;

  constructor(private readonly schema: string) {
    this.customers = `${schema}.stripe_customers`;
    this.recordAttachedSql = rows.insert(
      `${schema}.payment_methods`,
      ATTACHED,
      'ON CONFLICT (payment_method_id) DO NOTHING',
    );
  }

  customerOf(db: Queryable, accountId: string): Promise<string | undefined> {
    return valueByKey(db, this.customers, CUSTOMER_OF_ACCOUNT, accountId);
  }

  accountOfCustomer(db: Queryable, customerId: string): Promise<string | undefined> {
    return valueByKey(db, this.customers, ACCOUNT_OF_CUSTOMER, customerId);
  }

  /** Records the account's customer unless one is recorded already; answers the recorded one. */
  async saveCustomer(
    db: Queryable,
    accountId: string,
    customerId: string,
    nowMs: number,
  ): Promise<string> {
    const row = { account_id: accountId, customer_id: customerId, created_at: new Date(nowMs) };
    return insertOrKeep(db, this.customers, row, { key: 'account_id', answer: 'customer_id' });
  }

  async get(
    db: Queryable,
    paymentMethodId: string,
    lock = false,
  ): Promise<PaymentMethodRow | undefined> {
    const table = `${this.schema}.payment_methods`;
    return rows.byKey(db, table, 'paymentMethodId', paymentMethodId, lock);
  }

  /** The account's saved cards, newest first; detached ones left out. */
  async listAttached(db: Queryable, accountId: string): Promise<PaymentMethodRow[]> {
    const res = await db.query(
      `SELECT * FROM ${this.schema}.payment_methods
        WHERE account_id = $1 AND detached_at IS NULL
        ORDER BY attached_at DESC, payment_method_id`,
      [accountId],
    );
    return rows.all(res);
  }

  /**
   * Records a card saved to the account's customer. A card detached once stays detached (Stripe
   * never attaches a detached PaymentMethod again), so a late setup event cannot revive it.
   */
  async recordAttached(
    db: Queryable,
    pm: Omit<PaymentMethodRow, 'detachedAtMs'>,
  ): Promise<boolean> {
    return wroteOneRow(db, this.recordAttachedSql, rows.params(pm, ATTACHED));
  }

  async markDetached(db: Queryable, paymentMethodId: string, nowMs: number): Promise<boolean> {
    return wroteOneRow(
      db,
      `UPDATE ${this.schema}.payment_methods SET detached_at = $2
        WHERE payment_method_id = $1 AND detached_at IS NULL`,
      [paymentMethodId, new Date(nowMs)],
    );
  }
}
