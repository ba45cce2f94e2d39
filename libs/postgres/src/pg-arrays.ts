/**
 * PostgreSQL array literals built by hand: the event store's `unnest` parameters, and the arrays
 * inlined (through `escapeLiteral`) into the simple queries that carry BEGIN or a SAVEPOINT. pg
 * would build them too, but it runs two regular-expression replacements over every element;
 * most of ours (UUIDs, hex hashes, ISO timestamps, typical stream ids) need no escaping at all,
 * and a batch has thousands of them.
 */
const NEEDS_QUOTING = /["\\]/;

export function textArray(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as string;
    if (i > 0) out += ',';
    // Every element is quoted, so commas, braces, spaces and the word NULL need no care.
    out += NEEDS_QUOTING.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`;
  }
  return out + '}';
}

export function intArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}
