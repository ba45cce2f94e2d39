import { describe, expect, it } from '@jest/globals';
import { decodeKeysetCursor, encodeKeysetCursor } from './cursor.js';

const anyText = { at: (): boolean => true, id: (): boolean => true };

describe('the keyset cursor of paged list routes', () => {
  it('decodes what it encoded', () => {
    const cursor = encodeKeysetCursor('2026-12-06T06:00:00.000Z', 'evt_1');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeKeysetCursor(cursor, anyText)).toEqual({
      at: '2026-12-06T06:00:00.000Z',
      id: 'evt_1',
    });
  });

  it.each([
    ['not base64url JSON', '%%%'],
    ['JSON that is not a pair', Buffer.from('["a"]').toString('base64url')],
    ['a pair of a number and a string', Buffer.from('[1,"x"]').toString('base64url')],
    ['a pair with three items', Buffer.from('["a","b","c"]').toString('base64url')],
  ])('answers undefined for %s', (_, text) => {
    expect(decodeKeysetCursor(text, anyText)).toBeUndefined();
  });

  it("answers undefined when the route's own rule refuses the time or the id", () => {
    const cursor = encodeKeysetCursor('yesterday', 'evt_1');
    expect(
      decodeKeysetCursor(cursor, { at: (at) => !Number.isNaN(Date.parse(at)), id: () => true }),
    ).toBeUndefined();
    expect(decodeKeysetCursor(cursor, { at: () => true, id: (id) => id === '' })).toBeUndefined();
  });
});
