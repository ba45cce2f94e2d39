import { startServer, stopServer } from './gateway.bench.js';
import type { BenchPart, BenchRow } from './table.js';

/**
 * Admission under hostile bodies (issue #10): a 4 MiB prompt of one unbroken word, the shape that
 * once made the tokenizer's quadratic merge hold the event loop for seconds. Measured on the
 * gateway's own process (production module, real PostgreSQL and Kafka, in-memory ledger holds
 * stand-in), from this process:
 *
 * - one such request alone, admitted (an account with money: hold, sim answer, usage) and refused
 *   (an account with $0: 402), time to the whole answer;
 * - `/health` latency sampled back to back while ten such requests arrive at once, against the
 *   same sampling with the gateway idle (the baseline, measured in the same run).
 *
 * The body is read, parsed and its prompt bounded off the event loop (a worker thread), so
 * `/health` must stay well under 50 ms at p99 however slow the ten requests are.
 * Rounds: GATEWAY_ADMISSION_BENCH_ROUNDS (5).
 */

const ROUNDS = Number(process.env.GATEWAY_ADMISSION_BENCH_ROUNDS ?? '5');
const WORD_BODY = Buffer.from(
  JSON.stringify({
    model: 'sim/echo-1',
    messages: [{ role: 'user', content: 'a'.repeat(4 * 1024 * 1024 - 200) }],
    max_tokens: 16,
  }),
);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

async function chat(url: string, key: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: WORD_BODY,
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

/** `/health` latencies, one request at a time, until `until` settles (at least `minSamples`). */
async function sampleHealth(
  url: string,
  until: Promise<unknown>,
  minSamples = 50,
): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const samples: number[] = [];
  while (!done || samples.length < minSamples) {
    const started = performance.now();
    const res = await fetch(`${url}/health`);
    await res.arrayBuffer();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

interface Delay {
  readonly max: number;
  readonly p99: number;
}

/** The gateway's event-loop delay since the last call (its own process measures it). */
async function gatewayDelay(url: string): Promise<Delay> {
  return (await (await fetch(url)).json()) as Delay;
}

export async function runGatewayAdmissionBench(): Promise<BenchRow[]> {
  const ledger = await startServer('ledger');
  const gateway = await startServer('gateway', ledger.info.url ?? '');
  const url = gateway.info.url ?? '';
  const rich = gateway.info.key ?? '';
  const poor = gateway.info.poorKey ?? '';
  const delayUrl = gateway.info.delayUrl ?? '';
  const rows: BenchRow[] = [];
  try {
    // Warm up: JIT, the worker threads, connection pools.
    for (let i = 0; i < 2; i++) await Promise.all([chat(url, rich), chat(url, poor)]);
    await sampleHealth(url, Promise.resolve(), 100);

    const admitted: number[] = [];
    const refused: number[] = [];
    const statuses = new Set<number>();
    for (let i = 0; i < ROUNDS; i++) {
      const a = await chat(url, rich);
      const r = await chat(url, poor);
      admitted.push(a.ms);
      refused.push(r.ms);
      statuses.add(a.status).add(r.status);
    }
    admitted.sort((x, y) => x - y);
    refused.sort((x, y) => x - y);

    const idle: number[] = [];
    const loaded: number[] = [];
    let idleDelay: Delay = { max: 0, p99: 0 };
    let loadedDelay: Delay = { max: 0, p99: 0 };
    const worst = (a: Delay, b: Delay): Delay => ({
      max: Math.max(a.max, b.max),
      p99: Math.max(a.p99, b.p99),
    });
    let burstMs = 0;
    let burstStatuses: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Baseline: the same sampling for about as long as a burst takes, the gateway idle.
      const idleFor = new Promise((r) => setTimeout(r, Math.max(burstMs / ROUNDS, 500)));
      await gatewayDelay(delayUrl);
      idle.push(...(await sampleHealth(url, idleFor)));
      idleDelay = worst(idleDelay, await gatewayDelay(delayUrl));
      const started = performance.now();
      const burst = Promise.all(
        Array.from({ length: 10 }, (_, j) => chat(url, j % 2 === 0 ? rich : poor)),
      );
      loaded.push(...(await sampleHealth(url, burst)));
      burstStatuses = (await burst).map((b) => b.status);
      burstMs += performance.now() - started;
      loadedDelay = worst(loadedDelay, await gatewayDelay(delayUrl));
    }
    idle.sort((x, y) => x - y);
    loaded.sort((x, y) => x - y);
    const answered = `statuses ${[...statuses].sort().join('/')}`;
    rows.push(
      {
        name: '4 MiB one-word prompt, admitted (median)',
        value: percentile(admitted, 50),
        unit: 'ms',
        note: `max ${percentile(admitted, 100).toFixed(1)} ms over ${ROUNDS}; goal < 200 ms; ${answered}`,
      },
      {
        name: '4 MiB one-word prompt, refused 402 (median)',
        value: percentile(refused, 50),
        unit: 'ms',
        note: `max ${percentile(refused, 100).toFixed(1)} ms over ${ROUNDS}; goal < 200 ms`,
      },
      {
        name: '/health p99 while 10 such requests arrive at once',
        value: percentile(loaded, 99),
        unit: 'ms',
        baseline: percentile(idle, 99),
        note:
          `goal < 50 ms; max ${percentile(loaded, 100).toFixed(1)} ms; ${loaded.length} samples; ` +
          `baseline: /health p99 idle (${idle.length} samples)`,
      },
      {
        name: '/health p50 while 10 such requests arrive at once',
        value: percentile(loaded, 50),
        unit: 'ms',
        baseline: percentile(idle, 50),
        note: 'baseline: /health p50 idle',
      },
      {
        name: "gateway's event-loop delay max, while 10 such requests arrive",
        value: loadedDelay.max,
        unit: 'ms',
        baseline: idleDelay.max,
        note:
          `p99 ${loadedDelay.p99.toFixed(1)} ms (idle ${idleDelay.p99.toFixed(1)}); worst of ` +
          `${ROUNDS} rounds, measured in the gateway's process; baseline: the same, idle`,
      },
      {
        name: 'ten 4 MiB one-word prompts at once, all answered',
        value: burstMs / ROUNDS,
        unit: 'ms',
        note: `mean over ${ROUNDS} bursts (5 admitted, 5 refused); last statuses ${burstStatuses.join(',')}`,
      },
    );
  } finally {
    await stopServer(gateway);
    await stopServer(ledger);
  }
  return rows;
}

export const part: BenchPart = {
  title: 'gateway admission (4 MiB one-word prompts; /health latency while ten arrive at once)',
  run: runGatewayAdmissionBench,
};
