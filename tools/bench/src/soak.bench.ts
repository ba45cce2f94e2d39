import { createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatUsd, parseUsd } from '@billing/money';
import { testKafka } from '@billing/testing';
import { parseLogLine } from '@billing/service-kit';
import {
  CONSUMER_GROUPS,
  SERVICES,
  startDistributedPlatform,
} from '../../../tests/e2e/distributed.js';
import type { CommandResult } from '../../../tests/e2e/platform.js';
import {
  GroupWatcher,
  scrapeProcess,
  type GroupSample,
  type WatchedGroup,
} from './soak-sampler.js';
import { SoakLoad, type Outcome, type SoakAccount } from './soak-load.js';
import {
  defaultWindows,
  FLAT,
  floorGrowthOf,
  growthOf,
  verdictOf,
  type Growth,
  type Point,
  type SoakMetric,
  type Windows,
} from './soak-stats.js';
import { printMarkdownTable, type BenchRow, type BenchPart } from './table.js';

/**
 * The soak (issue #11): the distributed platform (tests/e2e/distributed.ts: the five services and
 * the Stripe stand-in as their own processes, a fresh database, the real Kafka) under a steady
 * mixed load for SOAK_SECONDS, to see whether anything grows that should not.
 *
 * Load (soak-load.ts), open loop at SOAK_RPS: whole chat completions and streams through the
 * gateway (sim/ models), top-ups settled by signed Stripe webhooks (a quarter of them delivered
 * twice), key changes (create, disable, enable, delete) on keys other than the one the chats use.
 *
 * Every second, from outside the processes: each service's RSS, heap used and event-loop delay
 * p99 (its `/metrics`), each fixed consumer group's lag and members (a Kafka admin client), and the
 * client's chat latency p99. After a warm-up (SOAK_WARMUP_SECONDS, default 10 % of the run and at
 * most 60 s), each series' least-squares slope per minute, its max, and its level in the first
 * window (the baseline, measured in the same run) against the last; the verdict applies FLAT of
 * soak-stats.ts. Then the books: every request answered 200 billed exactly once, each account's
 * balance equal to its top-ups + 20 % bonus − the cost of its answered requests, to the
 * nano-dollar.
 *
 * Knobs: SOAK_SECONDS (600), SOAK_RPS (20), SOAK_ACCOUNTS (8), SOAK_WARMUP_SECONDS,
 * SOAK_SAMPLES_FILE (JSON lines; default a file in the temporary folder), SOAK_SEED (1).
 */

const MIB = 1024 * 1024;

interface SoakConfig {
  readonly seconds: number;
  readonly rps: number;
  readonly accounts: number;
  readonly warmupSeconds: number | undefined;
  readonly samplesFile: string;
  readonly seed: number;
  /** Run the services from their production build (`npm run build` first), as deployed. */
  readonly fromBuild: boolean;
  /** `NODE_OPTIONS` for the services only (SOAK_NODE_OPTIONS), e.g. to attach a profiler. */
  readonly nodeOptions: string | undefined;
}

function soakConfig(): SoakConfig {
  const number = (name: string, fallback: number): number => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
    return value;
  };
  const warmup = process.env.SOAK_WARMUP_SECONDS;
  return {
    seconds: number('SOAK_SECONDS', 600),
    rps: number('SOAK_RPS', 20),
    accounts: Math.round(number('SOAK_ACCOUNTS', 8)),
    warmupSeconds: warmup === undefined || warmup === '' ? undefined : Number(warmup),
    samplesFile:
      process.env.SOAK_SAMPLES_FILE ??
      join(tmpdir(), `soak-${new Date().toISOString().replaceAll(':', '')}.jsonl`),
    seed: number('SOAK_SEED', 1),
    fromBuild: process.env.SOAK_FROM_BUILD === '1',
    nodeOptions: process.env.SOAK_NODE_OPTIONS || undefined,
  };
}

/** The series of one metric of one process or group, keyed `metric|who`. */
class Series {
  private readonly byKey = new Map<string, Point[]>();

  add(metric: SoakMetric, who: string, t: number, v: number): void {
    const key = `${metric}|${who}`;
    let points = this.byKey.get(key);
    if (points === undefined) this.byKey.set(key, (points = []));
    points.push({ t, v });
  }

