import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, type BenchPart, type BenchRow } from './table.js';
import { tracingCpuPerRequest } from './tracing-cost.js';

/**
 * The gateway's overhead: the same chat completion load (autocannon, HTTP/1.1 keep-alive, one
 * request in flight per connection) sent through the gateway to its built-in `sim/` provider, and
 * straight to the bare simulated upstream server, which does the same work (the same deterministic
 * echo, the same tokenizer). The difference is what the gateway adds: key check, prompt token
 * count, the hold on the ledger (an HTTP round trip), the usage record through its outbox
 * (PostgreSQL) and relay (Kafka), and for streams the per-chunk relay (parse, strip, re-encode).
 *
 * Each server runs in its own process; autocannon runs in this one. The ledger is an in-memory
 * stand-in for its holds API (its own process): the real ledger appends an event per hold, which
 * is the ledger's cost, measured by its own bench. Durations per run: GATEWAY_BENCH_SECONDS (5).
 *
 * Tracing's price: a second gateway process with tracing on (spans to an in-memory exporter)
 * under the same load, its rows against the untraced gateway's as the baseline.
 */

const SECONDS = Number(process.env.GATEWAY_BENCH_SECONDS ?? '5');
const CONNECTIONS = [1, 64, 256];
/** Rounds of the traced pair (off, on, on, off) a row; GATEWAY_BENCH_TRACED_ROUNDS (3). */
const TRACED_ROUNDS = Number(process.env.GATEWAY_BENCH_TRACED_ROUNDS ?? '3');
const PROMPT =
  'Summarise the following in one sentence: the quick brown fox jumps over the lazy dog while ' +
  'the five boxing wizards jump quickly and a wizard’s job is to vex chumps quickly in fog. ' +
  'Pack my box with five dozen liquor jugs, then sphinx of black quartz, judge my vow.';

export interface Server {
  readonly child: ChildProcess;
  readonly info: Record<string, string>;
}

