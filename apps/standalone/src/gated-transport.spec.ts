import type { InProcessTransport, OutboxMessage, SubscriptionOptions } from '@billing/messaging';
import { GatedTransport, MissingConsumerError, TransportClosingError } from './gated-transport.js';

/** The in-process transport's ports, recording what it is asked to publish. */
function fakeBus(): { bus: InProcessTransport; published: string[] } {
  const published: string[] = [];
  const bus = {
    publish: (messages: readonly OutboxMessage[]) => {
      published.push(...messages.map((m) => m.id));
      return Promise.resolve();
    },
    subscribe: (options: SubscriptionOptions<unknown>) =>
      Promise.resolve({
        consumerName: options.consumerName,
        ready: () => Promise.resolve(),
        stop: () => Promise.resolve(),
      }),
    close: () => Promise.resolve(),
  };
  return { bus: bus as unknown as InProcessTransport, published };
}

const subscription = (consumerName: string, topic: string) =>
  ({ consumerName, topics: [topic] }) as unknown as SubscriptionOptions<unknown>;
const message = (id: string, topic: string): OutboxMessage => ({
  id,
  topic,
  key: 'acct',
  value: '{}',
});

describe('GatedTransport', () => {
  it('holds publishing until it is opened, then delivers', async () => {
    const { bus, published } = fakeBus();
    const transport = new GatedTransport(bus);
    await transport.subscribe(subscription('ledger-usage', 'usage.recorded.v1'));
    const publishing = transport.publish([message('m1', 'usage.recorded.v1')]);
    await new Promise((r) => setTimeout(r, 10));
    expect(published).toEqual([]);
    transport.open();
    await publishing;
    expect(published).toEqual(['m1']);
  });

  it('refuses a topic while one of the consumers it had when opened is not subscribed', async () => {
    const { bus, published } = fakeBus();
    const transport = new GatedTransport(bus);
    const keys = await transport.subscribe(
      subscription('keys.usage-recorded', 'usage.recorded.v1'),
    );
    await transport.subscribe(subscription('ledger-usage', 'usage.recorded.v1'));
    transport.open();
    await keys.stop();
    await expect(transport.publish([message('m1', 'usage.recorded.v1')])).rejects.toBeInstanceOf(
      MissingConsumerError,
    );
    expect(published).toEqual([]);
  });

  it('refuses new publishes once draining, after the ones in flight', async () => {
    const { bus, published } = fakeBus();
    const transport = new GatedTransport(bus);
    await transport.subscribe(subscription('gateway.keys', 'keys.v1'));
    transport.open();
    const inFlight = transport.publish([message('m1', 'keys.v1')]);
    await transport.drain();
    await inFlight;
    await expect(transport.publish([message('m2', 'keys.v1')])).rejects.toBeInstanceOf(
      TransportClosingError,
    );
    expect(published).toEqual(['m1']);
  });

  it('lets a publish that waited for the opening fail at once when the process stops instead', async () => {
    const { bus } = fakeBus();
    const transport = new GatedTransport(bus);
    const waiting = transport.publish([message('m1', 'keys.v1')]);
    await transport.drain();
    await expect(waiting).rejects.toBeInstanceOf(TransportClosingError);
  });
});
