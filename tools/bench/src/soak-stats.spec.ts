import { describe, expect, it } from '@jest/globals';
import { parseUsd } from '@billing/money';
import { credit, streamUsage } from './soak-load.js';
import { parsePrometheusText, processSampleOf } from './soak-sampler.js';
import {
  defaultWindows,
  floorGrowthOf,
  growthOf,
  leastSquaresSlope,
  verdictOf,
  type Point,
} from './soak-stats.js';

// The soak bench's arithmetic, pure: a wrong slope or a wrong "flat" would pass a leak or fail a
// healthy run, and a wrong expected balance would hide a double charge.

const line = (slopePerSecond: number, seconds: number, offset = 100): Point[] =>
  Array.from({ length: seconds + 1 }, (_, t) => ({ t, v: offset + slopePerSecond * t }));

describe('leastSquaresSlope', () => {
  it('is the slope of a straight line, and zero for a constant', () => {
    expect(leastSquaresSlope(line(0.5, 60))).toBeCloseTo(0.5, 12);
    expect(leastSquaresSlope(line(0, 60))).toBe(0);
  });

  it('sees through a saw-tooth (a GC cycle) to the trend under it', () => {
    const saw = line(0.1, 600).map((p) => ({ t: p.t, v: p.v + (p.t % 10 === 0 ? 20 : 0) }));
    expect(leastSquaresSlope(saw)).toBeCloseTo(0.1, 2);
  });

  it('is NaN with fewer than two instants, never a made-up zero', () => {
    expect(leastSquaresSlope([])).toBeNaN();
    expect(leastSquaresSlope([{ t: 1, v: 5 }])).toBeNaN();
    expect(
      leastSquaresSlope([
        { t: 1, v: 5 },
        { t: 1, v: 6 },
      ]),
    ).toBeNaN();
  });
});

describe('defaultWindows', () => {
  it('discards the first minute of ten, and 10 % of a short run', () => {
    expect(defaultWindows(600)).toEqual({ warmupSeconds: 60, windowSeconds: 54, endSeconds: 600 });
    expect(defaultWindows(90)).toEqual({ warmupSeconds: 9, windowSeconds: 10, endSeconds: 90 });
    expect(defaultWindows(3600).warmupSeconds).toBe(60);
    expect(defaultWindows(90, 30).warmupSeconds).toBe(30);
  });
});

describe('growthOf', () => {
  const w = { warmupSeconds: 60, windowSeconds: 60, endSeconds: 600 };

  it('ignores the warm-up: a start-up climb followed by a plateau is flat', () => {
    const climb = line(2, 600).map((p) => ({ t: p.t, v: p.t < 60 ? p.v : 220 }));
    const g = growthOf(climb, w);
    expect(g).toMatchObject({ start: 220, end: 220, max: 220, slopePerMinute: 0 });
    expect(verdictOf('rss', g!)).toBe('flat');
  });

  it('reports per minute, with the first and last windows as start and end', () => {
    const g = growthOf(line(1 / 60, 600), w)!; // 1 unit a minute
    expect(g.slopePerMinute).toBeCloseTo(1, 9);
    expect(g.start).toBeCloseTo(100 + 89.5 / 60, 9);
    expect(g.end).toBeCloseTo(100 + 570.5 / 60, 9);
    expect(g.samples).toBe(541);
  });

  it('has nothing to say without samples after the warm-up', () => {
    expect(growthOf(line(1, 30), w)).toBeUndefined();
  });
});

describe('floorGrowthOf', () => {
  const w = { warmupSeconds: 60, windowSeconds: 60, endSeconds: 600 };
  // Heap used climbing 1 MiB/s from 60 MiB and collected back to 60 every 45 s.
  const sawFrom = (floorPerMinute: number): Point[] =>
    Array.from({ length: 601 }, (_, t) => ({
      t,
      v: 60 + (t % 45) + (floorPerMinute / 60) * t,
    }));

  it('calls a saw-tooth that always falls back to the same floor flat', () => {
    const g = floorGrowthOf(sawFrom(0), w)!;
    expect(g).toMatchObject({ start: 60, end: 60, max: 60, samples: 9 });
    expect(verdictOf('heapFloor', g)).toBe('flat');
    // The teeth themselves can tilt the plain slope either way over a few of them.
    expect(Math.abs(growthOf(sawFrom(0), w)!.slopePerMinute)).toBeGreaterThan(0);
  });

  it('sees the floor rising under the teeth: what each collection leaves behind', () => {
    const g = floorGrowthOf(sawFrom(3), w)!;
    expect(g.slopePerMinute).toBeGreaterThan(2.5);
    expect(verdictOf('heapFloor', g)).toBe('GROWING');
  });
});

