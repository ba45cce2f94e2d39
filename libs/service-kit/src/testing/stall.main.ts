// A process for shutdown.int.spec.ts: starts the stall watchdog (1 s), says so, and then either
// blocks its event loop in a synchronous loop forever (`stall`) or keeps it turning for 3 s and
// exits 0 (`healthy`).
import { startWatchdog } from '../shutdown.js';

startWatchdog('stall-test', 1);
// As a service's stopOnSignals does: SIGTERM is handled on the event loop, so a stuck loop never
// sees it.
process.on('SIGTERM', () => {
  process.stdout.write('SIGTERM handled\n');
  process.exit(0);
});
process.stdout.write('watching\n');
if (process.argv[2] === 'stall') {
  setTimeout(() => {
    process.stdout.write('stalling\n');
    for (;;) {
      // A synchronous loop: no timer, no I/O, no signal handler runs again.
    }
  }, 200);
} else {
  const busyUntil = Date.now() + 3_000;
  const tick = (): void => {
    if (Date.now() > busyUntil) process.exit(0);
    setTimeout(tick, 50);
  };
  tick();
}
