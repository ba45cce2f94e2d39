import { resolveSchema, resolveTopics } from './options.js';

describe('resolveTopics', () => {
  const defaults = { keys: 'keys.v1', usageRecorded: 'usage.recorded.v1' };

  it("answers the contract's names when the caller gives none", () => {
    expect(resolveTopics(defaults, undefined)).toEqual(defaults);
    expect(resolveTopics(defaults, {})).toEqual(defaults);
  });

  it('takes the names a test gives, and the defaults for the rest', () => {
    expect(resolveTopics(defaults, { keys: 't.keys' })).toEqual({
      keys: 't.keys',
      usageRecorded: 'usage.recorded.v1',
    });
  });

  it('keeps a default where the given name is undefined, and adds no unknown topic', () => {
    const given = { keys: undefined, other: 'x' } as unknown as Partial<typeof defaults>;
    expect(resolveTopics(defaults, given)).toEqual(defaults);
  });
});

describe('resolveSchema', () => {
  it('refuses a schema name that could not be interpolated into SQL', () => {
    expect(() => resolveSchema('bad name; drop', 'keys')).toThrow(RangeError);
    expect(resolveSchema(undefined, 'keys')).toBe('keys');
  });
});
