import { toCsv, transactionsCsv } from './csv.js';

describe('toCsv', () => {
  it('quotes commas, quotes and line breaks, and ends lines with CRLF', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          ['line\nbreak', 'plain'],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",plain\r\n');
  });

  it('stops a field from running as a spreadsheet formula, but keeps negative amounts numbers', () => {
    expect(toCsv(['v'], [['=HYPERLINK("x")'], ['@SUM(A1)'], ['+1 555'], ['-2.5'], ['-x']])).toBe(
      'v\r\n"\'=HYPERLINK(""x"")"\r\n\'@SUM(A1)\r\n\'+1 555\r\n-2.5\r\n\'-x\r\n',
    );
  });
});

describe('transactionsCsv', () => {
  it('writes the rows on screen with their exact decimal amounts', () => {
    const csv = transactionsCsv([
      {
        id: 'lot_1',
        occurredAt: '2026-12-07T02:00:00.000Z',
        amount: '100',
        type: 'top_up',
        method: 'card',
        description: 'Top-up via card',
        invoiceId: 'inv_1',
      },
      {
        id: 'usage:2026-12-07:key_1',
        occurredAt: '2026-12-07T02:01:00.000Z',
        amount: '-0.000153',
        type: 'usage',
        description: 'API usage on 2026-12-07, key key_1',
        apiKeyId: 'key_1',
        requestCount: 3,
      },
    ]);
    expect(csv.split('\r\n')).toEqual([
      'date,type,method,amount_usd,description,invoice_id,api_key_id,requests',
      '2026-12-07T02:00:00.000Z,top_up,card,100,Top-up via card,inv_1,,',
      '2026-12-07T02:01:00.000Z,usage,,-0.000153,"API usage on 2026-12-07, key key_1",,key_1,3',
      '',
    ]);
  });
});
