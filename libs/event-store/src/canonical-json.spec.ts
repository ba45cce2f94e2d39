import fc from 'fast-check';
import { CanonicalJsonError, canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('orders keys by UTF-16 code units, as RFC 8785 does', () => {
    // 'Z' (0x5a) < 'a' (0x61) < 'é' (0xe9) < '😀' (0xd83d...) < 'ｚ' (0xff5a)
    expect(canonicalJson({ ｚ: 5, '😀': 4, é: 3, a: 2, Z: 1 })).toBe(
      '{"Z":1,"a":2,"é":3,"😀":4,"ｚ":5}',
    );
  });

  it('writes strings and numbers exactly as JSON.stringify does', () => {
    const value = {
      s: 'quote " backslash \\ tab \t nul \u0000 line \u2028',
      n: [0, -0, 1.5, 1e21, 5e-7],
    };
    expect(canonicalJson(value)).toBe(JSON.stringify({ n: value.n, s: value.s }));
  });

  it('quotes any string, and any key, exactly as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (text, key) => {
        expect(canonicalJson(text)).toBe(JSON.stringify(text));
        expect(canonicalJson({ [key]: text })).toBe(JSON.stringify({ [key]: text }));
      }),
    );
  });

  it('drops undefined members, as JSON.stringify and the database do', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it('gives the same text whatever order the keys were inserted in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
      }),
    );
  });

  it('survives a JSON round trip unchanged (what verification relies on)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it.each([
    ['a bigint (money is a decimal string)', { amount: 10n }, '$.amount'],
    ['NaN', { x: [1, NaN] }, '$.x[1]'],
    ['Infinity', Infinity, '$'],
    ['a Date (pass an ISO string)', { at: new Date(0) }, '$.at'],
    ['a class instance', { m: new Map() }, '$.m'],
    ['undefined in an array', [1, undefined], '$[1]'],
    ['a function', { f: () => 1 }, '$.f'],
    ['undefined at the top', undefined, '$'],
  ])('rejects %s and says where', (_what, value, path) => {
    expect(() => canonicalJson(value)).toThrow(
      expect.objectContaining({ name: 'CanonicalJsonError', path }) as CanonicalJsonError,
    );
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 2;
    bare.a = 1;
    expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
  });
});
