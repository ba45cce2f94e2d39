import { startDistributedPlatform, type DistributedPlatform } from './distributed.js';
import {
  fundedKey,
  otlpEnv,
  startOtlpCollector,
  tracedCompletion,
  waitForTraceChain,
  type OtlpCollector,
} from './trace-chain.js';

// One chat completion is one trace, in production shape: the five services as processes on the
// real Kafka broker, each exporting its spans over OTLP/HTTP (JSON) to a collector this test
// runs. The request carries the test's own traceparent, so the trace id is known in advance, and
// every link must be the child of the one before it: gateway request → hold (gateway → ledger
// over HTTP) → upstream call → UsageObserved (gateway outbox) → metering → UsageRecorded
// (metering outbox) → ledger append → BalanceChanged (ledger outbox) → payments; and
// UsageRecorded → keys usage. The keys service reads usage.recorded.v1, not ledger.v1, so its
// span hangs off UsageRecorded, beside the ledger's.

describe('one chat completion is one trace (distributed, over Kafka)', () => {
  let collector: OtlpCollector;
  let platform: DistributedPlatform | undefined;
  let failed = false;

  beforeAll(async () => {
    collector = await startOtlpCollector();
    platform = await startDistributedPlatform({ env: otlpEnv(collector) });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop({ keepLogs: failed });
    await collector.close();
  }, 60_000);

  it('links every hop from the gateway request to the keys usage, and logs carry its id', async () => {
    try {
      const p = platform!;
      const key = await fundedKey(p, 'distributed');
      const trace = await tracedCompletion(p.urls.gateway, key);
      const chain = await waitForTraceChain(collector, trace);
      // Each span was exported by the process that did the work.
      expect(chain.gatewayRequest.resource).toBe('gateway');
      expect(chain.ledgerHold.resource).toBe('ledger');
      expect(chain.meteringConsumer.resource).toBe('metering');
      expect(chain.ledgerConsumer.resource).toBe('ledger');
      expect(chain.keysConsumer.resource).toBe('keys');
      expect(chain.paymentsConsumer.resource).toBe('payments');
      // The gateway's access line for the request names the trace.
      expect(p.logTail(400)).toContain(`"traceId":"${trace.traceId}"`);
    } catch (err) {
      failed = true;
      throw err;
    }
  }, 180_000);
});
