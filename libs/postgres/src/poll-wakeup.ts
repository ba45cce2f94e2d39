/**
 * The sleep between the polls of a loop that LISTENs (the event store's subscriptions, the outbox
 * relay): a NOTIFY ends it early, and one that arrives while the loop is busy is kept, so the
 * next sleep returns at once instead of waiting a poll interval for what was already announced.
 * The loop checks its own stop flag before it sleeps; `interrupt()` ends a sleep in progress.
 */
export class PollWakeup {
  /** A notification no sleep has consumed yet. */
  private notified = false;
  /** Ends the sleep in progress: always when `force`, else if that sleep wakes on notifications. */
  private wakeUp: ((force: boolean) => void) | undefined;

  /** A notification: ends the sleep in progress if it wakes on them, else the next one that does. */
  notify(): void {
    this.notified = true;
    this.wakeUp?.(false);
  }

  /** Ends the sleep in progress, whatever it waits for (a stop, a broken connection). */
  interrupt(): void {
    this.wakeUp?.(true);
  }

  /** Waits `ms`, or less: until `interrupt()`, or, when `wakeOnNotify`, a notification. */
  sleep(ms: number, wakeOnNotify = true): Promise<void> {
    if (wakeOnNotify && this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = (force) => {
        if (wakeOnNotify && this.notified) {
          this.notified = false;
          done();
        } else if (force) {
          done();
        }
      };
    });
  }
}