export async function startServer(role: string, ...args: string[]): Promise<Server> {
  const script = fileURLToPath(new URL('./gateway-bench-server.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', script, role, ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<Record<string, string>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server ${role} exited with ${code}`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{"ready"')) return;
      resolve((JSON.parse(line) as { ready: Record<string, string> }).ready);
    });
  });
  return { child, info };
}

export async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.stdin?.end(); // the server cleans up (schema, topics) and exits
  await exited;
}

interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly model: string;
}

interface Measure {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
  /** Requests answered in the run (autocannon's count, not derived from the mean rate). */
  readonly requests: number;
}

async function load(
  target: Target,
  stream: boolean,
  connections: number,
  seconds: number,
): Promise<Measure> {
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 30,
    headers: { 'content-type': 'application/json', ...target.headers },
    body: JSON.stringify({
      model: target.model,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: 64,
      stream,
    }),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
  };
}

/**
 * The CPU time a process has used, in seconds (user + system, from /proc: the kernel's count,
 * which a saturated server's throughput swings do not blur).
 */
function cpuSeconds(child: ChildProcess): number {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return ticks / CLOCK_TICKS;
}

/** USER_HZ: the unit of /proc/PID/stat's times, 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** A load on one server, with the CPU seconds that server spent during it. */
async function loadWithCpu(
  server: Server,
  target: Target,
  stream: boolean,
  connections: number,
  seconds: number,
): Promise<Measure & { readonly cpuSeconds: number }> {
  const before = cpuSeconds(server.child);
  const m = await load(target, stream, connections, seconds);
  return { ...m, cpuSeconds: cpuSeconds(server.child) - before };
}

/** CPU µs a request over two runs of the same server. */
function cpuMicrosPerRequest(a: { cpuSeconds: number; requests: number }, b: typeof a): number {
  return ((a.cpuSeconds + b.cpuSeconds) / (a.requests + b.requests)) * 1e6;
}

/** The mean of two measures of the same target (p50 and p99 too: an approximation). */
function mean(a: Measure, b: Measure): Measure {
  return {
    rps: (a.rps + b.rps) / 2,
    p50: (a.p50 + b.p50) / 2,
    p99: (a.p99 + b.p99) / 2,
    failures: a.failures + b.failures,
    requests: a.requests + b.requests,
  };
}

/** `value` against `baseline` as a signed percentage. */
function pct(value: number, baseline: number): string {
  if (baseline === 0) return 'n/a';
  const d = ((value - baseline) / baseline) * 100;
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)}%`;
}

export async function runGatewayBench(): Promise<BenchRow[]> {
  const upstream = await startServer('upstream');
  const ledger = await startServer('ledger');
  const gateway = await startServer('gateway', ledger.info.url ?? '');
  const traced = await startServer('gateway', ledger.info.url ?? '', 'traced');
  const direct: Target = {
    url: `${upstream.info.baseUrl}/chat/completions`,
    headers: {},
    model: 'echo',
  };
  const through: Target = {
    url: `${gateway.info.url}/api/v1/chat/completions`,
    headers: { authorization: `Bearer ${gateway.info.key}` },
    model: 'sim/echo-1',
  };
  const throughTraced: Target = {
    ...through,
    url: `${traced.info.url}/api/v1/chat/completions`,
    headers: { authorization: `Bearer ${traced.info.key}` },
  };
  const rows: BenchRow[] = [];
  try {
    // Warm both paths (JIT, connection pools, the tokenizer's caches).
    for (const stream of [false, true]) {
      await load(direct, stream, 16, 1);
      await load(through, stream, 16, 1);
      await load(throughTraced, stream, 16, 1);
    }
    for (const stream of [false, true]) {
      for (const connections of CONNECTIONS) {
        const base = await load(direct, stream, connections, SECONDS);
        const gw = await load(through, stream, connections, SECONDS);
        // Off, on, on, off (half the duration each), TRACED_ROUNDS times: each side runs right
        // after the other, whose outbox relay is still draining, so neither pays for that alone,
        // and each figure is the median of the rounds, as adjacent runs drift by more than 5 %.
        const half = Math.max(1, Math.round(SECONDS / 2));
        const rounds: { off: Measure; on: Measure; cpuOffUs: number; cpuOnUs: number }[] = [];
        for (let round = 0; round < TRACED_ROUNDS; round++) {
          const off1 = await loadWithCpu(gateway, through, stream, connections, half);
          const on1 = await loadWithCpu(traced, throughTraced, stream, connections, half);
          const on2 = await loadWithCpu(traced, throughTraced, stream, connections, half);
          const off2 = await loadWithCpu(gateway, through, stream, connections, half);
          rounds.push({
            off: mean(off1, off2),
            on: mean(on1, on2),
            cpuOffUs: cpuMicrosPerRequest(off1, off2),
            cpuOnUs: cpuMicrosPerRequest(on1, on2),
          });
        }
        const of = (pick: (r: (typeof rounds)[number]) => number): number =>
          median(rounds.map(pick));
        const gwOff = { rps: of((r) => r.off.rps), p50: of((r) => r.off.p50) };
        const gwTraced = { rps: of((r) => r.on.rps), p50: of((r) => r.on.p50) };
        const tracedFailures = rounds.reduce((n, r) => n + r.on.failures + r.off.failures, 0);
        const cpuOffUs = of((r) => r.cpuOffUs);
        const cpuOnUs = of((r) => r.cpuOnUs);
        const cpuRounds = rounds
          .map((r) => `${Math.round(r.cpuOnUs)}/${Math.round(r.cpuOffUs)}`)
          .join(', ');
        const label = `${stream ? 'streaming' : 'non-streaming'}, ${connections} conn`;
        const note = (m: Measure, extra = ''): string =>
          `autocannon ${SECONDS} s${m.failures > 0 ? `, ${m.failures} failed` : ''}${extra}`;
        rows.push(
          {
            name: `gateway req/s (${label})`,
            value: gw.rps,
            unit: 'req/s',
            baseline: base.rps,
            note: note(gw, '; baseline: bare simulated upstream'),
          },
          {
            name: `gateway p50 (${label})`,
            value: gw.p50,
            unit: 'ms',
            baseline: base.p50,
            note: `added ${(gw.p50 - base.p50).toFixed(2)} ms`,
          },
          {
            name: `gateway p99 (${label})`,
            value: gw.p99,
            unit: 'ms',
            baseline: base.p99,
            note: `added ${(gw.p99 - base.p99).toFixed(2)} ms; ledger: in-memory holds stand-in`,
          },
          // The pair that prices tracing: the same gateway with spans on (in-memory exporter)
          // against it with tracing off, whose row is the baseline.
          {
            name: `gateway traced req/s (${label})`,
            value: gwTraced.rps,
            unit: 'req/s',
            baseline: gwOff.rps,
            note: `median of ${TRACED_ROUNDS} rounds of off-on-on-off, ${half} s each; ${pct(gwTraced.rps, gwOff.rps)}${tracedFailures > 0 ? `, ${tracedFailures} failed` : ''}`,
          },
          {
            name: `gateway traced p50 (${label})`,
            value: gwTraced.p50,
            unit: 'ms',
            baseline: gwOff.p50,
            note: `baseline: tracing off; ${pct(gwTraced.p50, gwOff.p50)}`,
          },
          // What tracing costs the server, whatever its throughput did in those seconds: the CPU
          // the gateway process used (/proc) divided by the requests it answered.
          {
            name: `gateway traced CPU a request (${label})`,
            value: cpuOnUs,
            unit: 'µs',
            baseline: cpuOffUs,
            note: `baseline: tracing off; ${pct(cpuOnUs, cpuOffUs)}; the gateway process's user + system time (/proc) over the requests answered, median of ${TRACED_ROUNDS} rounds (on/off: ${cpuRounds})`,
          },
        );
      }
    }
    const cpu = await tracingCpuPerRequest();
    rows.push({
      name: 'tracing CPU a gateway request (in process)',
      value: cpu.on,
      unit: 'µs',
      baseline: cpu.off,
      note: `server, hold client, upstream and UsageObserved spans, in-memory export; +${(cpu.on - cpu.off).toFixed(1)} µs`,
    });
  } finally {
    await Promise.all([stopServer(gateway), stopServer(traced)]);
    await Promise.all([stopServer(ledger), stopServer(upstream)]);
  }
  return rows;
}

export const part: BenchPart = {
  title: 'gateway (autocannon: through the gateway to sim/ versus straight to a bare upstream)',
  run: runGatewayBench,
};
