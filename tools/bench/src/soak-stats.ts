/**
 * The arithmetic of the soak bench (soak.bench.ts), kept pure so that it is tested on its own
 * (soak-stats.spec.ts): least-squares growth over the samples after the warm-up, the level of the
 * first and the last window, and what "flat" means for each kind of metric.
 */

/** One sample of one series: `t` seconds since the load started, `v` in the series' unit. */
export interface Point {
  readonly t: number;
  readonly v: number;
}

export interface Growth {
  /** Mean of the first window after the warm-up: the baseline, measured in the same run. */
  readonly start: number;
  /** Mean of the last window of the run. */
  readonly end: number;
  readonly max: number;
  readonly min: number;
  /** Least-squares slope over every sample after the warm-up, per minute. */
  readonly slopePerMinute: number;
  /** Samples after the warm-up. */
  readonly samples: number;
}

/** The least-squares slope of `v` against `t`, per second; NaN with fewer than two instants. */
export function leastSquaresSlope(points: readonly Point[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  let sumT = 0;
  let sumV = 0;
  for (const p of points) {
    sumT += p.t;
    sumV += p.v;
  }
  const meanT = sumT / n;
  const meanV = sumV / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - meanT) * (p.v - meanV);
    den += (p.t - meanT) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

function mean(points: readonly Point[]): number {
  if (points.length === 0) return Number.NaN;
  return points.reduce((s, p) => s + p.v, 0) / points.length;
}

export interface Windows {
  /** Samples before this instant (seconds since the load started) are the warm-up. */
  readonly warmupSeconds: number;
  /** Length of the first and the last window. */
  readonly windowSeconds: number;
  /** The end of the load: the last window ends here. */
  readonly endSeconds: number;
}

/**
 * The default warm-up: the first 10 % of the run, at most 60 s (a ten-minute run discards its
 * first minute). The windows: 10 % of what remains, between 10 and 60 s.
 */
export function defaultWindows(runSeconds: number, warmupSeconds?: number): Windows {
  const warmup = warmupSeconds ?? Math.min(60, runSeconds * 0.1);
  const measured = Math.max(0, runSeconds - warmup);
  return {
    warmupSeconds: warmup,
    windowSeconds: Math.min(60, Math.max(10, measured * 0.1)),
    endSeconds: runSeconds,
  };
}

/** Growth of one series over the part of the run after the warm-up; undefined without samples. */
export function growthOf(points: readonly Point[], w: Windows): Growth | undefined {
  const kept = points.filter((p) => p.t >= w.warmupSeconds && p.t <= w.endSeconds);
  if (kept.length === 0) return undefined;
  const first = kept.filter((p) => p.t < w.warmupSeconds + w.windowSeconds);
  const last = kept.filter((p) => p.t > w.endSeconds - w.windowSeconds);
  return {
    start: mean(first),
    end: mean(last),
    max: Math.max(...kept.map((p) => p.v)),
    min: Math.min(...kept.map((p) => p.v)),
    slopePerMinute: leastSquaresSlope(kept) * 60,
    samples: kept.length,
  };
}

/**
 * The lower envelope of a saw-tooth series (heap used between garbage collections): the minimum
 * of each whole window-long bucket after the warm-up, each at the instant it was sampled. What a
 * collection leaves behind is what a leak makes grow; the tops of the teeth only say when the
 * collector last ran. Start and end are the first and last buckets' minima.
 */
export function floorGrowthOf(points: readonly Point[], w: Windows): Growth | undefined {
  const buckets = new Map<number, Point>();
  for (const p of points) {
    if (p.t < w.warmupSeconds || p.t > w.endSeconds) continue;
    const bucket = Math.floor((p.t - w.warmupSeconds) / w.windowSeconds);
    // Only whole buckets: the minimum of a few seconds' samples is no floor.
    if (w.warmupSeconds + (bucket + 1) * w.windowSeconds > w.endSeconds + 1) continue;
    const low = buckets.get(bucket);
    if (low === undefined || p.v < low.v) buckets.set(bucket, p);
  }
  const floor = [...buckets.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
  const first = floor[0];
  const last = floor.at(-1);
  if (first === undefined || last === undefined) return undefined;
  return {
    start: first.v,
    end: last.v,
    max: Math.max(...floor.map((p) => p.v)),
    min: Math.min(...floor.map((p) => p.v)),
    slopePerMinute: leastSquaresSlope(floor) * 60,
    samples: floor.length,
  };
}

/** What the soak measures, each with its own definition of flat (FLAT below). */
export type SoakMetric =
  | 'rss'
  | 'heapUsed'
  | 'heapFloor'
  | 'eventLoopP99'
  | 'consumerLag'
  | 'groupMembers'
  | 'chatLatencyP99';

export interface MetricRule {
  readonly label: string;
  readonly unit: string;
  /** The slope (in `unit` per minute) below which the series is flat. */
  readonly maxSlopePerMinute?: number;
  readonly rule: string;
}

/**
 * "Flat", stated once: the verdict of each row of the table applies exactly this, and
 * docs/BENCHMARKS.md ("Soak") quotes it.
 */
export const FLAT: Readonly<Record<SoakMetric, MetricRule>> = {
  rss: {
    label: 'RSS',
    unit: 'MiB',
    maxSlopePerMinute: 1,
    rule: 'slope < 1 MiB/min',
  },
  heapUsed: {
    label: 'heap used',
    unit: 'MiB',
    maxSlopePerMinute: 1,
    rule: 'slope < 1 MiB/min',
  },
  heapFloor: {
    label: 'heap used, window minimum',
    unit: 'MiB',
    maxSlopePerMinute: 1,
    rule: 'slope of the minima < 1 MiB/min',
  },
  eventLoopP99: {
    label: 'event-loop delay p99',
    unit: 'ms',
    maxSlopePerMinute: 1,
    rule: 'slope < 1 ms/min',
  },
  consumerLag: {
    label: 'consumer lag',
    unit: 'messages',
    maxSlopePerMinute: 10,
    rule: 'slope < 10 messages/min and the last window under 5 s of the offered load',
  },
  groupMembers: {
    label: 'group members',
    unit: 'members',
    rule: 'the same member count (at least 1) in every sample, the group Stable in every sample',
  },
  chatLatencyP99: {
    label: 'chat latency p99 (client)',
    unit: 'ms',
    maxSlopePerMinute: 2,
    rule: 'slope < 2 ms/min',
  },
};

export interface VerdictContext {
  /** Consumer lag: the last window's mean must stay under this (5 s of the offered load). */
  readonly keepUpMessages?: number;
  /** Group members: samples where the group was not `Stable`. */
  readonly unstableSamples?: number;
}

/** `flat`, or what is wrong in a few words (upper case, so that it stands out in the table). */
export function verdictOf(metric: SoakMetric, g: Growth, ctx: VerdictContext = {}): string {
  const rule = FLAT[metric];
  if (metric === 'groupMembers') {
    if (g.min < 1) return 'DROPPED OUT (0 members)';
    if (g.max !== g.min) return `CHANGED (${g.min}–${g.max} members)`;
    if ((ctx.unstableSamples ?? 0) > 0) return `REBALANCED (${ctx.unstableSamples} samples)`;
    return 'stable';
  }
  if (Number.isNaN(g.slopePerMinute)) return 'too few samples';
  const slopeOk = g.slopePerMinute < (rule.maxSlopePerMinute ?? Number.POSITIVE_INFINITY);
  if (metric === 'consumerLag') {
    const keepsUp = ctx.keepUpMessages === undefined || g.end < ctx.keepUpMessages;
    if (!slopeOk && !keepsUp) return 'GROWING, BEHIND';
    if (!slopeOk) return 'GROWING';
    return keepsUp ? 'flat' : 'BEHIND';
  }
  return slopeOk ? 'flat' : 'GROWING';
}
