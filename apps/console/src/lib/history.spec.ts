import {
  chargeLines,
  count,
  filterProblem,
  formatLatency,
  NO_FILTER,
  requestsQuery,
  transactionsQuery,
} from './history.js';
import { endpointUrl } from '../app/api.js';

describe('transactionsQuery', () => {
  // The query as api.ts's endpointUrl sends it.
  const url = (query: ReturnType<typeof transactionsQuery>): string =>
    endpointUrl('transactions', { accountId: 'acct_1' }, query).replace(
      '/v1/accounts/acct_1/transactions',
      '',
    );

  it('asks for one page of everything when nothing is filtered', () => {
    expect(url(transactionsQuery(NO_FILTER, 20, undefined))).toBe('?limit=20');
  });

  it('sends the type and the days to the server, with the cursor of the filtered history', () => {
    expect(
      url(transactionsQuery({ type: 'gift', from: '2026-11-01', to: '2026-11-30' }, 20, 'abc_-1')),
    ).toBe('?limit=20&type=gift&from=2026-11-01&to=2026-11-30&cursor=abc_-1');
    expect(url(transactionsQuery({ type: '', from: '', to: '2026-11-30' }, 5, undefined))).toBe(
      '?limit=5&to=2026-11-30',
    );
  });

  it('encodes what it sends', () => {
    expect(url(transactionsQuery({ ...NO_FILTER, type: 'a&b=c' }, 1, 'x/y'))).toBe(
      '?limit=1&type=a%26b%3Dc&cursor=x%2Fy',
    );
  });
});

describe('filterProblem', () => {
  it('refuses a range that ends before it starts, and takes a one-day or open range', () => {
    expect(filterProblem({ type: '', from: '2026-11-02', to: '2026-11-01' })).toBe(
      'The first day must not be after the last day.',
    );
    expect(filterProblem({ type: '', from: '2026-11-02', to: '2026-11-02' })).toBeUndefined();
    expect(filterProblem({ type: '', from: '2026-11-02', to: '' })).toBeUndefined();
    expect(filterProblem(NO_FILTER)).toBeUndefined();
  });
});

describe('requestsQuery', () => {
  it('asks for one key’s requests, encoded, with the cursor when there is one', () => {
    const url = (query: ReturnType<typeof requestsQuery>): string =>
      endpointUrl('requests', { accountId: 'acct_1' }, query);
    expect(url(requestsQuery('key_1', 20, undefined))).toBe(
      '/v1/accounts/acct_1/requests?apiKeyId=key_1&limit=20',
    );
    expect(url(requestsQuery('k y', 20, 'c1'))).toBe(
      '/v1/accounts/acct_1/requests?apiKeyId=k+y&limit=20&cursor=c1',
    );
  });
});

describe('chargeLines', () => {
  const prices = { input: '1', output: '2', cachedInput: '0.1', cacheWrite: '1.25' };

  it('splits the cached and cache-write tokens out of the input, each at its own price', () => {
    expect(
      chargeLines(
        { input: 1_000, cachedInput: 10, cacheWrite: 90, output: 600, reasoning: 0 },
        prices,
      ),
    ).toEqual([
      { kind: 'Input, not cached', tokens: 900, perMillion: '1' },
      { kind: 'Cached input', tokens: 10, perMillion: '0.1' },
      { kind: 'Cache write', tokens: 90, perMillion: '1.25' },
      { kind: 'Output', tokens: 600, perMillion: '2' },
    ]);
  });

  it('shows reasoning as part of the output, never as a second charge', () => {
    expect(
      chargeLines(
        { input: 12, cachedInput: 0, cacheWrite: 0, output: 1_500, reasoning: 1_200 },
        prices,
      ),
    ).toEqual([
      { kind: 'Input', tokens: 12, perMillion: '1' },
      { kind: 'Output (1,200 reasoning)', tokens: 1_500, perMillion: '2' },
    ]);
  });

  it('says nothing of prices a charge recorded before it carried them', () => {
    expect(
      chargeLines({ input: 3, cachedInput: 0, cacheWrite: 0, output: 4, reasoning: 0 }, null),
    ).toEqual([
      { kind: 'Input', tokens: 3, perMillion: null },
      { kind: 'Output', tokens: 4, perMillion: null },
    ]);
  });
});

describe('count and formatLatency', () => {
  it('groups thousands', () => {
    expect(count(0)).toBe('0');
    expect(count(999)).toBe('999');
    expect(count(1_234_567)).toBe('1,234,567');
  });

  it('writes milliseconds below a second and seconds to the hundredth above', () => {
    expect(formatLatency(0)).toBe('0 ms');
    expect(formatLatency(999)).toBe('999 ms');
    expect(formatLatency(1_000)).toBe('1.00 s');
    expect(formatLatency(1_254)).toBe('1.25 s');
    expect(formatLatency(1_255)).toBe('1.26 s');
    expect(formatLatency(61_999)).toBe('62.00 s');
  });
});
