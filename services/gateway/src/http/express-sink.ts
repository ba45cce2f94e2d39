import { once } from 'node:events';
import type { Response } from 'express';
import type { CompletionSink } from '../commands/create-chat-completion/completion-sink.js';

/**
 * A CompletionSink over Node's response object. It writes with the plain `http` methods (no
 * Express `res.json`, which would also hash the body for an ETag nobody uses on a POST).
 */
export class ExpressSink implements CompletionSink {
  private readonly controller = new AbortController();
  private gone = false;
  private pending: string[] = [];
  private flushScheduled = false;
  private draining: Promise<void> | undefined;

  constructor(private readonly res: Response) {
    res.once('close', () => {
      if (!res.writableFinished) {
        this.gone = true;
        this.controller.abort();
      }
    });
  }

  get clientGone(): boolean {
    return this.gone;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
    if (this.gone || this.res.headersSent) return;
    const text = JSON.stringify(body);
    // Answered before the body was read (a bad key, a body over the limit): the connection is
    // closed after the answer rather than kept to drain what the client may still be sending.
    const unread = !this.res.req.complete;
    this.res.writeHead(status, {
      ...headers,
      ...(unread && { connection: 'close' }),
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    });
    this.res.end(text);
  }

  startStream(headers: Readonly<Record<string, string>> = {}): void {
    if (this.gone) return;
    this.res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // Tells nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
  }

  /**
   * Events that are ready together (the sim's whole answer, or every event of one upstream read)
   * leave in one write, not one syscall and one TCP segment each. They are flushed at the end of
   * this turn of the event loop, so no event waits for a later one.
   */
  async send(data: string): Promise<boolean> {
    if (this.gone) return false;
    this.pending.push(data);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (this.draining !== undefined) await this.draining;
    return !this.gone;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.gone || this.res.writableEnded) return;
    const chunk = this.pending.join('');
    this.pending = [];
    if (!this.res.write(chunk)) {
      // Backpressure: the next send waits until the client has taken this in (or left).
      this.draining = Promise.race([once(this.res, 'drain'), once(this.res, 'close')]).then(() => {
        this.draining = undefined;
      });
    }
  }

  end(): void {
    this.flush();
    if (!this.gone && !this.res.writableEnded) this.res.end();
  }
}
