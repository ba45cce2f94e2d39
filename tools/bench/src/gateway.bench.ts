import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, medianInterval, type BenchPart, type BenchRow } from './table.js';
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
 * Tracing's price: two gateway processes under the same load side by side, one of them with
 * tracing on (spans to an in-memory exporter), the two taking turns run by run; the traced
 * side's rows against the untraced side's as the baseline.
 */

const SECONDS = Number(process.env.GATEWAY_BENCH_SECONDS ?? '5');
const CONNECTIONS = [1, 64, 256];
/** Side-by-side runs of the traced pair a row; GATEWAY_BENCH_TRACED_ROUNDS (10: five left a 95 % interval of ±12 %). */
const TRACED_ROUNDS = Number(process.env.GATEWAY_BENCH_TRACED_ROUNDS ?? '10');
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

export interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly model: string;
}

export interface Measure {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
  /** Requests answered in the run (autocannon's count, not derived from the mean rate). */
  readonly requests: number;
  /** Requests answered 2xx. */
  readonly ok: number;
  /** How long the run took (autocannon's measure, to the hundredth of a second). */
  readonly seconds: number;
}

/**
 * `connections` at once for `seconds`, or, when `length` is a count of requests, until that many
 * have been answered: every request sent is then answered within the run, none is cut off at
 * its end (what a test of the books needs).
 */
