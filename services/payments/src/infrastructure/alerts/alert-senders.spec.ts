import { alertMail, usdText } from './alert-senders.js';

describe('alert e-mail text', () => {
  it('writes whole cents with two decimals and other amounts with every digit, never rounded', () => {
    expect(
      ['10', '9.5', '0.05', '9.876543211', '0.000000001', '-3', '-0.125'].map(usdText),
    ).toEqual(['$10.00', '$9.50', '$0.05', '$9.876543211', '$0.000000001', '-$3.00', '-$0.125']);
  });

  it('names the account, both amounts and the alert', () => {
    const mail = alertMail({
      id: 'alert_e1',
      accountId: 'acct_1',
      threshold: '25',
      available: '-1.5',
      occurredAt: '2026-12-07T02:00:00.000Z',
    });
    expect(mail.subject).toBe('Low balance: -$1.50 available (your alert threshold is $25.00)');
    expect(mail.text.split('\n')[0]).toBe(
      'The available balance of account acct_1 fell to -$1.50, below your alert threshold of $25.00.',
    );
    expect(mail.text).toContain('Alert alert_e1, 2026-12-07T02:00:00.000Z');
  });
});
