// The body parser's worker thread (see body-parser.ts): JSON.parse and the prompt-token bound of
// large bodies run here, so that the event loop that serves every other request never waits on
// them. Imports the token bound alone, not the domain's index, to start fast.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { promptTokenBound } from '../domain/prompt-tokens.js';

/**
 * This thread yields the CPU to the event loop: on Linux a thread has its own nice value, and
 * `/proc/thread-self` names it. When cores are scarce, the kernel then runs the thread that serves
 * `/health` and every small request first, and the parsing of a large body waits instead.
 * Best effort: elsewhere (or if refused) the worker runs at the process's priority.
 */
function yieldToEventLoop(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, 19);
  } catch {
    // Not Linux, or not allowed: nothing to do.
  }
}
yieldToEventLoop();

export interface ParseJob {
  readonly id: number;
  readonly bytes: Uint8Array;
}

export type ParseOutcome =
  | {
      readonly id: number;
      readonly ok: true;
      readonly value: unknown;
      readonly promptTokens?: number;
    }
  | { readonly id: number; readonly ok: false };

const decoder = new TextDecoder('utf-8');

/**
 * The deepest nesting a body may have. Chat requests are a few levels deep (tool schemas a few
 * more); a body nested far deeper would cost the event loop a deep structured clone, and the
 * upstream call a deep JSON.stringify, so it is refused here, where it was parsed.
 */
export const MAX_BODY_DEPTH = 128;

/** Whether `value` nests deeper than MAX_BODY_DEPTH, walked without recursion. */
function tooDeep(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= MAX_BODY_DEPTH) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

function bound(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const body = value as Record<string, unknown>;
  if (!Array.isArray(body.messages)) return undefined;
  return promptTokenBound({
    messages: body.messages as never,
    tools: body.tools ?? body.functions,
  });
}

parentPort?.on('message', (job: ParseJob) => {
  let outcome: ParseOutcome;
  try {
    const value: unknown = JSON.parse(decoder.decode(job.bytes));
    if (tooDeep(value)) throw new RangeError('nested too deep');
    const promptTokens = bound(value);
    outcome = { id: job.id, ok: true, value, ...(promptTokens !== undefined && { promptTokens }) };
  } catch {
    // Not JSON (or nested too deep to parse): the reason is the same 400 for the client.
    outcome = { id: job.id, ok: false };
  }
  parentPort?.postMessage(outcome);
});
