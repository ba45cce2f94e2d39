import type { IncomingMessage } from 'node:http';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { fail, failures, ok, type Result } from '../domain/index.js';
import type { ParseJob, ParseOutcome } from './body-parser.worker.js';

/** A request body, parsed, with its prompt-token bound when a worker computed it. */
export interface ParsedBody {
  readonly value: unknown;
  /** The admission bound of the prompt, when computed off the event loop (large bodies). */
  readonly promptTokens?: number;
}

export interface BodyLimits {
  /** MAX_BODY_BYTES: a larger body is refused with 413 before it is read whole. */
  readonly maxBytes: number;
  /**
   * Bodies from this size on are parsed, and their prompt bounded, on a worker thread. Below it
   * both take well under a millisecond on the event loop.
   */
  readonly workerFromBytes: number;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_WORKER_FROM_BYTES = 4 * 1024;

const invalidJson = (): Result<ParsedBody> =>
  fail(failures.invalidRequest('The request body is not valid JSON.'));

/**
 * Reads a request body in O(its size) without ever holding more than `maxBytes` of it: a declared
 * `Content-Length` above the limit is refused before a byte is read, and a chunked body is counted
 * as it streams in and refused as soon as it passes the limit. Compressed bodies are refused
 * (a small gzip can inflate to gigabytes).
 */
export async function readBody(
  req: IncomingMessage,
  limits: BodyLimits,
  parser: BodyParserPool,
): Promise<Result<ParsedBody>> {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return fail({
      ...failures.invalidRequest('Compressed request bodies are not accepted.'),
      status: 415,
    });
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return fail(failures.requestTooLarge(limits.maxBytes));
  }
  // The body is gathered into one array as its chunks arrive, grown by doubling (never past the
  // declared length or the limit): no copy of a whole 4 MiB body in one go on the event loop, no
  // memory reserved for a declared length before it arrives (a slow client declaring 4 MiB on
  // many connections costs what it has sent), and the array moves, uncopied, to the worker.
  const cap = Number.isSafeInteger(declared) && declared > 0 ? declared : limits.maxBytes;
  let into = new Uint8Array(Math.min(cap, 16 * 1024));
  let size = 0;
  try {
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      const end = size + buffer.length;
      // Stop reading: the response says why and closes the connection (ExpressSink).
      if (end > limits.maxBytes) return fail(failures.requestTooLarge(limits.maxBytes));
      if (end > into.length) {
        let capacity = into.length * 2;
        while (capacity < end) capacity *= 2;
        const grown = new Uint8Array(Math.min(Math.max(capacity, end), Math.max(cap, end)));
        grown.set(into.subarray(0, size));
        into = grown;
      }
      into.set(buffer, size);
      size = end;
    }
  } catch {
    return fail(failures.invalidRequest('The request body could not be read.'));
  }
  if (size === 0) return fail(failures.invalidRequest('The request body must be a JSON object.'));
  if (size < limits.workerFromBytes) {
    try {
      return ok({
        value: JSON.parse(Buffer.from(into.buffer, 0, size).toString('utf8')) as unknown,
      });
    } catch {
      return invalidJson();
    }
  }
  const bytes = size === into.length ? into : into.slice(0, size);
  const parsed = await parser.parse(bytes);
  return parsed === undefined ? invalidJson() : ok(parsed);
}

interface Slot {
  worker: Worker;
  readonly pending: Map<number, (outcome: ParseOutcome | undefined) => void>;
}

/** How a worker is started: the source file itself when the gateway runs from TypeScript. */
function workerUrl(): { url: URL; execArgv: string[] | undefined } {
  const self = import.meta.url;
  const ts = self.endsWith('.ts');
  const url = new URL(`./body-parser.worker.${ts ? 'ts' : 'js'}`, self);
  // Production and the bench run under @swc-node's loader, which workers inherit; Jest transforms
  // modules itself, so its workers are given the loader explicitly.
  const hasLoader = process.execArgv.some((a) => a.includes('@swc-node/register'));
  return {
    url,
    execArgv: ts && !hasLoader ? ['--import', '@swc-node/register/esm-register'] : undefined,
  };
}

/**
 * A small pool of worker threads that parse large JSON bodies and bound their prompts. A worker
 * that dies fails its pending jobs (as invalid bodies) and is replaced.
 */
export class BodyParserPool {
  private readonly logger = new Logger('BodyParserPool');
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size = Math.max(1, Math.min(2, availableParallelism() - 1))) {}

  private spawn(): Worker {
    const { url, execArgv } = workerUrl();
    const worker = new Worker(url, {
      ...(execArgv !== undefined && { execArgv }),
      // A hostile body can make only this worker run out of memory, never the gateway.
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    worker.unref();
    return worker;
  }

  private attach(slot: Slot): void {
    slot.worker.on('message', (outcome: ParseOutcome) => {
      const done = slot.pending.get(outcome.id);
      slot.pending.delete(outcome.id);
      done?.(outcome);
    });
    const onGone = (why: string): void => {
      for (const done of slot.pending.values()) done(undefined);
      slot.pending.clear();
      if (this.closed) return;
      this.logger.warn(`body parser worker ${why}; starting another`);
      slot.worker = this.spawn();
      this.attach(slot);
    };
    slot.worker.once('error', (err: Error) => onGone(`failed: ${err.name}`));
    slot.worker.once('exit', (code) => {
      if (slot.pending.size > 0 || !this.closed) onGone(`exited with ${code}`);
    });
  }

  private slot(): Slot {
    if (this.slots.length < this.size) {
      const slot: Slot = { worker: this.spawn(), pending: new Map() };
      this.attach(slot);
      this.slots.push(slot);
      return slot;
    }
    let best = this.slots[0] as Slot;
    for (const s of this.slots) if (s.pending.size < best.pending.size) best = s;
    return best;
  }

  /** The parsed body, or undefined when it is not JSON. `bytes` is moved to the worker. */
  parse(bytes: Uint8Array<ArrayBuffer>): Promise<ParsedBody | undefined> {
    if (this.closed) return Promise.reject(new Error('the body parser is closed'));
    const slot = this.slot();
    const id = this.nextId++;
    return new Promise((resolve) => {
      slot.pending.set(id, (outcome) => {
        if (outcome === undefined || !outcome.ok) resolve(undefined);
        else resolve({ value: outcome.value, promptTokens: outcome.promptTokens });
      });
      const job: ParseJob = { id, bytes };
      slot.worker.postMessage(job, [bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
