import { formatUsd, parseUsd } from '@billing/money';
import { eventually } from '@billing/testing';
import {
  startDistributedPlatform,
  type DistributedPlatform,
} from '../../../tests/e2e/distributed.js';
import { fundedAccountKey } from '../../../tests/e2e/platform.js';
import { load, startServer, stopServer, type Measure, type Target } from './gateway.bench.js';
import { parsePrometheusText } from './soak-sampler.js';
import type { BenchPart, BenchRow } from './table.js';

/**
 * The gateway on the real ledger holds path (issue #14), where the `gateway` part uses an
 * in-memory stand-in for the ledger: the distributed platform (tests/e2e/distributed.ts: the five
 * services as their own processes, a fresh database, the real Kafka), one account funded by a
 * signed Stripe webhook, one API key. Every admitted request places a hold on the ledger (an
 * HTTP round trip and a committed HoldPlaced), and its usage goes gateway outbox → Kafka →
 * metering → Kafka → ledger, whose charge captures the hold. The same chat completion load as
 * the `gateway` part, through the gateway and straight to the bare simulated upstream (the
 * baseline, measured in the same run).
 *
 * Each gateway run is a count of requests (sized from a shorter run at the same concurrency to
 * last about GATEWAY_BENCH_SECONDS), so every request sent is answered inside it. After each run,
 * once every hold is captured: the CPU each service spent a request (its `/metrics`, user +
 * system), and the books: the account's total fell by exactly the requests answered 200 times the
 * price of one, to the nano-dollar. After the last run, `projections:verify` and `audit:verify`
 * must pass.
 */

const SECONDS = Number(process.env.GATEWAY_BENCH_SECONDS ?? '5');
const CONNECTIONS = [1, 64, 256];
const FUNDING_USD = '10000';
/** The services whose CPU a request is reported: the three every chat completion passes. */
const CPU_OF = ['gateway', 'ledger', 'metering'] as const;

interface Balance {
  readonly total: string;
  readonly held: string;
}

