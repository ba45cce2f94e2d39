/**
 * A bounded, persistent memory of the most recent ids (request ids, closed hold ids), so that
 * `decide` recognises a redelivered input without the account state growing with every request
 * the account ever made.
 *
 * Why chunks: the ledger state is immutable (`evolve` returns a new state), and copying a Set of a
 * few hundred ids on every usage event would dominate the cost of a hot account. Ids live in small
 * chunks; adding an id copies only the newest chunk and the short array of chunk references, and
 * the oldest chunk is dropped whole when the window is full. Lookups scan a handful of chunks.
 */
export interface RecentWindow<V> {
  /** Oldest chunk first. Every chunk but the last is full. */
  readonly chunks: readonly ReadonlyMap<string, V>[];
  readonly maxChunks: number;
}

/** Ids per chunk: small enough that the copy on add is cheap, large enough that lookups are few. */
export const RECENT_WINDOW_CHUNK_SIZE = 32;

/**
 * A window that remembers at least the last `capacity` ids (and at most one chunk more).
 */
export function emptyRecentWindow<V>(capacity: number): RecentWindow<V> {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }
  return { chunks: [], maxChunks: Math.ceil(capacity / RECENT_WINDOW_CHUNK_SIZE) + 1 };
}

export function recentGet<V>(window: RecentWindow<V>, id: string): V | undefined {
  for (let i = window.chunks.length - 1; i >= 0; i -= 1) {
    const chunk = window.chunks[i];
    if (chunk?.has(id) === true) return chunk.get(id);
  }
  return undefined;
}

export function recentHas<V>(window: RecentWindow<V>, id: string): boolean {
  return window.chunks.some((chunk) => chunk.has(id));
}

/** A new window that also remembers id (the input window is not changed). */
export function recentAdd<V>(window: RecentWindow<V>, id: string, value: V): RecentWindow<V> {
  const last = window.chunks.at(-1);
  let chunks: ReadonlyMap<string, V>[];
  if (last !== undefined && last.size < RECENT_WINDOW_CHUNK_SIZE) {
    chunks = [...window.chunks.slice(0, -1), new Map(last).set(id, value)];
  } else {
    chunks = [...window.chunks, new Map([[id, value]])];
  }
  if (chunks.length > window.maxChunks) chunks = chunks.slice(chunks.length - window.maxChunks);
  return { chunks, maxChunks: window.maxChunks };
}

export function recentSize<V>(window: RecentWindow<V>): number {
  return window.chunks.reduce((sum, chunk) => sum + chunk.size, 0);
}
