/** What a long operation will have done once finished, when it knows beforehand. */
export interface ProgressTotal {
  /** Account events to fold: the sum of the account streams' versions. */
  readonly events: number;
  readonly accounts: number;
}

/** Where long operations report how far they are. */
export interface Progress {
  start(label: string, total?: ProgressTotal): void;
  update(done: number): void;
  done(done: number): void;
}

export const silentProgress: Progress = {
  start: () => undefined,
  update: () => undefined,
  done: () => undefined,
};

/**
 * A one-line progress report on a stream (stderr): the count and the rate, redrawn in place on a
 * terminal at most a few times a second, or a line per second when the output is a file or a pipe.
 */
export function streamProgress(
  out: NodeJS.WriteStream = process.stderr,
  now: () => number = () => performance.now(),
): Progress {
  let label = '';
  let of = '';
  let startedAt = 0;
  let lastDraw = 0;
  const interval = out.isTTY ? 200 : 1_000;
  const line = (done: number): string => {
    const seconds = Math.max((now() - startedAt) / 1000, 1e-9);
    const rate = Math.round(done / seconds).toLocaleString('en-US');
    return `${label}: ${done.toLocaleString('en-US')}${of} events, ${seconds.toFixed(1)} s, ${rate} events/s`;
  };
  return {
    start(l, total) {
      label = l;
      of = total === undefined ? '' : ` of ${total.events.toLocaleString('en-US')}`;
      startedAt = now();
      lastDraw = startedAt;
    },
    update(done) {
      const t = now();
      if (t - lastDraw < interval) return;
      lastDraw = t;
      out.write(out.isTTY ? `\r${line(done)}` : `${line(done)}\n`);
    },
    done(done) {
      out.write(out.isTTY ? `\r${line(done)}\n` : `${line(done)}\n`);
    },
  };
}
