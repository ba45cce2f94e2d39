// The stall watchdog in a real process: a main thread stuck in a synchronous loop (which runs no
// signal handler, SIGTERM included) is killed; a healthy one is left alone.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from '@jest/globals';

const ROOT = new URL('../../../', import.meta.url).pathname;

function run(mode: 'stall' | 'healthy') {
  const child = spawn(
    process.execPath,
    [
      '--import',
      '@swc-node/register/esm-register',
      'libs/service-kit/src/testing/stall.main.ts',
      mode,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => out };
}

describe('the stall watchdog', () => {
  it('kills a process whose event loop is stuck, even though it ignores SIGTERM', async () => {
    const p = run('stall');
    const stallingAt = await new Promise<number>((resolve) => {
      p.child.stdout.on('data', () => {
        if (p.output().includes('stalling')) resolve(Date.now());
      });
    });
    p.child.kill('SIGTERM'); // Never handled: the loop never yields.
    const [code, signal] = await p.exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    // Stall limit 1 s, checked every 0.5 s, heartbeat every 1 s: killed within about 2.5 s.
    expect(Date.now() - stallingAt).toBeLessThan(5_000);
    expect(p.output()).not.toContain('SIGTERM handled');
    expect(p.output()).toMatch(/watchdog: the event loop has not run for \d+ ms \(limit 1000 ms\)/);
  }, 30_000);

  it('leaves a process whose event loop turns alone', async () => {
    const p = run('healthy');
    const [code, signal] = await p.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(p.output()).not.toContain('watchdog:');
  }, 30_000);
});
