import { formatUsd, formatUsdFixed } from '@billing/money';
import PDFDocument from 'pdfkit';
import { NANOS_PER_CENT } from '../domain/index.js';

export interface InvoiceIssuer {
  readonly name: string;
  readonly addressLines: readonly string[];
  readonly email: string;
  readonly taxId: string | null;
}

/** What heads every invoice, whatever it bills: its number, date, issuer and payer. */
export interface InvoiceHeader {
  readonly invoiceId: string;
  readonly number: string;
  readonly issuedAtMs: number;
  readonly issuer: InvoiceIssuer;
  readonly accountId: string;
  readonly customerName: string | null;
  readonly customerEmail: string | null;
}

/** Everything printed on a top-up's invoice, frozen when the invoice was issued. */
export interface InvoiceContent extends InvoiceHeader {
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
 * A Builder subscription's invoice (issue #17): one paid period of the plan's fixed fee, paid to
 * the provider. No bonus and no credits: the fee never reaches the prepaid balance.
 */
export interface BuilderInvoiceContent extends InvoiceHeader {
  readonly kind: 'builder_subscription';
  readonly subscriptionId: string;
  /** The provider's invoice (`in_...`): the payment's reference. */
  readonly providerInvoiceId: string;
  /** The fee as the provider charged it. */
  readonly amountNanos: bigint;
  readonly currency: string;
  readonly periodStartMs: number;
  readonly periodEndMs: number;
}

/** Anything the renderer prints: a top-up's invoice or a Builder subscription's. */
export type PrintableInvoice = InvoiceContent | BuilderInvoiceContent;

const isBuilderInvoice = (invoice: PrintableInvoice): invoice is BuilderInvoiceContent =>
  'kind' in invoice && invoice.kind === 'builder_subscription';

/**
 * Bumped whenever the layout changes (2: the discount line of a promotion code). Stored next to each rendered PDF: an invoice once downloaded
 * is served from storage byte for byte, so a new layout (or a new pdfkit) never changes a document
 * a customer already holds.
 */
export const INVOICE_LAYOUT_VERSION = 'invoice-layout-2';
/** The layout of a Builder subscription's invoice, versioned on its own (stored the same way). */
export const BUILDER_INVOICE_LAYOUT_VERSION = 'builder-invoice-layout-1';

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

/** `2027-01-01 00:00 UTC` */
function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** What a top-up invoice is for, as its first line and the invoice list say it. */
export function topUpDescription(trigger: InvoiceContent['trigger']): string {
  return `Account top-up (${trigger === 'auto' ? 'auto top-up' : 'manual top-up'})`;
}

/** What a Builder invoice is for: `Builder plan, period 2027-01-01 to 2027-02-01` (UTC dates). */
export function builderInvoiceDescription(periodStartMs: number, periodEndMs: number): string {
  return `Builder plan, period ${isoDate(periodStartMs)} to ${isoDate(periodEndMs)}`;
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
  const items: InvoiceLine[] = [
    { label: topUpDescription(invoice.trigger), amount: displayUsd(topUpNanos) },
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
 * The lines of a Builder invoice's table: the plan's fee for its period and the total charged, in
 * the provider's currency. No bonus line and no credits line: nothing is added to the balance.
 */
export function builderInvoiceLines(invoice: BuilderInvoiceContent): {
  readonly items: readonly InvoiceLine[];
  readonly charged: InvoiceLine;
} {
  return {
    items: [
      {
        label: builderInvoiceDescription(invoice.periodStartMs, invoice.periodEndMs),
        amount: displayUsd(invoice.amountNanos),
      },
    ],
    charged: {
      label: 'Total charged',
      amount: `${invoice.currency.toUpperCase()} ${displayUsd(invoice.amountNanos)}`,
    },
  };
}

/** What differs between the two kinds of invoice; the drawing below is shared. */
interface InvoiceLayout {
  readonly version: string;
  readonly subject: string;
  readonly items: readonly InvoiceLine[];
  readonly charged: InvoiceLine;
  /** Absent on a Builder invoice: no credits are added. */
  readonly credited: InvoiceLine | null;
  readonly paymentLines: readonly string[];
  readonly footer: string;
}

function layoutOf(invoice: PrintableInvoice): InvoiceLayout {
  if (isBuilderInvoice(invoice)) {
    const lines = builderInvoiceLines(invoice);
    return {
      version: BUILDER_INVOICE_LAYOUT_VERSION,
      subject: `Builder plan subscription ${invoice.subscriptionId} for account ${invoice.accountId}`,
      ...lines,
      credited: null,
      paymentLines: [
        `Subscription: ${invoice.subscriptionId}`,
        `Service period: ${utcMinute(invoice.periodStartMs)} to ${utcMinute(invoice.periodEndMs)}`,
        `Payment reference: ${invoice.providerInvoiceId}`,
        `Invoice ID: ${invoice.invoiceId}`,
      ],
      footer:
        'Builder plan: a fixed monthly fee. Builder plan requests are not charged to the prepaid balance.',
    };
  }
  return {
    version: INVOICE_LAYOUT_VERSION,
    subject: `Top-up ${invoice.topUpId} for account ${invoice.accountId}`,
    ...invoiceLines(invoice),
    paymentLines: [
      `Method: ${METHOD_NAMES[invoice.method] ?? invoice.method}`,
      `Payment reference: ${invoice.paymentReference}`,
      `Top-up: ${invoice.topUpId}`,
      `Invoice ID: ${invoice.invoiceId}`,
    ],
    footer:
      'Prepaid usage credits. Bonus credits are granted at no charge and are used before top-up credits.',
  };
}

/**
 * Renders an invoice with pdfkit, deterministically: the same content gives the same bytes. The
 * PDF's CreationDate and ModDate are the issue date, its file ID is derived by pdfkit from that
 * info dictionary (no randomness), the version is pinned, and only the standard Helvetica fonts
 * are used (nothing embedded, so no font subset tags). A top-up's invoice prints exactly what it
 * printed before Builder invoices existed.
 */
export function renderInvoicePdf(invoice: PrintableInvoice): Promise<Buffer> {
  const layout = layoutOf(invoice);
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
      Subject: layout.subject,
      Creator: 'llm-billing payments',
      Producer: `llm-billing payments (${layout.version})`,
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
  for (const { label, amount } of layout.items) {
    doc.text(label, left, y, { width: 330 });
    doc.text(amount, 400, y, { width: right - 400, align: 'right' });
    y += 18;
  }
  doc.moveTo(left, y).lineTo(right, y).stroke();
  y += 8;
  doc.font('Helvetica-Bold');
  doc.text(layout.charged.label, left, y);
  doc.text(layout.charged.amount, 400, y, { width: right - 400, align: 'right' });
  y += 18;
  doc.font('Helvetica');
  if (layout.credited !== null) {
    doc.text(layout.credited.label, left, y);
    doc.text(layout.credited.amount, 400, y, { width: right - 400, align: 'right' });
  }

  y += 40;
  doc.font('Helvetica-Bold').text('Payment', left, y);
  doc.font('Helvetica');
  layout.paymentLines.forEach((line, i) =>
    doc.text(line, left, y + 15 + i * 13, { width: right - left }),
  );

  doc
    .fontSize(8)
    .fillColor('#555555')
    .text(layout.footer, left, 760, { width: right - left, align: 'center' });

  doc.end();
  return done;
}
