/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as `Array.prototype.sort` and RFC 8785
 * do), no whitespace, numbers and strings as `JSON.stringify` writes them.
 *
 * Hashes in the event store are computed over this text, so it must be reproducible years later
 * from what PostgreSQL hands back out of a `jsonb` column. That is why only plain JSON values are
 * accepted: a `bigint` has no JSON form (money travels as a decimal string), a `Date` or a class
 * instance would silently become something else on the way through `jsonb`, and NaN or Infinity
 * would become `null`. Rejecting them at append time is cheaper than a hash chain that cannot be
 * verified.
 */
export class CanonicalJsonError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`not canonical JSON at ${path}: ${reason}`);
    this.name = 'CanonicalJsonError';
  }
}

export function canonicalJson(value: unknown): string {
  return write(value);
}

function write(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new CanonicalJsonError('$', `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? writeArray(value) : writeObject(value);
    case 'bigint':
      throw new CanonicalJsonError('$', 'bigint is not JSON; write money as a decimal string');
    case 'undefined':
    case 'function':
    case 'symbol':
      throw new CanonicalJsonError('$', `${typeof value} is not JSON`);
  }
}

function writeArray(array: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < array.length; i++) {
    // A hole or an undefined element would be written as null by JSON.stringify and read back
    // as null, so the caller's value and the stored value would differ: refuse it.
    if (i > 0) out += ',';
    try {
      out += write(array[i]);
    } catch (err) {
      throw prefixPath(err, `[${i}]`);
    }
  }
  return out + ']';
}

function writeObject(object: object): string {
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    const name = (object.constructor as { name?: string } | undefined)?.name ?? 'unknown';
    throw new CanonicalJsonError('$', `${name} is not a plain object`);
  }
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    // Undefined members are dropped, exactly as JSON.stringify (and so jsonb) drops them.
    if (member === undefined) continue;
    if (!first) out += ',';
    first = false;
    try {
      out += quoteKey(key) + ':' + write(member);
    } catch (err) {
      throw prefixPath(err, `.${key}`);
    }
  }
  return out + '}';
}

// Canonicalising runs for every appended event, and calling JSON.stringify once per key and per
// string value was most of its cost: strings that need no escape are quoted by hand, and the
// quoted form of the keys (a small vocabulary, the same on every event) is remembered.

/** What JSON.stringify escapes in a string: quote, backslash, controls, (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const quote = (text: string): string =>
  NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;

const KEY_CACHE_LIMIT = 10_000;
const quotedKeys = new Map<string, string>();

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = quote(key);
    // Bounded, so that payloads keyed by ids cannot grow it without end.
    if (quotedKeys.size < KEY_CACHE_LIMIT) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** Builds the error path while the stack unwinds, so the happy path pays nothing for it. */
function prefixPath(err: unknown, segment: string): unknown {
  return err instanceof CanonicalJsonError
    ? new CanonicalJsonError(`$${segment}${err.path.slice(1)}`, err.reason)
    : err;
}
