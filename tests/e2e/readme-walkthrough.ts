import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatUsd, parseUsd } from '@billing/money';
import { eventually } from '@billing/testing';

/**
 * The README's walkthrough ("Five minutes with it"), run as a reader runs it: its `sh` block taken
 * from README.md as it is, each command run by `sh -c` with curl, the shell variables it starts
 * from (KEY, ACCOUNT, B) set from what the platform printed, and each `<placeholder>` filled from
 * the answers before it (the latest answer holding a field of that name). The one change a test
 * must make is B's port: the platform under test listens on a free one, not on 8080.
 *
 * Each answer's status and `x-request-id` come from a .curlrc `write-out` (CURL_HOME), so the
 * commands themselves stay exactly as printed. `expectWalkthrough` then checks what the comments
 * promise: every answer 2xx, the $100 top-up and its $20 bonus credited exactly, and the balance
 * moved by exactly that minus what the walkthrough's completion cost (read from the ledger's
 * "explain this charge", not guessed).
 */

const README = new URL('../../README.md', import.meta.url);
const HEADING = '## Five minutes with it';
const MARK = '@@walkthrough';
const run = promisify(execFile);

export interface WalkthroughCommand {
  /** The comment above it, e.g. `# 3. Top up $100 (...)`. */
  readonly step: string;
  /** The command as the README prints it (continuation lines joined). */
  readonly text: string;
}

export interface ReadmeWalkthrough {
  /** The block's assignments (`export KEY=sk-payg-...`, `B=http://localhost:8080`). */
  readonly variables: Readonly<Record<string, string>>;
  readonly commands: readonly WalkthroughCommand[];
}

