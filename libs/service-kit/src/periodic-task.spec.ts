import { Logger } from '@nestjs/common';
import { PeriodicTask } from './periodic-task.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quietLogger(): Logger & { errors: string[] } {
  const logger = new Logger('test') as Logger & { errors: string[] };
  logger.errors = [];
  logger.error = (message: unknown) => void logger.errors.push(String(message));
  return logger;
}

describe('PeriodicTask', () => {
  it('runs one round at a time: a call during a round answers that round', async () => {
    let started = 0;
    let release: () => void = () => undefined;
    const task = new PeriodicTask(quietLogger(), 'round', async () => {
      started += 1;
      await new Promise<void>((r) => (release = r));
      return started;
    });
    const first = task.runOnce();
    const second = task.runOnce();
    expect(second).toBe(first);
    release();
    await expect(first).resolves.toBe(1);
    const third = task.runOnce();
    release();
    await expect(third).resolves.toBe(2);
  });

  it('ticks while the rounds succeed, tells each result, and starts no round after stop', async () => {
    const told: number[] = [];
    let rounds = 0;
    const task = new PeriodicTask(
      quietLogger(),
      'round',
      () => Promise.resolve(++rounds),
      (result) => void told.push(result),
    );
    task.start(5);
    await sleep(60);
    await task.stop();
    const after = rounds;
    expect(after).toBeGreaterThanOrEqual(2);
    expect(told).toEqual(Array.from({ length: after }, (_, i) => i + 1));
    await sleep(30);
    expect(rounds).toBe(after);
  });

  it('backs off after a failure: one error line, no round until the wait has passed', async () => {
    const logger = quietLogger();
    let rounds = 0;
    const task = new PeriodicTask(logger, 'expiry round', () => {
      rounds += 1;
      return Promise.reject(new Error('database restarting'));
    });
    task.start(5);
    // The first backoff is 500 ms (FailureBackoff's default): at a 5 ms interval, one round only.
    await sleep(200);
    await task.stop();
    expect(rounds).toBe(1);
    expect(logger.errors).toEqual([
      expect.stringContaining('expiry round failed (1 in a row; next in'),
    ]);
    expect(logger.errors[0]).toContain('database restarting');
  });

  it('never starts with an interval of 0 or less', async () => {
    let rounds = 0;
    const task = new PeriodicTask(quietLogger(), 'round', () => Promise.resolve(++rounds));
    task.start(0);
    task.start(-1);
    await sleep(30);
    await task.stop();
    expect(rounds).toBe(0);
  });
});
