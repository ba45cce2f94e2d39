import { parseUsd } from '@billing/money';
import { pdfTextLines } from '../testing/pdf-text.js';
import { displayUsd, invoiceLines, renderInvoicePdf, type InvoiceContent } from './invoice-pdf.js';

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
  discountNanos: 0n,
  promotionCode: null,
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

describe('invoiceLines', () => {
  it('without a promotion code, prints the top-up, the bonus, the total charged and the credits as always', () => {
    expect(invoiceLines(invoice)).toEqual({
      items: [
        { label: 'Account top-up (manual top-up)', amount: '1,234.50' },
        { label: 'Bonus credits received (no charge)', amount: '246.90' },
      ],
      charged: { label: 'Total charged', amount: 'USD 1,234.50' },
      credited: { label: 'Credits added to the account', amount: '1,481.40' },
    });
  });

  it('given a $100 top-up with a 10% code (charged $90), then the top-up line, the discount line and the $90 charged', () => {
    const discounted: InvoiceContent = {
      ...invoice,
      amountNanos: parseUsd('90'),
      discountNanos: parseUsd('10'),
      promotionCode: 'SPRING10',
      bonusNanos: parseUsd('20'),
    };
    expect(invoiceLines(discounted)).toEqual({
      items: [
        { label: 'Account top-up (manual top-up)', amount: '100.00' },
        { label: 'Discount (promotion code SPRING10)', amount: '-10.00' },
        { label: 'Bonus credits received (no charge)', amount: '20.00' },
      ],
      charged: { label: 'Total charged', amount: 'USD 90.00' },
      credited: { label: 'Credits added to the account', amount: '120.00' },
    });
  });

  it('prints those lines in the PDF itself', async () => {
    const pdf = await renderInvoicePdf({
      ...invoice,
      amountNanos: parseUsd('90'),
      discountNanos: parseUsd('10'),
      promotionCode: 'SPRING10',
      bonusNanos: parseUsd('20'),
    });
    const text = pdfTextLines(pdf);
    expect(text).toEqual(
      expect.arrayContaining([
        'Account top-up (manual top-up)',
        '100.00',
        'Discount (promotion code SPRING10)',
        '-10.00',
        'Total charged',
        'USD 90.00',
      ]),
    );
    // Without a code there is no discount line.
    expect(pdfTextLines(await renderInvoicePdf(invoice)).join('\n')).not.toContain('Discount');
  });
});
