/**
 * Decodes Stripe's request bodies: `application/x-www-form-urlencoded` with bracketed keys, as the
 * `stripe` library writes them (`line_items[0][price_data][unit_amount]=10000`,
 * `expand[0]=latest_charge`, `expand[]=x`). Objects whose keys are all indexes become arrays.
 * Keys that could pollute prototypes are refused, as is anything malformed: the stand-in answers
 * those with the 400 Stripe would give.
 */
export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

export class FormDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormDecodeError';
  }
}

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

function keySegments(key: string): string[] {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match?.[1]) throw new FormDecodeError(`Invalid parameter name: ${key}`);
  const segments = [match[1]];
  const rest = match[2] ?? '';
  for (const m of rest.matchAll(/\[([^[\]]*)\]/g)) segments.push(m[1] ?? '');
  for (const s of segments) {
    if (FORBIDDEN.has(s)) throw new FormDecodeError(`Invalid parameter name: ${key}`);
  }
  return segments;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw new FormDecodeError('Invalid URL encoding in the request body');
  }
}

type Tree = Map<string, Tree | string>;

export function decodeForm(body: string): FormObject {
  const root: Tree = new Map();
  if (body.length === 0) return {};
  for (const pair of body.split('&')) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    const segments = keySegments(decodeComponent(rawKey));
    let node = root;
    segments.forEach((segment, i) => {
      const last = i === segments.length - 1;
      // `expand[]=a&expand[]=b`: an empty index appends.
      const name = segment === '' ? String(node.size) : segment;
      if (last) {
        if (node.has(name))
          throw new FormDecodeError(`Parameter ${segments.join('.')} given twice`);
        node.set(name, value);
        return;
      }
      const child = node.get(name);
      if (typeof child === 'string') {
        throw new FormDecodeError(`Parameter ${segments.slice(0, i + 1).join('.')} is not a hash`);
      }
      if (child === undefined) {
        const fresh: Tree = new Map();
        node.set(name, fresh);
        node = fresh;
      } else {
        node = child;
      }
    });
  }
  return toPlain(root) as FormObject;
}

function toPlain(tree: Tree): FormObject | FormValue[] {
  const keys = [...tree.keys()];
  const indexes = keys.every((k) => /^(0|[1-9]\d{0,3})$/.test(k))
    ? keys.map(Number).sort((a, b) => a - b)
    : undefined;
  if (indexes !== undefined && keys.length > 0) {
    if (indexes.some((n, i) => n !== i))
      throw new FormDecodeError('Array indexes must start at 0 and have no gaps');
    return indexes.map(String).map((k) => {
      const v = tree.get(k) as Tree | string;
      return typeof v === 'string' ? v : toPlain(v);
    });
  }
  const out: FormObject = Object.create(null) as FormObject;
  for (const [k, v] of tree) out[k] = typeof v === 'string' ? v : toPlain(v);
  return out;
}
