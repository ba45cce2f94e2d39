import type pg from 'pg';
import { silentLogger } from '../internal/util.js';
import { decodeTestEvent, testEventId, testMessage } from '../testing/fixtures.js';
import { InProcessTransport, NoSubscriberError } from './in-process-transport.js';

/** A subscription's settings without its handler; the pool is never used without a publish. */
const settings = (consumerName: string, schema = 'ledger') => ({
  consumerName,
  topics: ['t'],
  pool: {} as pg.Pool,
  schema,
  decode: decodeTestEvent,
  messageId: testEventId,
});
const nothing = (): Promise<void> => Promise.resolve();

describe('InProcessTransport without a database', () => {
  it('refuses to publish to a topic nobody subscribes to, so the outbox keeps the row', async () => {
    const transport = new InProcessTransport({ logger: silentLogger });
    await expect(transport.publish([testMessage('orphan.v1', 'acct_1', 1)])).rejects.toBeInstanceOf(
      NoSubscriberError,
    );
  });

  it('refuses a second subscription under the same consumer name', async () => {
    const transport = new InProcessTransport({ logger: silentLogger });
    const options = { ...settings('ledger'), handler: nothing };
    const first = await transport.subscribe(options);
    await expect(transport.subscribe(options)).rejects.toThrow(/already subscribed/);
    await first.stop();
    await transport.close();
  });

  it('takes exactly one of handler and handleChunk, in the types and at run time', async () => {
    const transport = new InProcessTransport({ logger: silentLogger });
    await expect(
      // @ts-expect-error: both handlers at once is not a SubscriptionOptions.
      transport.subscribe({ ...settings('both'), handler: nothing, handleChunk: nothing }),
    ).rejects.toThrow(/exactly one of handler and handleChunk/);
    await expect(
      // @ts-expect-error: neither is not one either.
      transport.subscribe(settings('neither')),
    ).rejects.toThrow(/exactly one of handler and handleChunk/);
    await transport.close();
  });

  it('is ready at once: there is no group to join', async () => {
    const transport = new InProcessTransport({ logger: silentLogger });
    const subscription = await transport.subscribe({
      ...settings('ready'),
      handleChunk: nothing,
    });
    await expect(subscription.ready()).resolves.toBeUndefined();
    await transport.close();
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    const transport = new InProcessTransport({ logger: silentLogger });
    await expect(
      transport.subscribe({ ...settings('x', 'x; drop table y'), handler: nothing }),
    ).rejects.toThrow(/invalid schema name/);
  });
});
