import type {
  InProcessTransport,
  OutboxMessage,
  Subscription,
  SubscriptionOptions,
} from '@billing/messaging';
import type { Transport } from '@billing/service-kit';

/** Publishing was refused because the process is stopping; the rows stay in the outbox. */
export class TransportClosingError extends Error {
  constructor() {
    super('the standalone process is stopping; the outbox keeps the message for the next start');
    this.name = 'TransportClosingError';
  }
}

/** A consumer that should receive a topic is not subscribed (yet, or any more). */
export class MissingConsumerError extends Error {
  constructor(
    readonly topic: string,
    readonly consumers: readonly string[],
  ) {
    super(
      `topic ${topic} has no subscription for ${consumers.join(', ')}; the outbox keeps the message`,
    );
    this.name = 'MissingConsumerError';
  }
}

/**
 * The one in-process transport every service module is given, with the guard the in-process
 * transport itself cannot have: it delivers a message to the subscriptions that exist when the
 * relay publishes, and the relay then moves its checkpoint. On Kafka a consumer that is not
 * running catches up later from its own offset; in process, a consumer that subscribes late (at
 * start) or has already stopped (at shutdown) would never see the message. `usage.recorded.v1`
 * has two consumers (ledger and keys), so a message delivered while only one of them was
 * subscribed would be charged but never counted on its key.
 *
 * So publishing waits until {@link open} (every module has started and its consumers have
 * subscribed), is refused with {@link MissingConsumerError} while an expected consumer of the
 * topic is missing, and is refused with {@link TransportClosingError} once {@link close} has
 * begun. A refused publish leaves the rows in the outbox; the relay retries them, or the next
 * start publishes them.
 */
export class GatedTransport implements Transport {
  private opened = false;
  private closing = false;
  private readonly openWaiters: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Consumer names subscribed now, by topic. */
  private readonly subscribed = new Map<string, Set<string>>();
  /** Topic → the consumer names that must all be subscribed when it is published. */
  private expected = new Map<string, readonly string[]>();
  /** When the last subscription was made (the platform waits for them to settle). */
  lastSubscribedAt = 0;

  constructor(private readonly inner: InProcessTransport) {}

  /** The consumers subscribed now, by topic. */
  subscriptions(): Map<string, string[]> {
    return new Map([...this.subscribed].map(([topic, names]) => [topic, [...names].sort()]));
  }

  /**
   * Lets publishing through. The consumers subscribed now are the expected ones from here on: a
   * topic is published only while every one of its consumers is subscribed.
   */
  open(): void {
    this.expected = new Map([...this.subscribed].map(([topic, names]) => [topic, [...names]]));
    this.opened = true;
    for (const wake of this.openWaiters.splice(0)) wake();
  }

  /**
   * Refuses new publishes and waits for the ones in flight to be applied by their consumers.
   * Call it before stopping any module, so that no consumer stops with messages on their way to
   * it while another consumer of the same topic has already applied them.
   */
  async drain(): Promise<void> {
    this.closing = true;
    for (const wake of this.openWaiters.splice(0)) wake();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  publish(messages: readonly OutboxMessage[]): Promise<void> {
    const run = this.publishWhenOpen(messages);
    this.inFlight.add(run);
    const forget = (): void => {
      this.inFlight.delete(run);
    };
    run.then(forget, forget);
    return run;
  }

  private async publishWhenOpen(messages: readonly OutboxMessage[]): Promise<void> {
    if (!this.opened && !this.closing) {
      await new Promise<void>((resolve) => this.openWaiters.push(resolve));
    }
    if (this.closing) throw new TransportClosingError();
    for (const topic of new Set(messages.map((m) => m.topic))) {
      const absent = (this.expected.get(topic) ?? []).filter(
        (n) => !this.subscribed.get(topic)?.has(n),
      );
      if (absent.length > 0) throw new MissingConsumerError(topic, absent);
    }
    await this.inner.publish(messages);
  }

  async subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription> {
    const subscription = await this.inner.subscribe(options);
    this.lastSubscribedAt = Date.now();
    for (const topic of options.topics) {
      let names = this.subscribed.get(topic);
      if (names === undefined) this.subscribed.set(topic, (names = new Set()));
      names.add(options.consumerName);
    }
    const stop = subscription.stop.bind(subscription);
    return {
      ...subscription,
      stop: async () => {
        for (const topic of options.topics)
          this.subscribed.get(topic)?.delete(options.consumerName);
        await stop();
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.inner.close();
  }
}
