/**
 * Profiles the services of a running soak (`SOAK_NODE_OPTIONS=--inspect=127.0.0.1:0`) through
 * their inspectors: a CPU profile of each for `--seconds`, written as `<service>-<label>.cpuprofile`
 * (Chrome DevTools opens it), its top frames by self time printed, and each process's memory by
 * kind of mapping from /proc/PID/smaps, to compare two moments of one run.
 *
 *   node --import @swc-node/register/esm-register tools/bench/src/soak-profile.ts \
 *     --logs <the soak's log dir> --out <dir> --label m2 [--seconds 60] [--services ledger,gateway]
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** One inspector session over the WebSocket Node 22+ has built in. */
class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id === undefined) return;
      const resolve = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      resolve?.(msg.error === undefined ? msg.result : { error: msg.error });
    });
  }

  static open(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => resolve(new Inspector(ws)));
      ws.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)));
    });
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (r: unknown) => void);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

function inspectorUrl(logFile: string): string | undefined {
  const matches = [
    ...readFileSync(logFile, 'utf8').matchAll(/Debugger listening on (ws:\/\/\S+)/g),
  ];
  return matches.at(-1)?.[1];
}

/** Self time by frame, the heaviest first. */
function topFrames(
  profile: CpuProfile,
  limit: number,
): { frame: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    const f = node.callFrame;
    const where =
      f.url === ''
        ? ''
        : ` ${f.url.replace(/^.*\/(node_modules|services|libs)\//, '$1/')}:${f.lineNumber + 1}`;
    const key = `${f.functionName || '(anonymous)'}${where}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    if (f.functionName !== '(idle)') total += dt;
  });
  return [...selfUs.entries()]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort(([, a], [, b]) => b - a)
    .slice(0, limit)
    .map(([frame, us]) => ({ frame, ms: us / 1000, share: us / total }));
}

/** What a line of /proc/PID/smaps maps: anonymous memory, a library, the node binary, a file. */
function mappingKind(name: string): string {
  if (name === '') return 'anonymous';
  if (!name.startsWith('/')) return name; // [heap], [stack], anon_inode:...
  if (name.endsWith('.node') || name.includes('.so')) return 'libraries';
  return name.includes('/node') ? 'node binary' : 'files';
}

/** Resident kB by kind of mapping (anonymous, which holds V8's heap; [heap], malloc's; files). */
function smapsByKind(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  let kind = 'other';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      kind = mappingKind(header[1] ?? '');
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) kinds[kind] = (kinds[kind] ?? 0) + Number(rss[1]);
  }
  return kinds;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      logs: { type: 'string' },
      out: { type: 'string' },
      label: { type: 'string', default: 'now' },
      seconds: { type: 'string', default: '60' },
      services: { type: 'string' },
    },
  });
  if (values.logs === undefined || values.out === undefined) {
    throw new Error('--logs <dir> and --out <dir> are required');
  }
  mkdirSync(values.out, { recursive: true });
  const wanted = values.services?.split(',');
  const logs = readdirSync(values.logs)
    .filter((f) => f.endsWith('.log'))
    .map((f) => ({ name: f.replace(/\.log$/, ''), url: inspectorUrl(join(values.logs!, f)) }))
    .filter((l): l is { name: string; url: string } => l.url !== undefined)
    .filter((l) => wanted === undefined || wanted.includes(l.name));
  const seconds = Number(values.seconds);
  await Promise.all(
    logs.map(async ({ name, url }) => {
      const inspector = await Inspector.open(url);
      const pid = (
        await inspector.send<{ result: { value: number } }>('Runtime.evaluate', {
          expression: 'process.pid',
        })
      ).result.value;
      const before = smapsByKind(pid);
      const heap = (
        await inspector.send<{ result: { value: string } }>('Runtime.evaluate', {
          expression: `JSON.stringify({ memory: process.memoryUsage(), spaces: process
            .getBuiltinModule('v8').getHeapSpaceStatistics()
            .map((s) => [s.space_name, Math.round(s.space_size / 1024), Math.round(s.space_used_size / 1024)]) })`,
        })
      ).result.value;
      await inspector.send('Profiler.enable');
      await inspector.send('Profiler.setSamplingInterval', { interval: 200 });
      await inspector.send('Profiler.start');
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const { profile } = await inspector.send<{ profile: CpuProfile }>('Profiler.stop');
      inspector.close();
      writeFileSync(
        join(values.out!, `${name}-${values.label}.cpuprofile`),
        JSON.stringify(profile),
      );
      const lines = [
        `== ${name} (${values.label}, pid ${pid}): ${seconds} s profiled`,
        `   memory kB by mapping: ${JSON.stringify(before)}`,
        `   V8 (space, committed kB, used kB): ${heap}`,
        ...topFrames(profile, 15).map(
          (f) =>
            `   ${f.ms.toFixed(0).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.frame}`,
        ),
      ];
      console.log(lines.join('\n'));
    }),
  );
}

await main();