async function cpuSecondsOf(baseUrl: string): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`);
  const value = parsePrometheusText(await res.text()).get('process_cpu_seconds_total');
  if (value === undefined) throw new Error(`${baseUrl}/metrics has no process_cpu_seconds_total`);
  return value;
}

export async function runGatewayPlatformBench(): Promise<BenchRow[]> {
  const upstream = await startServer('upstream');
  let platform: DistributedPlatform | undefined;
  try {
    // GATEWAY_PLATFORM_NODE_OPTIONS: NODE_OPTIONS for the services only, e.g. to profile them.
    const nodeOptions = process.env.GATEWAY_PLATFORM_NODE_OPTIONS;
    platform = await startDistributedPlatform({
      startTimeoutMs: 180_000,
      ...(nodeOptions ? { env: { NODE_OPTIONS: nodeOptions } } : {}),
    });
    const p = platform;
    const accountId = `acct_gwbench_${Date.now().toString(36)}`;
    const { token, key } = await fundedAccountKey(p, accountId, FUNDING_USD);

    const balance = async (): Promise<Balance> => {
      const res = await fetch(`${p.urls.ledger}/v1/accounts/${accountId}/balance`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) throw new Error(`balance: ${res.status} ${await res.text()}`);
      return (await res.json()) as Balance;
    };
    /** The balance once every hold is captured: every charge of the runs so far is applied. */
    const settled = (): Promise<Balance> =>
      eventually(async () => {
        const b = await balance();
        return parseUsd(b.held) === 0n ? b : undefined;
      }, 180_000);
    const cpu = async (): Promise<number[]> =>
      Promise.all(CPU_OF.map((name) => cpuSecondsOf(p.urls[name])));

    const direct: Target = {
      url: `${upstream.info.baseUrl}/chat/completions`,
      headers: {},
      model: 'echo',
    };
    const through: Target = {
      url: `${p.urls.gateway}/api/v1/chat/completions`,
      headers: { authorization: `Bearer ${key}` },
      model: 'sim/echo-1',
    };

    const rows: BenchRow[] = [];
    let checked = 0;
    for (const stream of [false, true]) {
      // Warm every path, then the price of one request as the ledger charged it: the same body
      // every time, so every request of a mode costs the same.
      await load(direct, stream, 16, 1);
      await load(through, stream, 16, { requests: 400 });
      const before = await settled();
      const one = await load(through, stream, 1, { requests: 1 });
      if (one.ok !== 1) throw new Error('the probe request was not answered 200');
      const price = parseUsd(before.total) - parseUsd((await settled()).total);
      if (price <= 0n) throw new Error(`one request cost ${formatUsd(price)}`);
      for (const connections of CONNECTIONS) {
        const base = await load(direct, stream, connections, SECONDS);
        // The rate at this many connections, from a shorter run, sizes the measured one.
        const calibration = await load(through, stream, connections, {
          requests: Math.max(100, connections * 8),
        });
        const last = await settled();
        const cpuBefore = await cpu();
        const requests = Math.max(
          connections * 8,
          Math.round((calibration.requests / calibration.seconds) * SECONDS),
        );
        const gw: Measure = await load(through, stream, connections, { requests });
        // Answered over the run's whole length: autocannon's mean of per-second samples counts
        // the run's last, partial second as a whole one.
        const rps = gw.requests / gw.seconds;
        const after = await settled();
        const cpuAfter = await cpu();
        // The books: exact when every request was answered (a failed one may or may not have
        // been charged, depending on where it failed).
        const spent = parseUsd(last.total) - parseUsd(after.total);
        const expected = BigInt(gw.ok) * price;
        if (gw.failures === 0 && spent !== expected) {
          throw new Error(
            `the books: ${gw.ok} requests answered 200 at ${formatUsd(price)} should cost ` +
              `${formatUsd(expected)}, the account was charged ${formatUsd(spent)}`,
          );
        }
        if (gw.failures === 0) checked += gw.ok;
        const label = `${stream ? 'streaming' : 'non-streaming'}, ${connections} conn`;
        const us = CPU_OF.map((_, i) => (((cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0)) / gw.ok) * 1e6);
        const books =
          gw.failures === 0
            ? `charged ${formatUsd(spent)} = ${gw.ok} × ${formatUsd(price)}, exact`
            : `${gw.failures} failed: books not checked`;
        rows.push(
          {
            name: `gateway req/s, real ledger (${label})`,
            value: rps,
            unit: 'req/s',
            baseline: base.rps,
            note: `${gw.requests} requests in ${gw.seconds} s; baseline: bare simulated upstream, ${SECONDS} s; ${books}`,
          },
          {
            name: `gateway p50, real ledger (${label})`,
            value: gw.p50,
            unit: 'ms',
            baseline: base.p50,
            note: `added ${(gw.p50 - base.p50).toFixed(2)} ms`,
          },
          {
            name: `gateway p99, real ledger (${label})`,
            value: gw.p99,
            unit: 'ms',
            baseline: base.p99,
            note: `added ${(gw.p99 - base.p99).toFixed(2)} ms`,
          },
          {
            name: `gateway CPU a request, real ledger (${label})`,
            value: us[0] ?? Number.NaN,
            unit: 'µs',
            note: `until every hold was captured, idle work included; ledger ${Math.round(us[1] ?? 0)} µs, metering ${Math.round(us[2] ?? 0)} µs a request`,
          },
        );
      }
    }
    const verify = await p.projectionsVerify();
    if (verify.exitCode !== 0) throw new Error(`projections:verify: ${verify.stderr}`);
    const audit = await p.auditVerify(accountId);
    if (audit.exitCode !== 0) throw new Error(`audit:verify: ${audit.stderr}`);
    rows.push({
      name: 'books after the load, real ledger',
      value: checked,
      unit: 'requests',
      note: 'every request answered 200 charged once at its exact price; projections:verify and audit:verify passed',
    });
    return rows;
  } catch (err) {
    if (platform !== undefined) console.error(platform.logTail(30));
    throw err;
  } finally {
    await platform?.stop({ keepLogs: false });
    await stopServer(upstream);
  }
}

export const part: BenchPart = {
  title:
    'gateway on the real ledger (the distributed platform: holds, metering and charges; versus a bare upstream)',
  run: runGatewayPlatformBench,
};
