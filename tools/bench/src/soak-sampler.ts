import type { KafkaAdmin, KafkaClient } from '@billing/messaging';

/**
 * What the soak bench samples every second, from outside the processes as an operator would:
 * each service's `/metrics` (prom-client's default metrics, libs/service-kit/src/health.ts) and
 * each fixed consumer group's lag and members through a Kafka admin client.
 */

/** One service's process, as its `/metrics` showed it at one instant. */
export interface ProcessSample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** What V8 has committed for its heap: RSS minus this is memory outside the JavaScript heap. */
  readonly heapTotalBytes: number;
  /** Buffers and other memory held for JavaScript objects outside the heap. */
  readonly externalBytes: number;
  /**
   * prom-client's `nodejs_eventloop_lag_p99_seconds`: the p99 of `monitorEventLoopDelay` since
   * the previous scrape (prom-client resets the histogram on every collection), so one sample a
   * second is the p99 of that second. Only this bench scrapes the platform's processes.
   */
  readonly eventLoopP99Seconds: number;
}

export const PROCESS_METRICS = {
  rssBytes: 'process_resident_memory_bytes',
  heapUsedBytes: 'nodejs_heap_size_used_bytes',
  heapTotalBytes: 'nodejs_heap_size_total_bytes',
  externalBytes: 'nodejs_external_memory_bytes',
  eventLoopP99Seconds: 'nodejs_eventloop_lag_p99_seconds',
} as const satisfies Record<keyof ProcessSample, string>;

/**
 * The value of each unlabelled-or-singly-labelled metric in a Prometheus text exposition: the
 * first sample of each name (the process metrics above have one series each). Comments, blank
 * lines and values that are not numbers are skipped.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const [, name = '', , raw = ''] = match;
    const value = Number(raw);
    if (!values.has(name) && !Number.isNaN(value)) values.set(name, value);
  }
  return values;
}

/** The process sample of one `/metrics` text; throws if a metric is missing. */
export function processSampleOf(text: string): ProcessSample {
  const values = parsePrometheusText(text);
  const read = (name: string): number => {
    const v = values.get(name);
    if (v === undefined) throw new Error(`/metrics has no ${name}`);
    return v;
  };
  return {
    rssBytes: read(PROCESS_METRICS.rssBytes),
    heapUsedBytes: read(PROCESS_METRICS.heapUsedBytes),
    heapTotalBytes: read(PROCESS_METRICS.heapTotalBytes),
    externalBytes: read(PROCESS_METRICS.externalBytes),
    eventLoopP99Seconds: read(PROCESS_METRICS.eventLoopP99Seconds),
  };
}

export async function scrapeProcess(baseUrl: string, timeoutMs = 2_000): Promise<ProcessSample> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${res.status}`);
  return processSampleOf(text);
}

export interface WatchedGroup {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
}

export interface GroupSample {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
  /** Σ over the topic's partitions of (end offset − the group's committed offset). */
  readonly lag: number;
  readonly members: number;
  /** The group's state (`Stable`, `PreparingRebalance`, `Empty`, ...). */
  readonly state: string;
}

/**
 * Lag and membership of consumer groups, through one admin connection kept for the whole run.
 * A partition the group has no committed offset for counts from its low watermark: the group
 * reads it from the beginning (the services' `fromBeginning`), so all of it is still to read.
 */
export class GroupWatcher {
  private readonly admin: KafkaAdmin;

  constructor(
    kafka: KafkaClient,
    private readonly groups: readonly WatchedGroup[],
  ) {
    this.admin = kafka.admin();
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  async sample(): Promise<GroupSample[]> {
    const topics = [...new Set(this.groups.map((g) => g.topic))];
    // The committed offsets before the end offsets: the ends only move forward, so a commit read
    // first is never past the end read after it (in parallel, a lag could come out negative).
    const [described, committed] = await Promise.all([
      this.admin.describeGroups(this.groups.map((g) => g.groupId)),
      Promise.all(
        this.groups.map((g) => this.admin.fetchOffsets({ groupId: g.groupId, topics: [g.topic] })),
      ),
    ]);
    const ends = await Promise.all(
      topics.map(async (t) => [t, await this.admin.fetchTopicOffsets(t)] as const),
    );
    const endsOf = new Map(ends);
    return this.groups.map((g, i) => {
      const partitions = committed[i]?.find((c) => c.topic === g.topic)?.partitions ?? [];
      let lag = 0n;
      for (const end of endsOf.get(g.topic) ?? []) {
        const offset = BigInt(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
        const from = offset < 0n ? BigInt(end.low) : offset;
        lag += BigInt(end.high) - from;
      }
      const group = described.groups.find((d) => d.groupId === g.groupId);
      return {
        service: g.service,
        groupId: g.groupId,
        topic: g.topic,
        lag: Number(lag),
        members: group?.members.length ?? 0,
        state: group?.state ?? 'Unknown',
      };
    });
  }
}