/** The `sh` block under "Five minutes with it" in README.md (or in `readme`). */
export function readmeWalkthrough(readme = readFileSync(README, 'utf8')): ReadmeWalkthrough {
  const at = readme.indexOf(`\n${HEADING}\n`);
  if (at < 0) throw new Error(`README.md has no "${HEADING}" section`);
  const start = readme.indexOf('\n```sh\n', at);
  const end = readme.indexOf('\n```', start + 6);
  if (start < 0 || end < 0) throw new Error(`"${HEADING}" has no sh block`);
  const lines = readme.slice(start + 7, end).split('\n');

  const variables: Record<string, string> = {};
  const commands: WalkthroughCommand[] = [];
  let step = '';
  let pending = '';
  for (const line of lines) {
    const text = pending === '' ? line.trim() : `${pending} ${line.trim()}`;
    if (text.endsWith('\\')) {
      pending = text.slice(0, -1).trimEnd();
      continue;
    }
    pending = '';
    if (text === '') continue;
    if (text.startsWith('#')) {
      // A numbered comment starts a step; the lines after it only continue its sentence.
      if (/^#\s*\d+\./.test(text)) step = text;
      continue;
    }
    const assignment = /^(?:export\s+)?([A-Z_]+)=(\S+)(?:\s+#.*)?$/.exec(text);
    if (assignment !== null) {
      variables[assignment[1] ?? ''] = assignment[2] ?? '';
      continue;
    }
    commands.push({ step, text });
  }
  return { variables, commands };
}

export interface WalkthroughAnswer {
  readonly step: string;
  /** The command as it was run: placeholders filled. */
  readonly command: string;
  readonly status: number;
  readonly requestId: string;
  /** What curl wrote to standard output (nothing with `-o`). */
  readonly body: string;
  /** The body as JSON, when it is JSON. */
  readonly json: unknown;
}

export interface WalkthroughOptions {
  /** Where the platform listens; stands for the README's `B=http://localhost:8080`. */
  readonly baseUrl: string;
  /** The API key and the account token the platform printed for acct_demo. */
  readonly key: string;
  readonly account: string;
  /** A scratch folder: the commands run there (invoice.pdf lands in it). */
  readonly cwd: string;
  /** Called before each command (a test waits there for what a reader would give a moment). */
  readonly beforeCommand?: (
    command: WalkthroughCommand,
    answers: readonly WalkthroughAnswer[],
  ) => Promise<void>;
}

/** The first value of a field named `name`, anywhere in `value` (depth first, in order). */
function fieldOf(value: unknown, name: string): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = fieldOf(item, name);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const own = record[name];
  if (typeof own === 'string' && own !== '') return own;
  for (const child of Object.values(record)) {
    const found = fieldOf(child, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Runs every command of the walkthrough in order; a placeholder no answer can fill fails it. */
export async function runWalkthrough(
  walkthrough: ReadmeWalkthrough,
  options: WalkthroughOptions,
): Promise<WalkthroughAnswer[]> {
  const names = Object.keys(walkthrough.variables).sort();
  if (names.join(' ') !== 'ACCOUNT B KEY') {
    throw new Error(`the walkthrough starts from ${names.join(', ')}, not ACCOUNT, B and KEY`);
  }
  if (walkthrough.variables.B !== 'http://localhost:8080') {
    throw new Error(`the walkthrough's B is ${walkthrough.variables.B}, not http://localhost:8080`);
  }
  writeFileSync(
    join(options.cwd, '.curlrc'),
    `write-out = "\\n${MARK} %{http_code} %header{x-request-id}\\n"\n`,
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: options.cwd,
    CURL_HOME: options.cwd,
    KEY: options.key,
    ACCOUNT: options.account,
    B: options.baseUrl,
  };
  const answers: WalkthroughAnswer[] = [];
  for (const command of walkthrough.commands) {
    await options.beforeCommand?.(command, answers);
    const text = command.text.replace(/<(\w+)>/g, (placeholder, name: string) => {
      for (const answer of [...answers].reverse()) {
        const value = fieldOf(answer.json, name);
        if (value !== undefined) return value;
      }
      throw new Error(`no answer before "${command.text}" holds ${placeholder}`);
    });
    const { stdout } = await run('sh', ['-c', text], {
      cwd: options.cwd,
      env,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const at = stdout.lastIndexOf(`\n${MARK} `);
    if (at < 0) throw new Error(`"${text}" wrote no status:\n${stdout}`);
    const [status = '0', requestId = ''] = stdout
      .slice(at + MARK.length + 2)
      .trim()
      .split(' ');
    const body = stdout.slice(0, at);
    answers.push({
      step: command.step,
      command: text,
      status: Number(status),
      requestId,
      body,
      json: parseJson(body),
    });
  }
  return answers;
}

const ACCOUNT_PATH = '/v1/accounts/acct_demo';

interface Breakdown {
  readonly topUps: string;
  readonly bonuses: string;
  readonly usage: string;
  readonly totalBalance: string;
}

interface Figures {
  readonly breakdown: Breakdown;
  readonly total: string;
}

/**
 * Runs the README's walkthrough against a platform whose acct_demo `KEY` and `ACCOUNT` are given
 * and checks every answer (jest's `expect`). `start`, when given, is what acct_demo must hold
 * before it (a fresh demo account: $10 top-up, $2 bonus, nothing spent).
 */
export async function expectWalkthrough(
  options: Omit<WalkthroughOptions, 'beforeCommand'> & {
    readonly start?: { readonly topUps: string; readonly bonuses: string; readonly usage: string };
  },
): Promise<WalkthroughAnswer[]> {
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${options.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${options.account}` },
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const figures = async (): Promise<Figures> => {
    const breakdown = await get<Breakdown>(`${ACCOUNT_PATH}/credits-breakdown`);
    const balance = await get<{ total: string }>(`${ACCOUNT_PATH}/balance`);
    expect([breakdown.status, balance.status]).toEqual([200, 200]);
    return { breakdown: breakdown.body, total: balance.body.total };
  };
  const usd = (text: string): bigint => parseUsd(text);
  const plus = (a: string, b: bigint): string => formatUsd(usd(a) + b);

  const before = await figures();
  if (options.start !== undefined) {
    expect({
      topUps: before.breakdown.topUps,
      bonuses: before.breakdown.bonuses,
      usage: before.breakdown.usage,
    }).toEqual(options.start);
  }

  const walkthrough = readmeWalkthrough();
  let cost: bigint | undefined;
  const answers = await runWalkthrough(walkthrough, {
    ...options,
    beforeCommand: async (command, sofar) => {
      if (cost !== undefined || !command.text.includes(`${ACCOUNT_PATH}/balance`)) return;
      // The reader's moment: the top-up reaches the ledger through payments.v1 and the
      // completion's charge through metering, each a hop on the bus.
      const completion = sofar.find((a) => a.command.includes('/api/v1/chat/completions'));
      if (completion === undefined) throw new Error('the walkthrough has no completion');
      cost = await eventually(async () => {
        const charge = await get<{ cost: string }>(
          `${ACCOUNT_PATH}/requests/${encodeURIComponent(completion.requestId)}`,
        );
        const now = await figures();
        const credited =
          now.breakdown.topUps === plus(before.breakdown.topUps, usd('100')) &&
          now.breakdown.bonuses === plus(before.breakdown.bonuses, usd('20'));
        return charge.status === 200 && credited ? usd(charge.body.cost) : undefined;
      }, 60_000);
    },
  });

  // Every command answered 2xx, through the one origin, with a request id.
  expect(answers.map((a) => [a.step, a.command, a.status >= 200 && a.status < 300])).toEqual(
    answers.map((a) => [a.step, a.command, true]),
  );
  for (const a of answers) expect(a.requestId).toMatch(/\S/);
  expect(answers).toHaveLength(walkthrough.commands.length);

  const answerTo = (fragment: string, method = 'GET'): WalkthroughAnswer => {
    const found = answers.find(
      (a) =>
        a.command.includes(fragment) &&
        (method === 'GET' ? !/-X (POST|PUT)/.test(a.command) : a.command.includes(`-X ${method}`)),
    );
    if (found === undefined) throw new Error(`the walkthrough has no ${method} ${fragment}`);
    return found;
  };

  // 1. The new key, shown once.
  const created = answerTo('/api-keys', 'POST');
  expect(created.status).toBe(201);
  expect((created.json as { key: string }).key).toMatch(/^sk-payg-/);
  // 2. The completion, answered by sim/echo-1.
  const completion = answerTo('/api/v1/chat/completions');
  expect(completion.status).toBe(200);
  const choices = (completion.json as { choices: { message: { content: string } }[] }).choices;
  expect(choices[0]?.message.content).toMatch(/\S/);
  // 3. The top-up.
  expect(answerTo('/top-ups', 'POST').status).toBe(201);
  // 4. The card, saved at once, and auto top-up on it.
  const setup = answerTo('/payment-methods/setup', 'POST').json as {
    status: string;
    paymentMethod: { paymentMethodId: string };
  };
  expect(setup.status).toBe('saved');
  const autoTopUp = answerTo('/auto-top-up', 'PUT').json as {
    enabled: boolean;
    threshold: string;
    amount: string;
    paymentMethodId: string;
  };
  expect([
    autoTopUp.enabled,
    usd(autoTopUp.threshold),
    usd(autoTopUp.amount),
    autoTopUp.paymentMethodId,
  ]).toEqual([true, usd('5'), usd('50'), setup.paymentMethod.paymentMethodId]);

  // 5. $100 and its $20 bonus exactly; the balance moved by that minus the completion's cost.
  if (cost === undefined) throw new Error('the walkthrough never read the balance');
  expect(cost).toBeGreaterThan(0n);
  const balance = answerTo(`${ACCOUNT_PATH}/balance`).json as { total: string };
  const breakdown = answerTo('/credits-breakdown').json as Breakdown;
  expect(balance.total).toBe(plus(before.total, usd('120') - cost));
  expect({
    topUps: breakdown.topUps,
    bonuses: breakdown.bonuses,
    usage: breakdown.usage,
    totalBalance: breakdown.totalBalance,
  }).toEqual({
    topUps: plus(before.breakdown.topUps, usd('100')),
    bonuses: plus(before.breakdown.bonuses, usd('20')),
    usage: plus(before.breakdown.usage, cost),
    totalBalance: plus(before.breakdown.totalBalance, usd('120') - cost),
  });

  // 6. The history holds the top-up and its bonus; the keys; the invoice as a PDF.
  const rows = (answerTo('/transactions').json as { data: { type: string; amount: string }[] })
    .data;
  expect(rows.some((r) => r.type === 'top_up' && usd(r.amount) === usd('100'))).toBe(true);
  expect(rows.some((r) => r.type === 'bonus' && usd(r.amount) === usd('20'))).toBe(true);
  const keys = (answerTo(`${ACCOUNT_PATH}/api-keys`).json as { data: { name: string }[] }).data;
  expect(keys.map((k) => k.name)).toContain('production-app');
  const pdf = readFileSync(join(options.cwd, 'invoice.pdf'));
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  return answers;
}