  get(metric: SoakMetric, who: string): readonly Point[] {
    return this.byKey.get(`${metric}|${who}`) ?? [];
  }
}

interface OpStats {
  readonly statuses: Map<string, number>;
  readonly ms: number[];
  readonly details: Set<string>;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export async function runSoakBench(): Promise<BenchRow[]> {
  const config = soakConfig();
  const windows = defaultWindows(config.seconds, config.warmupSeconds);
  console.log(
    `soak: ${config.seconds} s at ${config.rps} op/s over ${config.accounts} accounts; ` +
      `warm-up ${windows.warmupSeconds.toFixed(0)} s, windows ${windows.windowSeconds.toFixed(0)} s; ` +
      `samples to ${config.samplesFile}`,
  );
  const samples = createWriteStream(config.samplesFile);
  const write = (record: Record<string, unknown>): void => {
    samples.write(`${JSON.stringify(record)}\n`);
  };

  // The allocator's arena cap is read by glibc when a process starts, so it can only come from
  // the environment: the services inherit it from the soak's, as a deployment would set it.
  const arenaMax = process.env.MALLOC_ARENA_MAX;
  const platform = await startDistributedPlatform({
    startTimeoutMs: 180_000,
    env: {
      ...(arenaMax === undefined || arenaMax === '' ? {} : { MALLOC_ARENA_MAX: arenaMax }),
      // For profiling the services under the soak (e.g. `--inspect=127.0.0.1:0`, then
      // tools/bench/src/soak-profile.ts); the soak's own process does not take it.
      ...(config.nodeOptions === undefined ? {} : { NODE_OPTIONS: config.nodeOptions }),
    },
    fromBuild: config.fromBuild,
  });
  const groups: WatchedGroup[] = SERVICES.flatMap((service) =>
    CONSUMER_GROUPS[service].map((g) => ({ service, ...g })),
  );
  const watcher = new GroupWatcher(testKafka('soak-watch'), groups);
  const series = new Series();
  const ops = new Map<string, OpStats>();
  /** Chat latencies of the answered requests, by the second (since the load began) they ended in. */
  const chatMsBySecond = new Map<number, number[]>();
  const scrapeFailures = new Map<string, number>();
  let unstable = new Map<string, number>();
  let t0 = 0;
  let load: SoakLoad | undefined;
  let failed = true;

  const onOutcome = (o: Outcome): void => {
    let stats = ops.get(o.op);
    if (stats === undefined) {
      ops.set(o.op, (stats = { statuses: new Map(), ms: [], details: new Set() }));
    }
    stats.statuses.set(o.status, (stats.statuses.get(o.status) ?? 0) + 1);
    stats.ms.push(o.ms);
    if (o.detail !== undefined && stats.details.size < 5) stats.details.add(o.detail);
    if (t0 > 0 && (o.kind === 'completion' || o.kind === 'stream') && o.status === '200') {
      const second = Math.floor((performance.now() - t0) / 1000);
      const list = chatMsBySecond.get(second) ?? [];
      list.push(o.ms);
      chatMsBySecond.set(second, list);
    }
  };

  try {
    await watcher.connect();
    load = new SoakLoad(
      platform,
      {
        accounts: config.accounts,
        rps: config.rps,
        requestTimeoutMs: 30_000,
        maxInFlight: Math.max(50, config.rps * 10),
        seed: config.seed,
      },
      onOutcome,
    );
    await load.setup();

    // ---- the load, sampled every second --------------------------------------------------------
    const logsAtLoad = logSizes(platform.logDir);
    t0 = performance.now();
    let sampling = true;
    let missedTicks = 0;
    const sampleOnce = async (t: number): Promise<void> => {
      const at = new Date().toISOString();
      await Promise.all([
        ...SERVICES.map(async (service) => {
          try {
            const p = await scrapeProcess(platform.urls[service]);
            series.add('rss', service, t, p.rssBytes / MIB);
            series.add('heapUsed', service, t, p.heapUsedBytes / MIB);
            series.add('eventLoopP99', service, t, p.eventLoopP99Seconds * 1000);
            write({ at, t, kind: 'process', service, ...p });
          } catch (err) {
            scrapeFailures.set(service, (scrapeFailures.get(service) ?? 0) + 1);
            write({ at, t, kind: 'scrape-failed', service, error: String(err) });
          }
        }),
        (async () => {
          try {
            for (const g of await watcher.sample()) {
              recordGroup(series, unstable, t, g);
              write({ at, t, kind: 'group', ...g });
            }
          } catch (err) {
            scrapeFailures.set('kafka', (scrapeFailures.get('kafka') ?? 0) + 1);
            write({ at, t, kind: 'scrape-failed', service: 'kafka', error: String(err) });
          }
        })(),
      ]);
      const chat = chatMsBySecond.get(Math.floor(t) - 1);
      if (chat !== undefined) series.add('chatLatencyP99', 'gateway', t, percentile(chat, 99));
      write({
        at,
        t,
        kind: 'load',
        offered: load?.offered,
        skipped: load?.skipped,
        inFlight: load?.running,
        chatAnswered: chat?.length ?? 0,
        chatP99Ms: chat === undefined ? null : percentile(chat, 99),
      });
    };
    const sampler = (async () => {
      let busy: Promise<void> | undefined;
      for (let tick = 1; sampling; tick++) {
        const wait = t0 + tick * 1000 - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (!sampling) break;
        if (busy !== undefined) {
          missedTicks++;
          continue;
        }
        const t = (performance.now() - t0) / 1000;
        busy = sampleOnce(t).finally(() => (busy = undefined));
      }
      await busy;
    })();
    // Between the warm-up and the rest, the group-state counts start again.
    const warmupEnd = setTimeout(() => (unstable = new Map()), windows.warmupSeconds * 1000);
    await load.run(config.seconds * 1000);
    sampling = false;
    clearTimeout(warmupEnd);
    await sampler;
    const loadSeconds = (performance.now() - t0) / 1000;
    await load.drain();

    // ---- growth ----------------------------------------------------------------------------------
    const w: Windows = { ...windows, endSeconds: Math.min(windows.endSeconds, loadSeconds) };
    const growth = growthTable(series, groups, w, config.rps * 5, unstable);
    const flat = growth.filter((r) => r.verdict === 'flat' || r.verdict === 'stable').length;
    printMarkdownTable(
      `soak: growth per process and consumer group over ${w.endSeconds.toFixed(0)} s ` +
        `(warm-up ${w.warmupSeconds.toFixed(0)} s discarded; start/end = mean of the first/last ` +
        `${w.windowSeconds.toFixed(0)} s)`,
      ['metric', 'service', 'start', 'end', 'max', 'slope per minute', 'verdict'],
      growth.map((r) => r.cells),
    );
    console.log(
      `${flat} of ${growth.length} rows flat. Flat means: ` +
        (Object.keys(FLAT) as SoakMetric[])
          .map((m) => `${FLAT[m].label}: ${FLAT[m].rule}`)
          .join('; ') +
        '.' +
        (w.endSeconds - w.warmupSeconds < 300
          ? ' Fewer than 5 minutes measured: the slopes are indicative only.'
          : '') +
        (missedTicks > 0
          ? ` ${missedTicks} sampling ticks missed (a sample outlived its second).`
          : ''),
    );

    // ---- the books -------------------------------------------------------------------------------
    const books = await checkBooks(load);
    // The ledger's own checks, with the ops CLI: its projections are the fold of its event log,
    // and every account's hash chain is intact.
    const verified = [
      {
        what: 'projections:verify',
        ok: 'projections match the event log',
        ...(await platform.projectionsVerify()),
      },
      { what: 'audit:verify', ok: 'hash chains intact', ...(await platform.auditVerify()) },
    ];
    failed =
      books.some((b) => !b.exact) ||
      growth.some((r) => r.verdict !== 'flat' && r.verdict !== 'stable');
    return summaryRows({
      config,
      load,
      ops,
      books,
      verified,
      chatMsBySecond,
      windows: w,
      scrapeFailures,
      missedTicks,
      logErrors: logErrors(platform.logDir, logsAtLoad),
      flatRows: flat,
      rows: growth.length,
      samplesFile: config.samplesFile,
      logDir: platform.logDir,
    });
  } finally {
    await watcher.disconnect().catch(() => undefined);
    await new Promise((resolve) => samples.end(resolve));
    await platform.stop({ keepLogs: true });
    console.log(
      `soak: service logs kept in ${platform.logDir}${failed ? ' (look there first)' : ''}`,
    );
  }
}

function recordGroup(
  series: Series,
  unstable: Map<string, number>,
  t: number,
  g: GroupSample,
): void {
  series.add('consumerLag', g.groupId, t, g.lag);
  series.add('groupMembers', g.groupId, t, g.members);
  if (g.state !== 'Stable') unstable.set(g.groupId, (unstable.get(g.groupId) ?? 0) + 1);
}

interface GrowthRow {
  readonly cells: string[];
  readonly verdict: string;
}

function growthTable(
  series: Series,
  groups: readonly WatchedGroup[],
  w: Windows,
  keepUpMessages: number,
  unstable: ReadonlyMap<string, number>,
): GrowthRow[] {
  const rows: GrowthRow[] = [];
  const row = (metric: SoakMetric, who: string, label: string, digits: number): void => {
    const g: Growth | undefined =
      metric === 'heapFloor'
        ? floorGrowthOf(series.get('heapUsed', who), w)
        : growthOf(series.get(metric, who), w);
    const rule = FLAT[metric];
    if (g === undefined) {
      rows.push({
        cells: [`${rule.label} (${rule.unit})`, label, '', '', '', '', 'NO SAMPLES'],
        verdict: 'NO SAMPLES',
      });
      return;
    }
    const verdict = verdictOf(metric, g, {
      keepUpMessages,
      unstableSamples: unstable.get(who) ?? 0,
    });
    const n = (v: number): string => (Number.isNaN(v) ? '' : v.toFixed(digits));
    const slope = Number.isNaN(g.slopePerMinute)
      ? ''
      : `${g.slopePerMinute >= 0 ? '+' : ''}${g.slopePerMinute.toFixed(digits === 0 ? 1 : digits)}`;
    rows.push({
      cells: [
        `${rule.label} (${rule.unit})`,
        label,
        n(g.start),
        n(g.end),
        n(g.max),
        slope,
        verdict,
      ],
      verdict,
    });
  };
  for (const service of SERVICES) row('rss', service, service, 1);
  for (const service of SERVICES) row('heapUsed', service, service, 1);
  for (const service of SERVICES) row('heapFloor', service, service, 1);
  for (const service of SERVICES) row('eventLoopP99', service, service, 2);
  for (const g of groups) row('consumerLag', g.groupId, `${g.service} (${g.groupId})`, 1);
  for (const g of groups) row('groupMembers', g.groupId, `${g.service} (${g.groupId})`, 0);
  row('chatLatencyP99', 'gateway', 'gateway, from the client', 1);
  return rows;
}

interface AccountBooks {
  readonly account: SoakAccount;
  readonly expected: bigint;
  readonly total: string | undefined;
  readonly held: string | undefined;
  readonly billed: number | undefined;
  readonly exact: boolean;
}

/**
 * Waits (up to 60 s for all accounts) until each account has nothing held and the total this side
 * expects, then compares the requests the ledger's usage analytics count with those answered 200.
 */
async function checkBooks(load: SoakLoad): Promise<AccountBooks[]> {
  const deadline = Date.now() + 60_000;
  const books: AccountBooks[] = [];
  for (const account of load.accounts) {
    const expected = account.credited - account.spent;
    let total: string | undefined;
    let held: string | undefined;
    for (;;) {
      const b = await load.balanceOf(account).catch(() => undefined);
      total = b?.total;
      held = b?.held;
      if (b !== undefined && parseUsd(b.held) === 0n && parseUsd(b.total) === expected) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const billed = await load.billedRequests(account).catch(() => undefined);
    const exact =
      account.unknownCost === 0 &&
      total !== undefined &&
      parseUsd(total) === expected &&
      held !== undefined &&
      parseUsd(held) === 0n &&
      billed === account.answered;
    books.push({ account, expected, total, held, billed, exact });
  }
  return books;
}

interface LogErrors {
  /** ERROR lines written while the platform started and the accounts were set up. */
  readonly atStart: Map<string, number>;
  /** ERROR lines written from the start of the load to the end of the books check. */
  readonly underLoad: Map<string, number>;
  /** The first few of those, for the summary. */
  readonly first: string[];
}

/** Each process log's length, in bytes, when the load starts. */
function logSizes(logDir: string): Map<string, number> {
  return new Map(readdirSync(logDir).map((file) => [file, statSync(join(logDir, file)).size]));
}

/**
 * A line the service logged at error or fatal (its JSON `level`); for output that is not the
 * logger's (a crash's stack), the word ERROR.
 */
function isErrorLine(line: string): boolean {
  const entry = parseLogLine(line);
  if (entry === undefined) return /\bERROR\b/.test(line);
  return entry.level === 'error' || entry.level === 'fatal';
}

/**
 * Error lines (the JSON `level`) in each process's log, before and after the load started:
 * start-up has its expected ones (the gateway asks metering for the catalog before metering
 * listens, and retries), the load should have none.
 */
function logErrors(logDir: string, sizesAtLoad: ReadonlyMap<string, number>): LogErrors {
  const result: LogErrors = { atStart: new Map(), underLoad: new Map(), first: [] };
  for (const file of readdirSync(logDir)) {
    const name = file.replace(/\.log$/, '');
    const text = readFileSync(join(logDir, file));
    const split = sizesAtLoad.get(file) ?? 0;
    const count = (part: Buffer, into: Map<string, number>, keep: boolean): void => {
      for (const line of part.toString('utf8').split('\n')) {
        if (!isErrorLine(line)) continue;
        into.set(name, (into.get(name) ?? 0) + 1);
        if (keep && result.first.length < 8) result.first.push(`${name}: ${line.slice(0, 240)}`);
      }
    };
    count(text.subarray(0, split), result.atStart, false);
    count(text.subarray(split), result.underLoad, true);
  }
  return result;
}

interface Summary {
  readonly config: SoakConfig;
  readonly load: SoakLoad;
  readonly ops: ReadonlyMap<string, OpStats>;
  readonly books: readonly AccountBooks[];
  readonly verified: readonly (CommandResult & { what: string; ok: string })[];
  readonly chatMsBySecond: ReadonlyMap<number, number[]>;
  readonly windows: Windows;
  readonly scrapeFailures: ReadonlyMap<string, number>;
  readonly missedTicks: number;
  readonly logErrors: LogErrors;
  readonly flatRows: number;
  readonly rows: number;
  readonly samplesFile: string;
  readonly logDir: string;
}

function summaryRows(s: Summary): BenchRow[] {
  const rows: BenchRow[] = [];
  const w = s.windows;
  const seconds = w.endSeconds;
  rows.push({
    name: 'operations offered',
    value: s.load.offered / seconds,
    unit: 'op/s',
    baseline: s.config.rps,
    note: `${s.load.offered} in ${seconds.toFixed(0)} s; ${s.load.skipped} not started (in flight at the cap); baseline: SOAK_RPS`,
  });
  const expected: Record<string, string> = {
    completion: '200',
    stream: '200',
    topUp: '200',
    'topUp:replay': '200',
    'key:create': '201',
    'key:disable': '200',
    'key:enable': '200',
    'key:delete': '204',
  };
  for (const [op, stats] of [...s.ops].sort(([a], [b]) => a.localeCompare(b))) {
    const ok = stats.statuses.get(expected[op] ?? '') ?? 0;
    const all = [...stats.statuses.values()].reduce((x, y) => x + y, 0);
    const statuses = [...stats.statuses]
      .sort(([, a], [, b]) => b - a)
      .map(([status, n]) => `${status}×${n}`)
      .join(', ');
    rows.push({
      name: `${op}: answered ${expected[op] ?? 'as expected'}`,
      value: ok,
      unit: 'ops',
      baseline: all,
      note:
        `${statuses}; p50 ${percentile(stats.ms, 50).toFixed(1)} ms, p99 ${percentile(stats.ms, 99).toFixed(1)} ms` +
        (stats.details.size > 0 ? `; first failures: ${[...stats.details].join(' | ')}` : ''),
    });
  }
  const chatIn = (from: number, to: number): number[] =>
    [...s.chatMsBySecond].filter(([sec]) => sec >= from && sec < to).flatMap(([, ms]) => ms);
  const first = chatIn(w.warmupSeconds, w.warmupSeconds + w.windowSeconds);
  const last = chatIn(w.endSeconds - w.windowSeconds, w.endSeconds);
  rows.push({
    name: 'chat latency p99, last window',
    value: percentile(last, 99),
    unit: 'ms',
    baseline: percentile(first, 99),
    note: `p50 ${percentile(last, 50).toFixed(1)} ms (first window ${percentile(first, 50).toFixed(1)} ms); baseline: the first window after the warm-up`,
  });
  const exact = s.books.filter((b) => b.exact).length;
  const credited = s.books.reduce((x, b) => x + b.account.credited, 0n);
  const spent = s.books.reduce((x, b) => x + b.account.spent, 0n);
  const wrong = s.books
    .filter((b) => !b.exact)
    .map(
      (b) =>
        `${b.account.id}: expected ${formatUsd(b.expected)} with nothing held and ${b.account.answered} billed, ` +
        `got total ${b.total ?? '?'}, held ${b.held ?? '?'}, billed ${b.billed ?? '?'}` +
        (b.account.unknownCost > 0 ? `, ${b.account.unknownCost} answers without usage` : ''),
    );
  rows.push({
    name: 'accounts whose books are exact',
    value: exact,
    unit: 'accounts',
    baseline: s.books.length,
    note:
      `balance = top-ups + 20 % bonus − Σ cost of the 200s, to the nano-dollar, nothing held, ` +
      `and as many requests billed as answered 200; credited $${formatUsd(credited)}, charged ` +
      `$${formatUsd(spent)}` +
      (wrong.length > 0 ? `; WRONG: ${wrong.join(' | ')}` : ''),
  });
  const answered = s.books.reduce((x, b) => x + b.account.answered, 0);
  const billed = s.books.reduce((x, b) => x + (b.billed ?? 0), 0);
  rows.push({
    name: 'requests billed (ledger usage analytics)',
    value: billed,
    unit: 'requests',
    baseline: answered,
    note: 'baseline: requests answered 200 to this client',
  });
  for (const v of s.verified) {
    const passed = v.exitCode === 0 && v.stdout.includes(v.ok);
    const lastLine = (text: string): string => text.trim().split('\n').at(-1)?.slice(0, 200) ?? '';
    rows.push({
      name: `ledger ${v.what} (ops CLI) passed`,
      value: passed ? 1 : 0,
      unit: 'yes=1',
      note: `exit ${v.exitCode ?? 'killed'}: ${lastLine(v.stdout) || lastLine(v.stderr)}`,
    });
  }
  const listed = (m: ReadonlyMap<string, number>): string =>
    [...m].map(([n, c]) => `${n} ${c}`).join(', ') || 'none';
  rows.push({
    name: 'ERROR lines in the service logs under load',
    value: [...s.logErrors.underLoad.values()].reduce((x, y) => x + y, 0),
    unit: 'lines',
    note:
      `${listed(s.logErrors.underLoad)}` +
      (s.logErrors.first.length > 0 ? `; first: ${s.logErrors.first.join(' | ')}` : '') +
      `; at start-up (not counted): ${listed(s.logErrors.atStart)}; logs: ${s.logDir}`,
  });
  const failures = [...s.scrapeFailures].map(([n, c]) => `${n} ${c}`).join(', ');
  rows.push({
    name: 'growth rows flat',
    value: s.flatRows,
    unit: 'rows',
    baseline: s.rows,
    note:
      `samples: ${s.samplesFile}` +
      (failures === '' ? '' : `; failed samples: ${failures}`) +
      (s.missedTicks > 0 ? `; ${s.missedTicks} ticks missed` : ''),
  });
  return rows;
}

export const part: BenchPart = {
  title: 'soak (the distributed platform under a steady mixed load; SOAK_SECONDS, SOAK_RPS)',
  run: runSoakBench,
};
