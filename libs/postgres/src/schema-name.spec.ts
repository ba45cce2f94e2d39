import { assertSchemaName, SCHEMA_NAME } from './schema-name.js';

describe('assertSchemaName', () => {
  it.each(['ledger', 'ledger_1', '_x', 'a'.repeat(63)])('accepts %j', (name) => {
    expect(assertSchemaName(name)).toBe(name);
    expect(SCHEMA_NAME.test(name)).toBe(true);
  });

  it.each(['Ledger', 'a-b', 'a;drop table x', '', '1abc', 'a.b', '"a"', 'a'.repeat(64)])(
    'refuses %j, whose name it gives',
    (name) => {
      expect(() => assertSchemaName(name)).toThrow(
        new RangeError(`invalid schema name ${JSON.stringify(name)}`),
      );
    },
  );
});
