import { WrongExpectedVersionError } from '@billing/event-store';
import { ApiError } from '@billing/service-kit';
import { rethrowContended, WRITE_CONTENDED } from './ledger-errors.js';

describe('rethrowContended', () => {
  it.each([
    ['a stale stream version after every retry', new WrongExpectedVersionError('account-a', 3, 4)],
    ['a deadlock after the queue retries', Object.assign(new Error('deadlock'), { code: '40P01' })],
    ['a serialization failure', Object.assign(new Error('serialize'), { code: '40001' })],
  ])('answers %s with 503 LEDGER.WRITE_CONTENDED, never 500', (_, err) => {
    let thrown: unknown;
    try {
      rethrowContended(err);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ status: 503, code: WRITE_CONTENDED });
  });

  it('rethrows anything else unchanged (a broken invariant stays a 500)', () => {
    const bug = new Error('ledger writer: a command got no outcome');
    expect(() => rethrowContended(bug)).toThrow(bug);
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(() => rethrowContended(unique)).toThrow(unique);
  });
});
