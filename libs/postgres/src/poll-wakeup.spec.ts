import { PollWakeup } from './poll-wakeup.js';

// Real timers, short and long: a sleep that should end early is given an hour, so a test that
// waited for the timer instead would time out rather than pass.
const HOUR_MS = 3_600_000;

describe('PollWakeup', () => {
  it('ends a sleep when its time is up', async () => {
    const started = performance.now();
    await new PollWakeup().sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('ends a sleep early on a notification', async () => {
    const wakeup = new PollWakeup();
    const started = performance.now();
    const sleeping = wakeup.sleep(HOUR_MS);
    wakeup.notify();
    await sleeping;
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('keeps a notification that arrives while the loop is busy, for the next sleep only', async () => {
    const wakeup = new PollWakeup();
    wakeup.notify();
    await wakeup.sleep(HOUR_MS);
    const started = performance.now();
    await wakeup.sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('does not end a sleep that ignores notifications, and keeps the notification for later', async () => {
    const wakeup = new PollWakeup();
    let ended = false;
    const sleeping = wakeup.sleep(40, false).then(() => (ended = true));
    wakeup.notify();
    await new Promise((r) => setTimeout(r, 10));
    expect(ended).toBe(false);
    await sleeping;
    await wakeup.sleep(HOUR_MS);
  });

  it('ends any sleep on interrupt, without inventing a notification', async () => {
    const wakeup = new PollWakeup();
    const ignoring = wakeup.sleep(HOUR_MS, false);
    wakeup.interrupt();
    await ignoring;
    const listening = wakeup.sleep(HOUR_MS);
    wakeup.interrupt();
    await listening;
    const started = performance.now();
    await wakeup.sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('does nothing on interrupt when no sleep is in progress', async () => {
    const wakeup = new PollWakeup();
    wakeup.interrupt();
    const started = performance.now();
    await wakeup.sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
