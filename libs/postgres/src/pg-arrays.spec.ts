import fc from 'fast-check';
import pg from 'pg';
import { intArray, textArray } from './pg-arrays.js';

describe('PostgreSQL array literals', () => {
  it('round-trips any text through the text[] parser of pg, which follows the server rules', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' })), (values) => {
        const parseTextArray = pg.types.getTypeParser as (oid: number) => (text: string) => unknown;
        const parsed = parseTextArray(1009)(textArray(values));
        expect(parsed).toEqual(values);
      }),
    );
  });

  it('quotes the words and characters an array literal would otherwise interpret', () => {
    expect(textArray(['NULL', 'a,b', '{x}', ' padded ', 'q"uote', 'back\\slash', ''])).toBe(
      '{"NULL","a,b","{x}"," padded ","q\\"uote","back\\\\slash",""}',
    );
  });

  it('writes integers as they are', () => {
    expect(intArray([1, 22, 333])).toBe('{1,22,333}');
    expect(intArray([])).toBe('{}');
  });
});
