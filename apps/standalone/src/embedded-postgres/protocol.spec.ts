import {
  BackendOutputSplitter,
  connectionScopedName,
  listenCommands,
  notificationChannel,
  opensExtendedExchange,
  renameObjects,
  simpleQuery,
  sqlOf,
} from './protocol.js';

/** A frontend message: type byte, length, then the body. */
function message(type: string, ...fields: (string | Buffer)[]): Buffer {
  const body = Buffer.concat(
    fields.map((f) => (typeof f === 'string' ? Buffer.from(`${f}\0`) : f)),
  );
  const out = Buffer.alloc(5 + body.length);
  out.write(type, 0, 'latin1');
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

function notification(channel: string, payload: string): Buffer {
  return message('A', Buffer.from([0, 0, 0, 1]), channel, payload);
}

describe('the wire protocol pieces of the embedded server', () => {
  it('reads the SQL of a Query and of a Parse message', () => {
    expect(sqlOf(simpleQuery('LISTEN "a.b"'))).toBe('LISTEN "a.b"');
    expect(sqlOf(message('P', 'stmt', 'SELECT $1', Buffer.from([0, 0])))).toBe('SELECT $1');
    expect(sqlOf(message('S'))).toBeUndefined();
  });

  it('finds LISTEN and UNLISTEN statements as Postgres names the channels', () => {
    expect(listenCommands('LISTEN "ledger.outbox"')).toEqual([
      { kind: 'listen', channel: 'ledger.outbox' },
    ]);
    expect(listenCommands('listen Keys_Changed')).toEqual([
      { kind: 'listen', channel: 'keys_changed' },
    ]);
    expect(listenCommands(`UNLISTEN "a""b"; SELECT pg_advisory_unlock(hashtext('x'))`)).toEqual([
      { kind: 'unlisten', channel: 'a"b' },
    ]);
    expect(listenCommands('UNLISTEN *')).toEqual([{ kind: 'unlisten-all' }]);
    expect(listenCommands(`SELECT 'LISTEN x'`)).toEqual([]);
    expect(listenCommands(`SELECT pg_notify('LISTEN', 'x')`)).toEqual([]);
  });

  it('keeps the session for the extended-protocol messages up to their Sync', () => {
    expect([...'PBDECH'].every((t) => opensExtendedExchange(t.charCodeAt(0)))).toBe(true);
    expect([...'SQX'].some((t) => opensExtendedExchange(t.charCodeAt(0)))).toBe(false);
  });

  it('gives each connection its own prepared statement and portal names, and leaves unnamed ones', () => {
    const rename = (kind: 'S' | 'P', name: string): string => `${kind}:${name}`;
    const bind = message('B', 'portal', 'stmt', Buffer.from([0, 0, 0, 0, 0, 0]));
    const renamed = renameObjects(bind, rename);
    expect(Buffer.from(renamed).readInt32BE(1)).toBe(renamed.length - 1);
    expect(Buffer.from(renamed).subarray(5).toString('latin1')).toBe(
      'P:portal\0S:stmt\0\0\0\0\0\0\0',
    );
    const unnamed = message('B', '', '', Buffer.from([0, 0, 0, 0, 0, 0]));
    expect(renameObjects(unnamed, rename)).toBe(unnamed);
    const parse = renameObjects(
      message('P', 'ledger.es_write', 'SELECT 1', Buffer.from([0, 0])),
      rename,
    );
    expect(sqlOf(parse)).toBe('SELECT 1');
    const describe = renameObjects(message('D', Buffer.from('S'), 'stmt'), rename);
    expect(Buffer.from(describe).subarray(5).toString('latin1')).toBe('SS:stmt\0');
    const execute = renameObjects(message('E', 'portal', Buffer.from([0, 0, 0, 0])), rename);
    expect(Buffer.from(execute).subarray(5).toString('latin1')).toBe('P:portal\0\0\0\0\0');
    const query = simpleQuery('SELECT 1');
    expect(renameObjects(query, rename)).toBe(query);
  });

  it('keeps scoped names within the 63 bytes Postgres compares', () => {
    expect(connectionScopedName(7, 'ledger.es_write')).toBe('c7:ledger.es_write');
    const long = connectionScopedName(7, 'x'.repeat(80));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long).not.toBe(connectionScopedName(7, `${'x'.repeat(79)}y`));
  });

  it('takes notifications out of the output, wherever the chunks cut it, and passes the rest in order', () => {
    const ready = message('Z', Buffer.from('I'));
    const complete = message('C', 'INSERT 0 1');
    const a = notification('gateway.api_keys', 'key_1');
    const output = Buffer.concat([complete, a, ready]);
    for (let cut = 1; cut < output.length; cut++) {
      const passed: Buffer[] = [];
      const notes: Buffer[] = [];
      const splitter = new BackendOutputSplitter(
        (b) => passed.push(Buffer.from(b)),
        (n) => notes.push(Buffer.from(n)),
      );
      splitter.push(output.subarray(0, cut));
      splitter.push(output.subarray(cut));
      splitter.end();
      expect(Buffer.concat(passed)).toEqual(Buffer.concat([complete, ready]));
      expect(notes).toEqual([a]);
    }
    expect(notificationChannel(a)).toBe('gateway.api_keys');
    expect(notificationChannel(ready)).toBeUndefined();
  });
});