export async function load(
  target: Target,
  stream: boolean,
  connections: number,
  length: number | { readonly requests: number },
  rate?: number,
): Promise<Measure> {
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    connections,
    ...(rate !== undefined && { overallRate: rate }),
    ...(typeof length === 'number' ? { duration: length } : { amount: length.requests }),
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
    ok: result['2xx'],
    seconds: result.duration,
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

/** Resolves once the gateway's outbox relay has published every usage event of the load. */
async function outboxDrained(server: Server): Promise<void> {
  const url = `${server.info.delayUrl ?? ''}outbox`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { pending } = (await (await fetch(url)).json()) as { pending: number };
    if (pending === 0) return;
    if (Date.now() > deadline)
      throw new Error(`the gateway's outbox still holds ${pending} events`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A load on one gateway, with the CPU seconds that process spent on it: during the load and
 * until its outbox relay has published the load's last usage event. Each request's whole price
 * (the relay's share included) is paid inside its own run, so a run never pays for the backlog
 * of the one before, which under load ran to tens of thousands of events and blurred the pairs.
 */
async function loadWithCpu(
  server: Server,
  target: Target,
  stream: boolean,
  connections: number,
  seconds: number,
  rate: number,
): Promise<Measure & { readonly cpuSeconds: number }> {
  await outboxDrained(server);
  const before = cpuSeconds(server.child);
  const m = await load(target, stream, connections, seconds, rate);
  await outboxDrained(server);
  return { ...m, cpuSeconds: cpuSeconds(server.child) - before };
}

/** Switches tracing on or off in a gateway bench process, between runs (its side port). */
async function switchTracing(server: Server, on: boolean): Promise<void> {
  const res = await fetch(`${server.info.delayUrl ?? ''}tracing/${on ? 'on' : 'off'}`);
  if (!res.ok) throw new Error(`switching tracing ${on ? 'on' : 'off'}: ${await res.text()}`);
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
  // Two identical gateway processes, untraced until a run switches tracing on in one of them.
  const gateway = await startServer('gateway', ledger.info.url ?? '');
  const twin = await startServer('gateway', ledger.info.url ?? '');
  // GATEWAY_BENCH_A_A=1: tracing stays off in both, an A/A run that shows how far two identical
  // gateways side by side differ on this machine (the noise under the pairs).
  const aa = process.env.GATEWAY_BENCH_A_A === '1';
  const direct: Target = {
    url: `${upstream.info.baseUrl}/chat/completions`,
    headers: {},
    model: 'echo',
  };
  const targetOf = (server: Server): Target => ({
    url: `${server.info.url}/api/v1/chat/completions`,
    headers: { authorization: `Bearer ${server.info.key ?? ''}` },
    model: 'sim/echo-1',
  });
  const through = targetOf(gateway);
  const both = (on: boolean): Promise<unknown> =>
    Promise.all([switchTracing(gateway, on), switchTracing(twin, on)]);
  const rows: BenchRow[] = [];
  let cheapestUntracedUs = Number.POSITIVE_INFINITY;
  const tracedRatios: number[] = [];
  try {
    // Warm every path (JIT, connection pools, the tokenizer's caches), traced and not.
    for (const traced of aa ? [false] : [true, false]) {
      await both(traced);
      for (const stream of [false, true]) {
        await load(direct, stream, 16, 1);
        await load(through, stream, 16, 1);
        await load(targetOf(twin), stream, 16, 1);
      }
    }
    for (const stream of [false, true]) {
      for (const connections of CONNECTIONS) {
        const base = await load(direct, stream, connections, SECONDS);
        const gw = await load(through, stream, connections, SECONDS);
        // Tracing's price: the untraced and the traced gateway under the same fixed offered load
        // at the same time (one autocannon each), TRACED_ROUNDS times, each run's CPU read once
        // its outbox relay has published the run's last usage event (loadWithCpu). Run side by
        // side, both meet the same machine: the other processes, the CPU's frequency, a busy
        // sibling hyperthread. Run one after the other, the CPU a request of one gateway moved by
        // 20 to 30 % between adjacent runs of a few seconds on this 2-core machine, more than
        // tracing costs. A fixed rate, 40 % of what the untraced gateway answered flat out (so
        // the two together stay below saturation), makes both answer the same requests: a
        // saturated pair would batch their outbox writes and Kafka sends differently.
        const rate = Math.max(1, Math.floor(gw.rps * 0.4));
        const rounds: { off: Measure; on: Measure; cpuOffUs: number; cpuOnUs: number }[] = [];
        for (let round = 0; round < TRACED_ROUNDS; round++) {
          // Crossover: the two processes take turns being the traced one. With fixed roles the
          // second process started cost 8.6 % more CPU a request than the first in an A/A run
          // (both untraced, 60 runs), as much as tracing seemed to cost; taking turns puts
          // whatever makes one process dearer on both sides of the ratios alike.
          const [onSide, offSide] = round % 2 === 0 ? [twin, gateway] : [gateway, twin];
          if (!aa) await Promise.all([switchTracing(onSide, true), switchTracing(offSide, false)]);
          const [off, on] = await Promise.all([
            loadWithCpu(offSide, targetOf(offSide), stream, connections, SECONDS, rate),
            loadWithCpu(onSide, targetOf(onSide), stream, connections, SECONDS, rate),
          ]);
          // A run in which either side answered nothing (every request timed out) prices nothing.
          if (off.requests === 0 || on.requests === 0) continue;
          const cpuOffUs = (off.cpuSeconds / off.requests) * 1e6;
          const cpuOnUs = (on.cpuSeconds / on.requests) * 1e6;
          tracedRatios.push(cpuOnUs / cpuOffUs);
          rounds.push({ off, on, cpuOffUs, cpuOnUs });
        }
        await both(false);
        const of = (pick: (r: (typeof rounds)[number]) => number): number =>
          median(rounds.map(pick));
        const gwOff = { rps: of((r) => r.off.rps), p50: of((r) => r.off.p50) };
        const gwTraced = { rps: of((r) => r.on.rps), p50: of((r) => r.on.p50) };
        const tracedFailures = rounds.reduce((n, r) => n + r.on.failures + r.off.failures, 0);
        const cpuOffUs = of((r) => r.cpuOffUs);
        cheapestUntracedUs = Math.min(cheapestUntracedUs, cpuOffUs);
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
            name: `gateway traced p50 (${label}, ${rate} req/s offered)`,
            value: gwTraced.p50,
            unit: 'ms',
            baseline: gwOff.p50,
            note: `baseline: tracing off; ${pct(gwTraced.p50, gwOff.p50)}; median of ${rounds.length} side-by-side runs of ${SECONDS} s, ${Math.round(gwTraced.rps)}/${Math.round(gwOff.rps)} req/s answered${tracedFailures > 0 ? `, ${tracedFailures} failed` : ''}`,
          },
          // What tracing costs the server, whatever its throughput did in those seconds: the CPU
          // the gateway process used (/proc) divided by the requests it answered.
          {
            name: `gateway traced CPU a request (${label}, ${rate} req/s offered)`,
            value: cpuOnUs,
            unit: 'µs',
            baseline: cpuOffUs,
            note: `baseline: tracing off; ${pct(cpuOnUs, cpuOffUs)}; the gateway process's user + system time (/proc) over the requests answered, until its relay published them, medians of ${rounds.length} side-by-side runs (on/off: ${cpuRounds})`,
          },
        );
      }
    }
    // Every side-by-side run of the six rows at once. The aim is read against the median of
    // their on/off ratios, with its bootstrap interval: now and then the machine stalls one side
    // of a run (a ratio of 0.1 or 3 among ratios of about 1), which moves a mean by percents and
    // a median not at all. The geometric mean and its interval stay in the note.
    const logs = tracedRatios.map(Math.log);
    const meanLog = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sdLog = Math.sqrt(logs.reduce((a, b) => a + (b - meanLog) ** 2, 0) / (logs.length - 1));
    const interval = (1.96 * sdLog) / Math.sqrt(logs.length);
    const [low, high] = medianInterval(tracedRatios);
    rows.push({
      name: 'gateway traced CPU a request (every run above)',
      value: median(tracedRatios),
      unit: 'x',
      baseline: 1,
      note: `${aa ? 'A/A, both untraced: ' : ''}median of ${logs.length} on/off ratios, ${pct(median(tracedRatios), 1)} (95 % interval ${pct(low, 1)} to ${pct(high, 1)}); geometric mean ${pct(Math.exp(meanLog), 1)} (${pct(Math.exp(meanLog - interval), 1)} to ${pct(Math.exp(meanLog + interval), 1)}); runs spread ${pct(Math.min(...tracedRatios), 1)} to ${pct(Math.max(...tracedRatios), 1)}`,
    });
    const cpu = await tracingCpuPerRequest();
    const added = cpu.on - cpu.off;
    rows.push(
      {
        name: 'tracing CPU a gateway request (in process)',
        value: cpu.on,
        unit: 'µs',
        baseline: cpu.off,
        note: `server, hold client, upstream and UsageObserved spans, in-memory export; +${added.toFixed(1)} µs`,
      },
      // That price against the cheapest untraced request of this run: the largest share tracing
      // can take of a request's CPU, and a figure the machine's load does not scatter.
      {
        name: 'tracing share of a gateway request (in process)',
        value: (added / cheapestUntracedUs) * 100,
        unit: '%',
        note: `+${added.toFixed(1)} µs against ${Math.round(cheapestUntracedUs)} µs, the least CPU an untraced request took above`,
      },
    );
  } finally {
    await Promise.all([stopServer(gateway), stopServer(twin)]);
    await Promise.all([stopServer(ledger), stopServer(upstream)]);
  }
  return rows;
}

export const part: BenchPart = {
  title: 'gateway (autocannon: through the gateway to sim/ versus straight to a bare upstream)',
  run: runGatewayBench,
};