describe('verdictOf', () => {
  const w = { warmupSeconds: 0, windowSeconds: 60, endSeconds: 600 };

  it('calls RSS growing at 1.1 MiB a minute a leak, and 0.9 flat', () => {
    expect(verdictOf('rss', growthOf(line(1.1 / 60, 600), w)!)).toBe('GROWING');
    expect(verdictOf('rss', growthOf(line(0.9 / 60, 600), w)!)).toBe('flat');
    expect(verdictOf('eventLoopP99', growthOf(line(1.5 / 60, 600), w)!)).toBe('GROWING');
  });

  it('calls a lag flat only if it neither grows nor stays behind', () => {
    const keepUp = { keepUpMessages: 100 };
    expect(verdictOf('consumerLag', growthOf(line(0, 600, 3), w)!, keepUp)).toBe('flat');
    expect(verdictOf('consumerLag', growthOf(line(0, 600, 500), w)!, keepUp)).toBe('BEHIND');
    expect(verdictOf('consumerLag', growthOf(line(0.5, 600, 0), w)!, keepUp)).toBe(
      'GROWING, BEHIND',
    );
  });

  it('sees a consumer that dropped out of its group or a group that rebalanced', () => {
    const members = (vs: number[]): Point[] => vs.map((v, t) => ({ t, v }));
    const g = (vs: number[]) => growthOf(members(vs), { ...w, endSeconds: vs.length })!;
    expect(verdictOf('groupMembers', g([1, 1, 1]))).toBe('stable');
    expect(verdictOf('groupMembers', g([1, 0, 1]))).toBe('DROPPED OUT (0 members)');
    expect(verdictOf('groupMembers', g([1, 2, 2]))).toBe('CHANGED (1–2 members)');
    expect(verdictOf('groupMembers', g([1, 1, 1]), { unstableSamples: 2 })).toBe(
      'REBALANCED (2 samples)',
    );
  });
});

describe('the process sample of a /metrics text', () => {
  const text = [
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    'process_resident_memory_bytes{service="ledger"} 181403648',
    'nodejs_heap_size_used_bytes{service="ledger"} 61234567',
    'nodejs_heap_size_total_bytes{service="ledger"} 83886080',
    'nodejs_external_memory_bytes{service="ledger"} 5242880',
    'nodejs_heap_space_size_used_bytes{space="old",service="ledger"} 1',
    'nodejs_eventloop_lag_p99_seconds{service="ledger"} 0.012345',
    'nodejs_gc_duration_seconds_bucket{le="+Inf",kind="major",service="ledger"} 3',
    '',
  ].join('\n');

  it('reads RSS, the heap used and committed, external memory and the event-loop p99', () => {
    expect(processSampleOf(text)).toEqual({
      rssBytes: 181403648,
      heapUsedBytes: 61234567,
      heapTotalBytes: 83886080,
      externalBytes: 5242880,
      eventLoopP99Seconds: 0.012345,
    });
    expect(parsePrometheusText(text).get('nodejs_gc_duration_seconds_bucket')).toBe(3);
  });

  it('refuses a text without one of them rather than sampling a zero', () => {
    expect(() => processSampleOf('process_resident_memory_bytes 1\n')).toThrow(
      'nodejs_heap_size_used_bytes',
    );
  });
});

describe('the books this side keeps', () => {
  it('credits a top-up with its 20 % bonus, exact to the nano-dollar', () => {
    expect(credit(parseUsd('5'))).toBe(6_000_000_000n);
    expect(credit(parseUsd('17'))).toBe(20_400_000_000n);
  });

  it("takes a stream's usage only once [DONE] has arrived (a cut stream has no known cost)", () => {
    const usage = { prompt_tokens: 12, completion_tokens: 7 };
    const chunks = [
      `data: ${JSON.stringify({ choices: [{ delta: { content: 'Echo' } }], usage: null })}`,
      `data: ${JSON.stringify({ choices: [], usage })}`,
    ];
    expect(streamUsage([...chunks, 'data: [DONE]', ''].join('\n\n'))).toEqual(usage);
    expect(streamUsage(chunks.join('\n\n'))).toBeUndefined();
  });
});
