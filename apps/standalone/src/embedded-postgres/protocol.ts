import { createHash } from 'node:crypto';

/**
 * The few pieces of the PostgreSQL wire protocol (v3) the embedded server needs to read: the type
 * of a frontend message, the SQL text of a Query or Parse message, the LISTEN and UNLISTEN
 * commands in that text, and the backend messages in PGlite's output, so that notifications
 * (NotificationResponse, `A`) can be taken out and given to the connections that listen.
 */

/** Frontend message types by their first byte. A startup message has no type byte (0x00). */
export const FRONTEND = {
  startup: 0x00,
  bind: 0x42, // B
  close: 0x43, // C
  describe: 0x44, // D
  execute: 0x45, // E
  flush: 0x48, // H
  parse: 0x50, // P
  query: 0x51, // Q
  sync: 0x53, // S
  terminate: 0x58, // X
} as const;

const NOTIFICATION_RESPONSE = 0x41; // A

/**
 * Whether the session must stay with the connection that sent this message until it sends a
 * Sync: the messages of one extended-protocol exchange (Parse, Bind, Describe, Execute, Close,
 * Flush) share the session's unnamed statement and portal, which another connection's Parse or
 * Bind would replace.
 */
export function opensExtendedExchange(messageType: number): boolean {
  return (
    messageType === FRONTEND.parse ||
    messageType === FRONTEND.bind ||
    messageType === FRONTEND.describe ||
    messageType === FRONTEND.execute ||
    messageType === FRONTEND.close ||
    messageType === FRONTEND.flush
  );
}

function cString(message: Uint8Array, offset: number): { text: string; end: number } | undefined {
  const end = message.indexOf(0, offset);
  if (end < 0) return undefined;
  return {
    text: Buffer.from(message.buffer, message.byteOffset + offset, end - offset).toString('utf8'),
    end,
  };
}

/** The SQL of a Query (`Q`) or Parse (`P`) message; undefined for any other message. */
export function sqlOf(message: Uint8Array): string | undefined {
  if (message.length < 6) return undefined;
  if (message[0] === FRONTEND.query) return cString(message, 5)?.text;
  if (message[0] === FRONTEND.parse) {
    const name = cString(message, 5);
    return name === undefined ? undefined : cString(message, name.end + 1)?.text;
  }
  return undefined;
}

export type ListenCommand =
  | { readonly kind: 'listen'; readonly channel: string }
  | { readonly kind: 'unlisten'; readonly channel: string }
  | { readonly kind: 'unlisten-all' };

