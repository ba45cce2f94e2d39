import {
  createEvent,
  decodeEvent,
  encodeEvent,
  type ContractEvent,
  type DecodeResult,
} from '@billing/contracts';
import { decodeEventWithClassValidator } from '@billing/contracts/baseline';
import { median, type BenchPart, type BenchRow } from './table.js';

/**
 * The cost of decoding one contract message, as every consumer does for every message (a Buffer
 * from Kafka: UTF-8, JSON.parse, envelope, topic, data): `decodeEvent` with the compiled
 * validator against the same decoder validating through class-validator's `validateSync`
 * (`@billing/contracts/baseline`, what `decodeEvent` did before the compiler). `createEvent` runs
 * the same decoder over the event it built (the "check of a built" rows). The floor row is UTF-8
 * and JSON.parse alone, the part of a decode no validator can save.
 *
 * In process, no infrastructure. Each figure is the median of ROUNDS rounds of ITERATIONS
 * decodes, the two validators' rounds interleaved so that both see the same machine load.
 */

const ITERATIONS = Number(process.env.CONTRACTS_BENCH_ITERATIONS ?? '20000');
const ROUNDS = 9;

const usageRecorded = createEvent({
  type: 'UsageRecorded',
  id: '0b8a3c1e-7f4d-4e2a-9c6b-5d1f2e3a4b5c',
  occurredAt: '2026-11-27T03:09:32.123Z',
  accountId: 'acct_42',
  source: 'metering',
  causationId: '5c7f1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f',
  data: {
    requestId: 'req_01JDWQ7Z8K3M4N5P6Q7R8S9T0V',
    apiKeyId: 'key_17',
    model: 'sim/echo-1',
    inputTokens: 1250,
    outputTokens: 350,
    cachedInputTokens: 200,
    cacheWriteTokens: 0,
    reasoningTokens: 50,
    status: 'succeeded',
    estimated: false,
    holdId: 'hold_01JDWQ7Z8K',
    startedAt: '2026-11-27T03:09:30.000Z',
    completedAt: '2026-11-27T03:09:32.000Z',
    cost: '0.000153',
    priceVersion: 'pv_7',
    pricesPerMillionTokens: {
      input: '0.1',
      output: '0.4',
      cachedInput: '0.025',
      cacheWrite: '0.125',
    },
  },
});

const topUpSettled = createEvent({
  type: 'TopUpSettled',
  id: '1c9b4d2f-8a5e-4f3b-8d7c-6e2f3a4b5c6d',
  occurredAt: '2026-11-27T03:10:00.000Z',
  accountId: 'acct_42',
  source: 'payments',
  data: {
    topUpId: 'tu_01JDWQ8A',
    amount: '120',
    method: 'card',
    trigger: 'manual',
    paymentReference: 'pi_3QfK2bL9',
    invoiceId: 'inv_01JDWQ8A',
  },
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

type Decode = (raw: unknown, options: { topic: string }) => DecodeResult;

/** Microseconds per call of `decode`, one round. */
function round(decode: Decode, message: unknown, topic: string): number {
  const options = { topic };
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i += 1) {
    if (!decode(message, options).ok) throw new Error('the bench message did not decode');
  }
  return ((performance.now() - started) * 1000) / ITERATIONS;
}

const parseOnly: Decode = (raw) => ({
  ok: true,
  event: JSON.parse(utf8.decode(raw as Buffer)) as never,
});

/** Compiled against class-validator on `message`, rounds interleaved; and the floor, if given. */
function compare(message: unknown, topic: string, withFloor: boolean): number[][] {
  const figures: number[][] = [[], [], []];
  // Warm-up: both paths optimised by V8, the validator compiled and cached.
  round(decodeEvent, message, topic);
  round(decodeEventWithClassValidator, message, topic);
  for (let r = 0; r < ROUNDS; r += 1) {
    figures[0]?.push(round(decodeEvent, message, topic));
    figures[1]?.push(round(decodeEventWithClassValidator, message, topic));
    if (withFloor) figures[2]?.push(round(parseOnly, message, topic));
  }
  return figures;
}

function measure(name: string, event: ContractEvent, topic: string): BenchRow[] {
  const message = Buffer.from(encodeEvent(event));
  const [compiled = [], classValidator = [], floor = []] = compare(message, topic, true);
  // What createEvent runs: the decoder over the event as built, already parsed.
  const built = JSON.parse(encodeEvent(event)) as unknown;
  const [createCompiled = [], createClassValidator = []] = compare(built, topic, false);
  return [
    {
      name: `decode ${name} (${message.length} B Buffer)`,
      value: median(compiled),
      unit: 'µs/decode',
      baseline: median(classValidator),
      note: 'compiled validator; baseline: class-validator validateSync',
    },
    {
      name: `  floor: UTF-8 + JSON.parse of ${name}`,
      value: median(floor),
      unit: 'µs/decode',
    },
    {
      name: `  check of a built ${name} (createEvent's decode)`,
      value: median(createCompiled),
      unit: 'µs/event',
      baseline: median(createClassValidator),
      note: 'the same, without UTF-8 and JSON.parse',
    },
  ];
}

export const part: BenchPart = {
  title: 'contracts (decodeEvent of one Kafka message: compiled validator vs class-validator)',
  run: () =>
    Promise.resolve([
      ...measure('UsageRecorded', usageRecorded, 'usage.recorded.v1'),
      ...measure('TopUpSettled', topUpSettled, 'payments.v1'),
    ]),
};
