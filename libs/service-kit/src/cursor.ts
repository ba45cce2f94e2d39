/**
 * The opaque cursor of a keyset-paged list route: the sort key of the last row served (a time and
 * an id), as base64url JSON, so the next page starts strictly after it whatever was added
 * meanwhile. Each route states what a valid time and id are: `decodeKeysetCursor` answers the
 * pair only when both pass, and `undefined` for anything this platform did not hand out.
 */
export function encodeKeysetCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), 'utf8').toString('base64url');
}

export function decodeKeysetCursor(
  text: string,
  valid: { readonly at: (at: string) => boolean; readonly id: (id: string) => boolean },
): { readonly at: string; readonly id: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined; // not base64url JSON: not one of ours
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [at, id] = value as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string') return undefined;
  return valid.at(at) && valid.id(id) ? { at, id } : undefined;
}