const LISTEN_COMMAND =
  /(?:^|;)\s*(UNLISTEN|LISTEN)\s+(?:(\*)|"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))/gi;

/**
 * The LISTEN and UNLISTEN statements of a query text, in order. Channel names follow Postgres:
 * a quoted identifier is taken as written, an unquoted one is folded to lower case.
 */
export function listenCommands(sql: string): ListenCommand[] {
  if (!/LISTEN/i.test(sql)) return [];
  const commands: ListenCommand[] = [];
  for (const m of sql.matchAll(LISTEN_COMMAND)) {
    const unlisten = (m[1] ?? '').toUpperCase() === 'UNLISTEN';
    if (m[2] === '*') {
      if (unlisten) commands.push({ kind: 'unlisten-all' });
      continue;
    }
    const channel = m[3] !== undefined ? m[3].replaceAll('""', '"') : (m[4] ?? '').toLowerCase();
    commands.push({ kind: unlisten ? 'unlisten' : 'listen', channel });
  }
  return commands;
}

/** The channel of a NotificationResponse message (type, length, process id, channel, payload). */
export function notificationChannel(message: Uint8Array): string | undefined {
  if (message[0] !== NOTIFICATION_RESPONSE || message.length < 10) return undefined;
  return cString(message, 9)?.text;
}

/** A simple-protocol Query message. */
export function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = FRONTEND.query;
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/** A Close message for a prepared statement (closing one that does not exist is no error). */
export function closeStatement(name: string): Uint8Array {
  const text = Buffer.from(`${name}\0`, 'utf8');
  const message = Buffer.alloc(6 + text.length);
  message[0] = FRONTEND.close;
  message.writeInt32BE(5 + text.length, 1);
  message[5] = 0x53; // S
  text.copy(message, 6);
  return message;
}

/** A Sync message: ends an extended-protocol exchange (and an error state in it). */
export function syncMessage(): Uint8Array {
  return Uint8Array.of(FRONTEND.sync, 0, 0, 0, 4);
}

/** Postgres keys prepared statements by at most NAMEDATALEN - 1 bytes of their name. */
const MAX_NAME_BYTES = 63;

/**
 * Renames the prepared statements and portals a frontend message names (Parse, Bind, Describe,
 * Close, Execute), leaving the unnamed ones (empty names) alone. Other messages come back as they
 * are. `rename` receives the kind (`S` statement, `P` portal) and the name.
 */
export function renameObjects(
  message: Uint8Array,
  rename: (kind: 'S' | 'P', name: string) => string,
): Uint8Array {
  const type = message[0];
  // Each entry: the kind of a name field; the fields follow the 5-byte header in this order.
  let fields: ('S' | 'P')[];
  let offset = 5; // after the type byte and the length
  if (type === FRONTEND.parse) fields = ['S'];
  else if (type === FRONTEND.bind) fields = ['P', 'S'];
  else if (type === FRONTEND.execute) fields = ['P'];
  else if (type === FRONTEND.describe || type === FRONTEND.close) {
    const which = message[5];
    if (which !== 0x53 && which !== 0x50) return message;
    fields = [which === 0x53 ? 'S' : 'P'];
    offset = 6;
  } else {
    return message;
  }
  const parts: Buffer[] = [];
  let changed = false;
  for (const kind of fields) {
    const name = cString(message, offset);
    if (name === undefined) return message;
    const renamed = name.text === '' ? '' : rename(kind, name.text);
    changed ||= renamed !== name.text;
    parts.push(Buffer.from(`${renamed}\0`, 'utf8'));
    offset = name.end + 1;
  }
  if (!changed) return message;
  const headLength = type === FRONTEND.describe || type === FRONTEND.close ? 6 : 5;
  const head = Buffer.from(message.buffer, message.byteOffset, headLength);
  const rest = Buffer.from(message.buffer, message.byteOffset + offset, message.length - offset);
  const out = Buffer.concat([head, ...parts, rest]);
  out.writeInt32BE(out.length - 1, 1);
  return out;
}

/**
 * A per-connection name for a prepared statement or portal: PGlite's one session holds every
 * connection's named statements, so two `pg` clients preparing `ledger.es_write` would collide.
 * Names that would exceed Postgres' 63 bytes are shortened with a hash.
 */
export function connectionScopedName(connectionId: number, name: string): string {
  const scoped = `c${connectionId}:${name}`;
  if (Buffer.byteLength(scoped, 'utf8') <= MAX_NAME_BYTES) return scoped;
  return `c${connectionId}:${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

/** Quotes a channel name as an SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Splits PGlite's output for one frontend message into the bytes for the connection that sent
 * it and the notifications in it. Output arrives in chunks that may cut a message anywhere; a
 * cut message waits for the rest. Everything else is passed on as soon as it is complete, in
 * order, so a large result streams rather than piling up.
 */
export class BackendOutputSplitter {
  private carry: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onBytes: (bytes: Uint8Array) => void,
    private readonly onNotification: (message: Uint8Array) => void,
  ) {}

  push(chunk: Uint8Array): void {
    const buf =
      this.carry.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
        : Buffer.concat([this.carry, chunk]);
    let offset = 0;
    let runStart = 0;
    while (offset + 5 <= buf.length) {
      const end = offset + 1 + buf.readInt32BE(offset + 1);
      if (end > buf.length) break;
      if (buf[offset] === NOTIFICATION_RESPONSE) {
        if (offset > runStart) this.onBytes(buf.subarray(runStart, offset));
        this.onNotification(Uint8Array.prototype.slice.call(buf, offset, end));
        runStart = end;
      }
      offset = end;
    }
    if (offset > runStart) this.onBytes(buf.subarray(runStart, offset));
    // Copied: PGlite may reuse the memory behind `chunk`.
    this.carry = Buffer.from(buf.subarray(offset));
  }

  /** Passes on whatever is left (nothing, when PGlite ended its output on a message boundary). */
  end(): void {
    if (this.carry.length > 0) this.onBytes(this.carry);
    this.carry = Buffer.alloc(0);
  }
}
