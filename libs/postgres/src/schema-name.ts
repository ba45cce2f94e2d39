/**
 * A schema name as the services, the event store and messaging accept it: a plain lower-case
 * identifier of at most 63 bytes. Schema names are interpolated into SQL unquoted, so nothing that
 * would need quoting is accepted; 63 is PostgreSQL's identifier limit (NAMEDATALEN - 1), beyond
 * which the server silently truncates a name, so two long names could become the same schema.
 * The characters allowed are ASCII, one byte each, so the length in characters is the length in
 * bytes.
 */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Returns `schema` if it is a valid schema name; throws a RangeError that names it otherwise. */
export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new RangeError(`invalid schema name ${JSON.stringify(schema)}`);
  return schema;
}
