import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { Platform } from '../e2e/platform.js';
import {
  allCharged,
  checkBooks,
  Decimal,
  getJson,
  money,
  type BooksAccount,
  type ModelPrice,
} from './books.js';
import { Load, sleep, summarize, type Outcome } from './load.js';

/**
 * One chaos trial: steady load on fresh accounts, a fault injected while it runs (a kill, a
 * broker or database outage), the platform brought back, and the books compared exactly once
 * everything has caught up. The figures each trial records are printed as one table at the end
 * of the run (tools/jest/chaos-reporter.mjs) and by the spec file itself.
 */

export interface TrialResult {
  readonly trial: string;
  /** Requests the clients sent, by outcome (load.ts). */
  readonly answered: number;
  readonly refused: number;
  readonly unknown: number;
  /** Top-ups settled during the trial (beyond each account's initial one). */
  readonly topUps: number;
  /** Events in the trial accounts' ledger streams. */
  readonly ledgerEvents: number;
  /** Charges of `unknown` requests (served, but the client never learnt it). */
  readonly extraCharges: number;
  /** From the fault to the service (broker, database) answering again, in ms. */
  readonly backMs: number;
  /**
   * From the fault to the books caught up: every request answered until the service was back is
   * charged on the ledger. Undefined if they never caught up.
   */
  readonly recoveryMs: number | undefined;
  readonly problems: readonly string[];
}

export interface TrialOptions {
  readonly name: string;
  readonly platform: () => Platform;
  readonly accounts: readonly BooksAccount[];
  readonly price: ModelPrice;
  /** Concurrent clients per account. */
  readonly clients?: number;
  readonly pauseMs?: number;
  /** Load before the fault (ms). */
  readonly leadMs?: number;
  /** The least the load runs in all (ms). */
  readonly minLoadMs?: number;
  /** The fault: resolves once it is done (a process has exited, the broker is down). */
  inject(): Promise<void>;
  /** Brings the platform back: resolves once the restarted part answers. */
  recover(): Promise<void>;
  /** Runs beside the load from the fault on (e.g. Stripe webhooks delivered into the kill). */
  during?(): Promise<void>;
  /** How long the books may take to catch up after the recovery (ms). */
  readonly catchUpMs?: number;
}

export async function runTrial(options: TrialOptions): Promise<TrialResult> {
  const p = options.platform();
  const leadMs = options.leadMs ?? 4_000;
  const minLoadMs = options.minLoadMs ?? 15_000;
  const catchUpMs = options.catchUpMs ?? 90_000;
  const topUpsBefore = options.accounts.reduce((n, a) => n + a.topUps.length, 0);
  const started = performance.now();
  const loads = options.accounts.map((a, i) =>
    Load.start({
      gatewayUrl: () => options.platform().urls.gateway,
      apiKey: a.apiKey,
      clients: options.clients ?? 3,
      ...(options.pauseMs === undefined ? {} : { pauseMs: options.pauseMs }),
      tag: `${options.name} a${i}`,
    }),
  );
  const problems: string[] = [];
  let backMs = 0;
  let recoveryMs: number | undefined;
  try {
    await sleep(leadMs);
    const faultAt = performance.now();
    const during = options.during?.();
    await options.inject();
    await options.recover();
    backMs = performance.now() - faultAt;
    // Caught up: everything answered until now is charged (the load goes on meanwhile).
    const answeredByNow = loads.map((l) => l.answeredIds());
    const deadline = Date.now() + catchUpMs;
    for (;;) {
      const done = await Promise.all(
        options.accounts.map((a, i) =>
          allCharged(p, a.id, answeredByNow[i] ?? []).catch(() => false),
        ),
      );
      if (done.every(Boolean)) {
        recoveryMs = performance.now() - faultAt;
        break;
      }
      if (Date.now() > deadline) {
        problems.push(`the books did not catch up within ${catchUpMs} ms of the recovery`);
        break;
      }
      await sleep(250);
    }
    await during;
    // Traffic must flow again after the recovery, not only before the fault.
    const back = performance.now();
    const remaining = minLoadMs - (back - started);
    await sleep(Math.max(remaining, 2_000));
    const answeredAfter = loads.reduce(
      (n, l) => n + l.record().filter((o) => o.kind === 'answered' && o.at > back).length,
      0,
    );
    if (answeredAfter === 0) problems.push('no request was answered after the recovery');
  } finally {
    const records = await Promise.all(loads.map((l) => l.stop()));
    records.forEach((r, i) => options.accounts[i]?.outcomes.push(...r));
  }

  let ledgerEvents = 0;
  let extraCharges = 0;
  for (const a of options.accounts) {
    const books = await checkBooks(p, a, options.price, 30_000);
    ledgerEvents += books.events;
    extraCharges += books.extraCharges;
    problems.push(...books.problems.map((m) => `${a.id}: ${m}`));
  }
  const all = summarize(options.accounts.flatMap((a) => a.outcomes));
  const result: TrialResult = {
    trial: options.name,
    answered: all.answered,
    refused: all.refused,
    unknown: all.unknown,
    topUps: options.accounts.reduce((n, a) => n + a.topUps.length, 0) - topUpsBefore,
    ledgerEvents,
    extraCharges,
    backMs,
    recoveryMs,
    problems,
  };
  recordResult(result, all.refusals, unknownReasons(options.accounts.flatMap((a) => a.outcomes)));
  return result;
}

