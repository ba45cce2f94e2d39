import { parseUsd } from '@billing/money';
import { pdfTextLines } from '../testing/pdf-text.js';
import {
  builderInvoiceDescription,
  builderInvoiceLines,
  displayUsd,
  invoiceLines,
  renderInvoicePdf,
  type BuilderInvoiceContent,
  type InvoiceContent,
} from './invoice-pdf.js';

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

describe('a Builder subscription invoice', () => {
  const fee: BuilderInvoiceContent = {
    kind: 'builder_subscription',
    invoiceId: 'inv_b1',
    number: 'INV-000043',
    issuedAtMs: Date.UTC(2027, 0, 1, 1, 2, 3),
    issuer: invoice.issuer,
    accountId: 'acct_1',
    customerName: 'Ada Lovelace',
    customerEmail: null,
    subscriptionId: 'sub_1',
    providerInvoiceId: 'in_1',
    amountNanos: parseUsd('19.99'),
    currency: 'usd',
    periodStartMs: Date.UTC(2027, 0, 1),
    periodEndMs: Date.UTC(2027, 1, 1),
  };

  it('says what it is for by its period, in UTC dates', () => {
    expect(builderInvoiceDescription(fee.periodStartMs, fee.periodEndMs)).toBe(
      'Builder plan, period 2027-01-01 to 2027-02-01',
    );
    // The last instant of a UTC day is still that day.
    expect(
      builderInvoiceDescription(Date.UTC(2027, 0, 15, 23, 59), Date.UTC(2027, 1, 15, 0, 0)),
    ).toBe('Builder plan, period 2027-01-15 to 2027-02-15');
  });

  it('prints the fee for its period and the total charged: no bonus line, no credits added', () => {
    expect(builderInvoiceLines(fee)).toEqual({
      items: [{ label: 'Builder plan, period 2027-01-01 to 2027-02-01', amount: '19.99' }],
      charged: { label: 'Total charged', amount: 'USD 19.99' },
    });
  });

  it('renders it with the shared renderer, the same bytes every time, and the payment lines of a subscription', async () => {
    const pdf = await renderInvoicePdf(fee);
    expect((await renderInvoicePdf(fee)).equals(pdf)).toBe(true);
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.7');
    expect(pdf.toString('latin1')).toContain('(D:20270101010203Z)');
    expect(pdf.toString('latin1')).toContain('builder-invoice-layout-1');
    const text = pdfTextLines(pdf);
    expect(text).toEqual(
      expect.arrayContaining([
        'Invoice number: INV-000043',
        'Ada Lovelace',
        'Account: acct_1',
        'Builder plan, period 2027-01-01 to 2027-02-01',
        '19.99',
        'Total charged',
        'USD 19.99',
        'Subscription: sub_1',
        'Service period: 2027-01-01 00:00 UTC to 2027-02-01 00:00 UTC',
        'Payment reference: in_1',
        'Invoice ID: inv_b1',
      ]),
    );
    const all = text.join('\n');
    expect(all).not.toMatch(/bonus/i);
    expect(all).not.toContain('Credits added');
    expect(all).not.toContain('Method:');
  });

  it('leaves a top-up invoice as it was: its bonus, its credits line, its layout version', async () => {
    const text = pdfTextLines(await renderInvoicePdf(invoice));
    expect(text).toEqual(
      expect.arrayContaining([
        'Bonus credits received (no charge)',
        'Credits added to the account',
        'Method: Card',
        'Top-up: tu_1',
      ]),
    );
    expect((await renderInvoicePdf(invoice)).toString('latin1')).toContain(
      'payments \\(invoice-layout-2',
    );
  });
});
