import { formatUsd, formatUsdFixed } from '@billing/money';
import PDFDocument from 'pdfkit';
import { NANOS_PER_CENT } from '../domain/index.js';

export interface InvoiceIssuer {
  readonly name: string;
  readonly addressLines: readonly string[];
  readonly email: string;
  readonly taxId: string | null;
}

/** Everything printed on an invoice, frozen when the invoice was issued. */
export interface InvoiceContent {
  readonly invoiceId: string;
  readonly number: string;
  readonly issuedAtMs: number;
  readonly issuer: InvoiceIssuer;
  readonly accountId: string;
  readonly customerName: string | null;
  readonly customerEmail: string | null;
  readonly topUpId: string;
  readonly trigger: 'manual' | 'auto';
  /** What the payment provider charged. */
  readonly amountNanos: bigint;
  readonly bonusNanos: bigint;
  /** What a promotion code took off the top-up (0 without one): credited, never charged. */
  readonly discountNanos: bigint;
  readonly promotionCode: string | null;
  readonly method: string;
  readonly paymentReference: string;
}

/**
 * Bumped whenever the layout changes (2: the discount line of a promotion code). Stored next to each rendered PDF: an invoice once downloaded
 * is served from storage byte for byte, so a new layout (or a new pdfkit) never changes a document
 * a customer already holds.
 */
export const INVOICE_LAYOUT_VERSION = 'invoice-layout-2';