/**
 * A fresh account with an API key the gateway already knows, funded by one settled top-up
 * (`amountUsd`, plus its bonus), the balance on the ledger before it returns.
 */
export async function fundedAccount(
  p: Platform,
  label: string,
  amountUsd = '50',
): Promise<BooksAccount> {
  const id = `acct_chaos_${randomBytes(4).toString('hex')}_${label}`;
  const token = await p.accountToken(id);
  const res = await fetch(`${p.urls.keys}/v1/accounts/${id}/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `chaos ${label}` }),
  });
  const text = await res.text();
  if (res.status !== 201)
    throw new Error(`creating a key for ${id} answered ${res.status}: ${text}`);
  const apiKey = (JSON.parse(text) as { key: string }).key;
  const account: BooksAccount = { id, token, apiKey, topUps: [], outcomes: [] };
  await p.settleTopUp(id, amountUsd);
  account.topUps.push(new Decimal(amountUsd));
  const expected = new Decimal(amountUsd).mul('1.2');
  await until(`${id} funded with ${expected.toFixed()}`, 60_000, async () => {
    const balance = await getJson<{ total: string }>(
      `${p.urls.ledger}/v1/accounts/${id}/balance`,
      token,
    );
    return money(balance.total).equals(expected);
  });
  // The gateway knows the key (the keys.v1 event, or its lookup): listing models costs nothing.
  await until(`the gateway knows ${id}'s key`, 60_000, async () => {
    const models = await fetch(`${p.urls.gateway}/api/v1/models`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    await models.body?.cancel();
    return models.status === 200;
  });
  return account;
}

export async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `not so within ${timeoutMs} ms: ${what}${last instanceof Error ? ` (${last.message})` : ''}`,
      );
    }
    await sleep(250);
  }
}

// ---- the table ---------------------------------------------------------------------------------

const results: TrialResult[] = [];

/**
 * Keeps a trial's figures for this file's table and, when the chaos reporter runs
 * (CHAOS_RESULTS_FILE), for the table of the whole run.
 */
function recordResult(
  result: TrialResult,
  refusals: Readonly<Record<string, number>>,
  unknown: Readonly<Record<string, number>>,
): void {
  results.push(result);
  const file = process.env.CHAOS_RESULTS_FILE;
  if (file !== undefined && file !== '') {
    appendFileSync(file, `${JSON.stringify({ ...result, refusals, unknownReasons: unknown })}\n`);
  }
}

/** Why the clients could not tell whether a request was served, by reason. */
function unknownReasons(outcomes: readonly Outcome[]): Record<string, number> {
  const reasons: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.kind !== 'unknown') continue;
    const reason = o.reason.slice(0, 60);
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return reasons;
}

export function trialTable(): string {
  return formatTable(results);
}

/** The same table as tools/jest/chaos-reporter.mjs prints (kept in step with it). */
export function formatTable(rows: readonly TrialResult[]): string {
  const header = [
    'trial',
    'answered',
    'refused',
    'unknown (billed)',
    'top-ups',
    'ledger events',
    'back (s)',
    'recovery (s)',
    'books',
  ];
  const body = rows.map((r) => [
    r.trial,
    String(r.answered),
    String(r.refused),
    `${r.unknown} (${r.extraCharges})`,
    String(r.topUps),
    String(r.ledgerEvents),
    (r.backMs / 1000).toFixed(1),
    r.recoveryMs === undefined ? '-' : (r.recoveryMs / 1000).toFixed(1),
    r.problems.length === 0 ? 'exact' : `${r.problems.length} problem(s)`,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
