import { parseUsd } from '@billing/money';
import { displayUsd, renderInvoicePdf, type InvoiceContent } from './invoice-pdf.js';

const invoice: InvoiceContent = {
  invoiceId: 'inv_1',
  number: 'INV-000042',
  issuedAtMs: Date.UTC(2026, 10, 27, 3, 9, 32),
  issuer: {
    name: 'Example Ltd',
    addressLines: ['1 Main St', 'Springfield'],
    email: 'billing@example.com',
    taxId: 'EU123',
  },
  accountId: 'acct_1',
  customerName: 'Ada Lovelace',
  customerEmail: 'ada@example.com',
  topUpId: 'tu_1',
  trigger: 'manual',
  amountNanos: parseUsd('1234.5'),
  bonusNanos: parseUsd('246.9'),
  method: 'card',
  paymentReference: 'pi_1',
};

describe('renderInvoicePdf', () => {
  it('gives the same bytes for the same invoice, whenever it is rendered', async () => {
    const first = await renderInvoicePdf(invoice);
    await new Promise((r) => setTimeout(r, 1_100));
    const second = await renderInvoicePdf(invoice);
    expect(first.subarray(0, 8).toString('latin1')).toBe('%PDF-1.7');
    expect(second.equals(first)).toBe(true);
    // The issue date, not the time of rendering, is in the document info.
    expect(first.toString('latin1')).toContain('(D:20261127030932Z)');
  });

  it('differs when the content differs', async () => {
    const a = await renderInvoicePdf(invoice);
    const b = await renderInvoicePdf({ ...invoice, number: 'INV-000043' });
    expect(a.equals(b)).toBe(false);
  });
});

describe('displayUsd', () => {
  it('groups thousands, shows cents, and keeps an exact sub-cent bonus exact', () => {
    expect(displayUsd(parseUsd('1234567.5'))).toBe('1,234,567.50');
    expect(displayUsd(parseUsd('20'))).toBe('20.00');
    expect(displayUsd(parseUsd('6.666'))).toBe('6.666');
    expect(displayUsd(0n)).toBe('0.00');
  });
});