/** "1,234.50" for whole cents; the exact amount ("6.666") when a bonus has a fraction of a cent. */
export function displayUsd(nanos: bigint): string {
  const plain = nanos % NANOS_PER_CENT === 0n ? formatUsdFixed(nanos, 2) : formatUsd(nanos);
  const negative = plain.startsWith('-');
  const [whole = '0', fraction] = (negative ? plain.slice(1) : plain).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

const METHOD_NAMES: Record<string, string> = {
  card: 'Card',
  alipay: 'Alipay',
  link: 'Link',
  us_bank_account: 'US bank account',
  sepa_debit: 'SEPA Direct Debit',
  wechat_pay: 'WeChat Pay',
  paypal: 'PayPal',
};

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** One printed line of the invoice's table: a label and a USD amount as displayed. */
export interface InvoiceLine {
  readonly label: string;
  readonly amount: string;
}

/**
 * The lines of the invoice's table, in order: the top-up (the amount asked for), its discount when
 * a promotion code applied, the total charged (top-up − discount), the bonus, and the credits
 * added (top-up + bonus). Kept apart from the drawing so that what the invoice says is tested as
 * text; a top-up without a discount prints exactly the lines it always did.
 */
export function invoiceLines(invoice: InvoiceContent): {
  readonly items: readonly InvoiceLine[];
  readonly charged: InvoiceLine;
  readonly credited: InvoiceLine;
} {
  const topUpNanos = invoice.amountNanos + invoice.discountNanos;
  const kind = invoice.trigger === 'auto' ? 'auto top-up' : 'manual top-up';
  const items: InvoiceLine[] = [
    { label: `Account top-up (${kind})`, amount: displayUsd(topUpNanos) },
  ];
  if (invoice.discountNanos > 0n) {
    items.push({
      label: `Discount (promotion code ${invoice.promotionCode ?? '-'})`,
      amount: displayUsd(-invoice.discountNanos),
    });
  }
  items.push({
    label: 'Bonus credits received (no charge)',
    amount: displayUsd(invoice.bonusNanos),
  });
  return {
    items,
    charged: { label: 'Total charged', amount: `USD ${displayUsd(invoice.amountNanos)}` },
    credited: {
      label: 'Credits added to the account',
      amount: displayUsd(topUpNanos + invoice.bonusNanos),
    },
  };
}

/**
 * Renders an invoice with pdfkit, deterministically: the same content gives the same bytes. The
 * PDF's CreationDate and ModDate are the issue date, its file ID is derived by pdfkit from that
 * info dictionary (no randomness), the version is pinned, and only the standard Helvetica fonts
 * are used (nothing embedded, so no font subset tags).
 */
export function renderInvoicePdf(invoice: InvoiceContent): Promise<Buffer> {
  const issuedAt = new Date(invoice.issuedAtMs);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    pdfVersion: '1.7',
    compress: true,
    autoFirstPage: true,
    info: {
      Title: `Invoice ${invoice.number}`,
      Author: invoice.issuer.name,
      Subject: `Top-up ${invoice.topUpId} for account ${invoice.accountId}`,
      Creator: 'llm-billing payments',
      Producer: `llm-billing payments (${INVOICE_LAYOUT_VERSION})`,
      CreationDate: issuedAt,
      ModDate: issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = 50;
  const right = 545;
  const lines = invoiceLines(invoice);

  doc.font('Helvetica-Bold').fontSize(22).text('INVOICE', left, 50);
  doc.font('Helvetica').fontSize(10);
  doc.text(`Invoice number: ${invoice.number}`, 330, 55, { width: right - 330, align: 'right' });
  doc.text(`Date: ${isoDate(invoice.issuedAtMs)}`, 330, 70, { width: right - 330, align: 'right' });
  doc.text('Status: Paid', 330, 85, { width: right - 330, align: 'right' });

  let y = 125;
  doc.font('Helvetica-Bold').text('From', left, y);
  doc.font('Helvetica');
  const issuerLines = [
    invoice.issuer.name,
    ...invoice.issuer.addressLines,
    invoice.issuer.email,
    ...(invoice.issuer.taxId ? [`Tax ID: ${invoice.issuer.taxId}`] : []),
  ];
  issuerLines.forEach((line, i) => doc.text(line, left, y + 15 + i * 13, { width: 240 }));

  doc.font('Helvetica-Bold').text('Bill to', 310, y);
  doc.font('Helvetica');
  const customerLines = [
    ...(invoice.customerName ? [invoice.customerName] : []),
    `Account: ${invoice.accountId}`,
    ...(invoice.customerEmail ? [invoice.customerEmail] : []),
  ];
  customerLines.forEach((line, i) => doc.text(line, 310, y + 15 + i * 13, { width: 235 }));

  y += 30 + Math.max(issuerLines.length, customerLines.length) * 13;
  doc.moveTo(left, y).lineTo(right, y).stroke();
  y += 8;
  doc.font('Helvetica-Bold');
  doc.text('Description', left, y);
  doc.text('Amount (USD)', 400, y, { width: right - 400, align: 'right' });
  y += 18;
  doc.moveTo(left, y).lineTo(right, y).stroke();
  y += 8;
  doc.font('Helvetica');
  for (const { label, amount } of lines.items) {
    doc.text(label, left, y, { width: 330 });
    doc.text(amount, 400, y, { width: right - 400, align: 'right' });
    y += 18;
  }
  doc.moveTo(left, y).lineTo(right, y).stroke();
  y += 8;
  doc.font('Helvetica-Bold');
  doc.text(lines.charged.label, left, y);
  doc.text(lines.charged.amount, 400, y, { width: right - 400, align: 'right' });
  y += 18;
  doc.font('Helvetica');
  doc.text(lines.credited.label, left, y);
  doc.text(lines.credited.amount, 400, y, { width: right - 400, align: 'right' });

  y += 40;
  doc.font('Helvetica-Bold').text('Payment', left, y);
  doc.font('Helvetica');
  const paymentLines = [
    `Method: ${METHOD_NAMES[invoice.method] ?? invoice.method}`,
    `Payment reference: ${invoice.paymentReference}`,
    `Top-up: ${invoice.topUpId}`,
    `Invoice ID: ${invoice.invoiceId}`,
  ];
  paymentLines.forEach((line, i) => doc.text(line, left, y + 15 + i * 13, { width: right - left }));

  doc
    .fontSize(8)
    .fillColor('#555555')
    .text(
      'Prepaid usage credits. Bonus credits are granted at no charge and are used before top-up credits.',
      left,
      760,
      { width: right - left, align: 'center' },
    );

  doc.end();
  return done;
}
