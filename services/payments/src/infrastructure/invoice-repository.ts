import { parseNanos } from '@billing/money';
import { formatInvoiceNumber } from '../domain/index.js';
import type { InvoiceContent, InvoiceIssuer } from './invoice-pdf.js';
import type { Queryable } from './top-up-repository.js';

export interface InvoiceRow extends InvoiceContent {
  readonly sequence: bigint;
}

interface DbRow {
  invoice_id: string;
  number: string;
  top_up_id: string;
  account_id: string;
  issued_at: Date;
  amount_nanos: string;
  bonus_nanos: string;
  method: string;
  trigger: 'manual' | 'auto';
  payment_reference: string;
  customer_name: string | null;
  customer_email: string | null;
  issuer: InvoiceIssuer;
}

function fromDb(r: DbRow): InvoiceRow {
  const sequence = BigInt(r.number);
  return {
    invoiceId: r.invoice_id,
    sequence,
    number: formatInvoiceNumber(sequence),
    issuedAtMs: r.issued_at.getTime(),
    issuer: r.issuer,
    accountId: r.account_id,
    customerName: r.customer_name,
    customerEmail: r.customer_email,
    topUpId: r.top_up_id,
    trigger: r.trigger,
    amountNanos: parseNanos(r.amount_nanos),
    bonusNanos: parseNanos(r.bonus_nanos),
    method: r.method,
    paymentReference: r.payment_reference,
  };
}

export class InvoiceRepository {
  constructor(private readonly schema: string) {}

  /**
   * The next invoice number, gap-free: the counter row is updated in the caller's transaction, so a
   * rollback gives the number back, and the row lock orders concurrent settlements.
   */
  async allocateNumber(db: Queryable): Promise<bigint> {
    const res = await db.query<{ last_number: string }>(
      `UPDATE ${this.schema}.invoice_counter SET last_number = last_number + 1 RETURNING last_number`,
    );
    const value = res.rows[0]?.last_number;
    if (value === undefined) throw new Error(`${this.schema}.invoice_counter has no row`);
    return BigInt(value);
  }

  async insert(db: Queryable, invoice: Omit<InvoiceRow, 'number'>): Promise<void> {
    await db.query(
      `INSERT INTO ${this.schema}.invoices
         (invoice_id, number, top_up_id, account_id, issued_at, amount_nanos, bonus_nanos, method,
          trigger, payment_reference, customer_name, customer_email, issuer)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        invoice.invoiceId,
        invoice.sequence.toString(),
        invoice.topUpId,
        invoice.accountId,
        new Date(invoice.issuedAtMs),
        invoice.amountNanos.toString(),
        invoice.bonusNanos.toString(),
        invoice.method,
        invoice.trigger,
        invoice.paymentReference,
        invoice.customerName,
        invoice.customerEmail,
        JSON.stringify(invoice.issuer),
      ],
    );
  }

  async listByAccount(db: Queryable, accountId: string, limit: number): Promise<InvoiceRow[]> {
    const res = await db.query<DbRow>(
      `SELECT * FROM ${this.schema}.invoices WHERE account_id = $1 ORDER BY number DESC LIMIT $2`,
      [accountId, limit],
    );
    return res.rows.map(fromDb);
  }

  async get(db: Queryable, accountId: string, invoiceId: string): Promise<InvoiceRow | undefined> {
    const res = await db.query<DbRow>(
      `SELECT * FROM ${this.schema}.invoices WHERE invoice_id = $1 AND account_id = $2`,
      [invoiceId, accountId],
    );
    return res.rows[0] && fromDb(res.rows[0]);
  }

  async document(db: Queryable, invoiceId: string): Promise<Buffer | undefined> {
    const res = await db.query<{ pdf: Buffer }>(
      `SELECT pdf FROM ${this.schema}.invoice_documents WHERE invoice_id = $1`,
      [invoiceId],
    );
    return res.rows[0]?.pdf;
  }

  /** Keeps the first rendering if two downloads raced; answers the stored bytes. */
  async storeDocument(
    db: Queryable,
    invoiceId: string,
    layoutVersion: string,
    pdf: Buffer,
  ): Promise<Buffer> {
    await db.query(
      `INSERT INTO ${this.schema}.invoice_documents (invoice_id, layout_version, pdf)
       VALUES ($1, $2, $3) ON CONFLICT (invoice_id) DO NOTHING`,
      [invoiceId, layoutVersion, pdf],
    );
    const stored = await this.document(db, invoiceId);
    if (stored === undefined) throw new Error(`invoice document ${invoiceId} vanished`);
    return stored;
  }
}
