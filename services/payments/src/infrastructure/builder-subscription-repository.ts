import { parseNanos } from '@billing/money';
import { column, RowCodec, type Queryable } from '@billing/service-kit';
import type pg from 'pg';
import { formatInvoiceNumber, type BuilderSubscriptionState } from '../domain/index.js';

export interface BuilderSubscriptionRow extends BuilderSubscriptionState {
  readonly accountId: string;
  readonly updatedAtMs: number;
}

export interface BuilderInvoiceRow {
  readonly invoiceId: string;
  readonly sequence: bigint;
  readonly accountId: string;
  readonly subscriptionId: string;
  readonly providerInvoiceId: string;
  readonly amountNanos: bigint;
  readonly currency: string;
  readonly periodStartMs: number;
  readonly periodEndMs: number;
  readonly issuedAtMs: number;
}

const subscriptions = new RowCodec<BuilderSubscriptionRow>({
  accountId: column.plain('account_id'),
  subscriptionId: column.plain('subscription_id'),
  active: column.plain('active'),
  currentPeriodEndMs: column.nullable(column.epochMs('current_period_end')),
  endedAtMs: column.nullable(column.epochMs('ended_at')),
  updatedAtMs: column.epochMs('updated_at'),
});

const invoices = new RowCodec<BuilderInvoiceRow>({
  invoiceId: column.plain('invoice_id'),
  sequence: column.bigint('number', BigInt),
  accountId: column.plain('account_id'),
  subscriptionId: column.plain('subscription_id'),
  providerInvoiceId: column.plain('provider_invoice_id'),
  amountNanos: column.bigint('amount_nanos', parseNanos),
  currency: column.plain('currency'),
  periodStartMs: column.epochMs('period_start'),
  periodEndMs: column.epochMs('period_end'),
  issuedAtMs: column.epochMs('issued_at'),
});

/** `builder_subscriptions` and `builder_invoices` (migration 005). */
export class BuilderSubscriptionRepository {
  private readonly table: string;
  private readonly invoiceTable: string;
  private readonly upsertSql: string;
  private readonly insertInvoiceSql: string;

  constructor(private readonly schema: string) {
    this.table = `${schema}.builder_subscriptions`;
    this.invoiceTable = `${schema}.builder_invoices`;
    this.upsertSql = subscriptions.upsert(this.table, ['accountId']);
    this.insertInvoiceSql = invoices.insert(this.invoiceTable);
  }

  /**
   * The account's subscription, locked for a decision. The account's advisory lock is taken
   * first, so that two first events of an account (no row to lock yet) serialise too.
   */
  async lock(
    client: pg.PoolClient,
    accountId: string,
  ): Promise<BuilderSubscriptionRow | undefined> {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `${this.table}:${accountId}`,
    ]);
    return subscriptions.first(
      await client.query(`SELECT * FROM ${this.table} WHERE account_id = $1 FOR UPDATE`, [
        accountId,
      ]),
    );
  }

  async get(db: Queryable, accountId: string): Promise<BuilderSubscriptionRow | undefined> {
    return subscriptions.first(
      await db.query(`SELECT * FROM ${this.table} WHERE account_id = $1`, [accountId]),
    );
  }

  async save(db: Queryable, row: BuilderSubscriptionRow): Promise<void> {
    await db.query(this.upsertSql, subscriptions.params(row, subscriptions.fields));
  }

  async hasInvoice(db: Queryable, providerInvoiceId: string): Promise<boolean> {
    const res = await db.query(
      `SELECT 1 FROM ${this.invoiceTable} WHERE provider_invoice_id = $1`,
      [providerInvoiceId],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async insertInvoice(db: Queryable, invoice: BuilderInvoiceRow): Promise<void> {
    await db.query(this.insertInvoiceSql, invoices.params(invoice, invoices.fields));
  }

  async listInvoices(
    db: Queryable,
    accountId: string,
    limit: number,
  ): Promise<(BuilderInvoiceRow & { readonly number: string })[]> {
    const res = await db.query(
      `SELECT * FROM ${this.invoiceTable} WHERE account_id = $1 ORDER BY number DESC LIMIT $2`,
      [accountId, limit],
    );
    return invoices.all(res).map((i) => ({ ...i, number: formatInvoiceNumber(i.sequence) }));
  }
}
