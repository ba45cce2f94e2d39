import { parseNanos } from '@billing/money';
import { column, insertOrKeep, RowCodec, valueByKey, type Queryable } from '@billing/service-kit';
import type pg from 'pg';
import { formatInvoiceNumber, type BuilderSubscriptionState } from '../domain/index.js';
import type { InvoiceIssuer } from './invoice-pdf.js';

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
  /** Frozen at issue; null on invoices issued before migration 006 (rendered with today's). */
  readonly issuer: InvoiceIssuer | null;
  readonly customerName: string | null;
  readonly customerEmail: string | null;
}

/** A Builder invoice with its displayed number (`INV-000042`), derived from the sequence. */
export type NumberedBuilderInvoice = BuilderInvoiceRow & { readonly number: string };

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
  issuer: column.nullable(column.json<InvoiceIssuer>('issuer')),
  customerName: column.plain('customer_name'),
  customerEmail: column.plain('customer_email'),
});

const numbered = (i: BuilderInvoiceRow): NumberedBuilderInvoice => ({
  ...i,
  number: formatInvoiceNumber(i.sequence),
});

/** `builder_subscriptions`, `builder_invoices` (migration 005) and their documents (006). */
export class BuilderSubscriptionRepository {
  private readonly table: string;
  private readonly invoiceTable: string;
  private readonly documents: string;
  private readonly upsertSql: string;
  private readonly insertInvoiceSql: string;

  constructor(private readonly schema: string) {
    this.table = `${schema}.builder_subscriptions`;
    this.invoiceTable = `${schema}.builder_invoices`;
    this.documents = `${schema}.builder_invoice_documents`;
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
  ): Promise<NumberedBuilderInvoice[]> {
    const res = await db.query(
      `SELECT * FROM ${this.invoiceTable} WHERE account_id = $1 ORDER BY number DESC LIMIT $2`,
      [accountId, limit],
    );
    return invoices.all(res).map(numbered);
  }

  /** One invoice of the account; undefined for another account's or an unknown one. */
  async getInvoice(
    db: Queryable,
    accountId: string,
    invoiceId: string,
  ): Promise<NumberedBuilderInvoice | undefined> {
    const invoice = invoices.first(
      await db.query(
        `SELECT * FROM ${this.invoiceTable} WHERE invoice_id = $1 AND account_id = $2`,
        [invoiceId, accountId],
      ),
    );
    return invoice && numbered(invoice);
  }

  async document(db: Queryable, invoiceId: string): Promise<Buffer | undefined> {
    return valueByKey(db, this.documents, { select: 'pdf', where: 'invoice_id' }, invoiceId);
  }

  /** Keeps the first rendering if two downloads raced; answers the stored bytes. */
  async storeDocument(
    db: Queryable,
    invoiceId: string,
    layoutVersion: string,
    pdf: Buffer,
  ): Promise<Buffer> {
    const row = { invoice_id: invoiceId, layout_version: layoutVersion, pdf };
    return insertOrKeep(db, this.documents, row, { key: 'invoice_id', answer: 'pdf' });
  }

  /**
   * The active subscriptions whose paid period ended at or before `periodEndedBy` (now − grace),
   * oldest first: the lapse sweep's candidates, each decided again under its lock.
   */
  async dueToLapse(
    db: Queryable,
    periodEndedBy: Date,
    limit: number,
  ): Promise<{ readonly accountId: string; readonly subscriptionId: string }[]> {
    const res = await db.query<{ account_id: string; subscription_id: string }>(
      `SELECT account_id, subscription_id FROM ${this.table}
       WHERE active AND current_period_end <= $1
       ORDER BY current_period_end LIMIT $2`,
      [periodEndedBy, limit],
    );
    return res.rows.map((r) => ({ accountId: r.account_id, subscriptionId: r.subscription_id }));
  }
}
