import type pg from 'pg';
import { silentLogger } from '../internal/util.js';
import { decodeTestEvent, testEventId, testMessage } from '../testing/fixtures.js';
import { InProcessTransport, NoSubscriberError } from './in-process-transport.js';

describe('InProcessTransport without a database', () => {
  it('refuses to publish to a topic nobody subscribes to, so the outbox keeps the row', async () => {
    const transport = new InProcessTransport({ logger: silentLogger });
    await expect(transport.publish([testMessage('orphan.v1', 'acct_1', 1)])).rejects.toBeInstanceOf(
      NoSubscriberError,
    );
  });

  it('refuses a second subscription under the same consumer name', async () => {
    const transport = new InProcessTransport({ logger: silentLogger });
    const options = {
      consumerName: 'ledger',
      topics: ['t'],
      pool: {} as pg.Pool,
      schema: 'ledger',
      decode: decodeTestEvent,
      messageId: testEventId,
      handler: () => Promise.resolve(),
    };
    const first = await transport.subscribe(options);
    await expect(transport.subscribe(options)).rejects.toThrow(/already subscribed/);
    await first.stop();
    await transport.close();
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    const transport = new InProcessTransport({ logger: silentLogger });
    await expect(
      transport.subscribe({
        consumerName: 'x',
        topics: ['t'],
        pool: {} as pg.Pool,
        schema: 'x; drop table y',
        decode: decodeTestEvent,
        messageId: testEventId,
        handler: () => Promise.resolve(),
      }),
    ).rejects.toThrow(/invalid schema name/);
  });
});
