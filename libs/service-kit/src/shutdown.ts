import type { Server } from 'node:http';
import { Worker } from 'node:worker_threads';
import { type INestApplication, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { ErrorBody } from './errors.js';

/** The code of a request that arrived while the service was stopping: retry on another instance. */
export const SHUTTING_DOWN = 'SERVICE.SHUTTING_DOWN';

/** How a draining service answers a new request; the gateway answers in OpenAI's shape. */
export type Refusal = (res: Response) => void;

const houseRefusal: Refusal = (res) => {
  res.status(503).json({
    error: { code: SHUTTING_DOWN, message: 'the service is shutting down; retry' },
  } satisfies ErrorBody);
};

/**
 * Counts the HTTP requests in flight and, once draining, refuses new ones (503, `Retry-After`,
 * `Connection: close`; `/health` included, so a load balancer stops sending traffic here) while
 * the ones in flight finish (issue #10, "shutdown loses nothing").
 */
export class HttpDrain {
  private inFlight = 0;
  private draining = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly refuse: Refusal = houseRefusal) {}

  readonly middleware = (_req: Request, res: Response, next: NextFunction): void => {
    if (this.draining) {
      res.setHeader('connection', 'close');
      res.setHeader('retry-after', '1');
      this.refuse(res);
      return;
    }
    this.inFlight += 1;
    res.once('close', () => {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const resolve of this.waiters.splice(0)) resolve();
    });
    next();
  };

  /** Requests in flight now. */
  get active(): number {
    return this.inFlight;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Refuses new requests from now on and resolves once none is in flight, or after `graceMs`;
   * answers how many were still in flight then.
   */
  async drain(graceMs: number): Promise<number> {
    this.draining = true;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.inFlight;
  }
}

const drains = new WeakMap<INestApplication, HttpDrain>();

/** Installs the drain in front of every route; call before the application is initialised. */
export function installDrain(app: INestApplication, refuse?: Refusal): HttpDrain {
  const drain = new HttpDrain(refuse);
  app.use(drain.middleware);
  drains.set(app, drain);
  return drain;
}

export function drainOf(app: INestApplication): HttpDrain | undefined {
  return drains.get(app);
}

export interface ShutdownOptions {
  /** How long requests in flight get to finish after SIGTERM (`SHUTDOWN_GRACE_SECONDS`). */
  readonly graceSeconds: number;
  /** Exit when the event loop stalls this long (`WATCHDOG_STALL_SECONDS`); 0: no watchdog. */
  readonly watchdogStallSeconds: number;
}

/**
 * What a service process does on SIGTERM or SIGINT, in an order that loses nothing:
 * 1. stop taking requests (503 `SERVICE.SHUTTING_DOWN`) and let those in flight finish, for up
 *    to the grace period; then cut the connections of any still running (a stream's usage is
 *    recorded as cancelled, for what was generated);
 * 2. `app.close()`: the lifecycle hooks stop consumers, write what waits for the outbox, stop the
 *    relays, and only then close the pool (service-kit's `onApplicationShutdown`).
 * A second signal exits at once. Also starts the stall watchdog (see `startWatchdog`).
 */
export function stopOnSignals(
  app: INestApplication,
  service: string,
  options: ShutdownOptions,
): void {
  const logger = new Logger(service);
  const drain = drainOf(app);
  if (options.watchdogStallSeconds > 0) startWatchdog(service, options.watchdogStallSeconds);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    void (async () => {
      try {
        logger.log(
          `${signal}: draining ${drain?.active ?? 0} requests in flight ` +
            `(up to ${options.graceSeconds} s)`,
        );
        const left = (await drain?.drain(options.graceSeconds * 1000)) ?? 0;
        if (left > 0) {
          logger.warn(`${left} requests still running after the grace period: cutting them`);
          (app.getHttpServer() as Server).closeAllConnections();
        }
        await app.close();
        logger.log('stopped');
        process.exit(0);
      } catch (err) {
        logger.error(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

// The watchdog's own thread: it reads the main thread's last heartbeat from shared memory and
// kills the process when it is older than the stall limit. A thread of its own, because a main
// thread stuck in a synchronous loop runs no timer and handles no signal, SIGTERM included.
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const beat = new BigInt64Array(workerData.buffer);
const limitMs = BigInt(workerData.stallSeconds * 1000);
setInterval(() => {
  const stalledMs = BigInt(Date.now()) - Atomics.load(beat, 0);
  if (stalledMs > limitMs) {
    // Straight to the file descriptor: a worker's process.stderr goes through the main thread.
    // One JSON line, as the service's logger writes them (it cannot: the main thread is stuck).
    writeSync(
      1,
      JSON.stringify({
        level: 'fatal',
        time: new Date().toISOString(),
        service: workerData.service,
        context: 'watchdog',
        msg: 'watchdog: the event loop has not run for ' + stalledMs + ' ms (limit ' + limitMs +
          ' ms); killing the process so that it is restarted',
      }) + '\\n',
    );
    process.kill(process.pid, 'SIGKILL');
  }
}, 500);
`;

let watchdog: Worker | undefined;

/**
 * Kills this process (SIGKILL) when its event loop has not run for `stallSeconds`: a service
 * stuck in a synchronous loop answers nothing, not even SIGTERM, and holds its connections; dead,
 * it is restarted by its supervisor, and nothing it answered is lost (usage is in the outbox
 * before an answer completes). The heartbeat costs one timer a second.
 */
export function startWatchdog(service: string, stallSeconds: number): Worker {
  if (watchdog !== undefined) return watchdog;
  const buffer = new SharedArrayBuffer(8);
  const beat = new BigInt64Array(buffer);
  const tick = (): void => {
    Atomics.store(beat, 0, BigInt(Date.now()));
  };
  tick();
  setInterval(tick, 1_000).unref();
  watchdog = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { buffer, stallSeconds, service },
  });
  watchdog.unref();
  return watchdog;
}
