import { parseNanos } from '@billing/money';
import { column, insertOrKeep, RowCodec, valueByKey, type Queryable } from '@billing/service-kit';
import { formatInvoiceNumber } from '../domain/index.js';
import type { InvoiceContent } from './invoice-pdf.js';

export interface InvoiceRow extends InvoiceContent {
  readonly sequence: bigint;
}

type StoredInvoice = Omit<InvoiceRow, 'number'>;

const rows = new RowCodec<StoredInvoice>({
  invoiceId: column.plain('invoice_id'),
  sequence: column.bigint('number', BigInt),
  topUpId: column.plain('top_up_id'),
  accountId: column.plain('account_id'),
  issuedAtMs: column.epochMs('issued_at'),
  amountNanos: column.bigint('amount_nanos', parseNanos),
  bonusNanos: column.bigint('bonus_nanos', parseNanos),
  discountNanos: column.bigint('discount_nanos', parseNanos),
  promotionCode: column.plain('promotion_code'),
  method: column.plain('method'),
  trigger: column.plain('trigger'),
  paymentReference: column.plain('payment_reference'),
  customerName: column.plain('customer_name'),
  customerEmail: column.plain('customer_email'),
  issuer: column.json('issuer'),
});

/** The displayed number is derived from the stored sequence, never stored itself. */
function numbered(invoice: StoredInvoice): InvoiceRow {
  return { ...invoice, number: formatInvoiceNumber(invoice.sequence) };
}

export class InvoiceRepository {
  private readonly insertSql: string;
  private readonly documents: string;

  constructor(private readonly schema: string) {
    this.insertSql = rows.insert(`${schema}.invoices`);
    this.documents = `${schema}.invoice_documents`;
  }

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

  async insert(db: Queryable, invoice: StoredInvoice): Promise<void> {
    await db.query(this.insertSql, rows.params(invoice, rows.fields));
  }

  async listByAccount(db: Queryable, accountId: string, limit: number): Promise<InvoiceRow[]> {
    const res = await db.query(
      `SELECT * FROM ${this.schema}.invoices WHERE account_id = $1 ORDER BY number DESC LIMIT $2`,
      [accountId, limit],
    );
    return rows.all(res).map(numbered);
  }

  async get(db: Queryable, accountId: string, invoiceId: string): Promise<InvoiceRow | undefined> {
    const invoice = rows.first(
      await db.query(
        `SELECT * FROM ${this.schema}.invoices WHERE invoice_id = $1 AND account_id = $2`,
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
}
