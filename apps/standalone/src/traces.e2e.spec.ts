import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  otlpEnv,
  startOtlpCollector,
  tracedCompletion,
  waitForTraceChain,
  type OtlpCollector,
} from '../../../tests/e2e/trace-chain.js';
import { waitForKey } from '../../../tests/e2e/platform.js';
import { StandaloneProcess } from './testing/standalone-process.js';

// One chat completion is one trace in the standalone mode too: the five services in one process,
// the in-process bus in place of Kafka carrying the same outbox headers. `npm start` as a user
// runs it, exporting over OTLP/HTTP (JSON) to a collector this test runs; the same chain as the
// distributed test (tests/e2e/traces.e2e.spec.ts), every link the child of the one before it.

describe('one chat completion is one trace (standalone, in-process bus)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'standalone-traces-'));
  let collector: OtlpCollector;
  let running: StandaloneProcess | undefined;

  afterAll(async () => {
    await running?.stop();
    await collector.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('links every hop from the gateway request to the keys usage', async () => {
    collector = await startOtlpCollector();
    const started = await StandaloneProcess.start({ dataDir, env: otlpEnv(collector) });
    running = started.process;
    const { baseUrl, apiKey } = started.banner;
    await waitForKey(baseUrl, apiKey);
    const trace = await tracedCompletion(baseUrl, apiKey);
    const chain = await waitForTraceChain(collector, trace);
    // One process: every span is the standalone app's; the server spans say which service.
    expect(chain.gatewayRequest.resource).toBe('standalone');
    expect(chain.gatewayRequest.attributes['billing.service']).toBe('gateway');
    expect(chain.ledgerHold.attributes['billing.service']).toBe('ledger');
    expect(running.logTail(400)).toContain(`"traceId":"${trace.traceId}"`);
  }, 240_000);
});
