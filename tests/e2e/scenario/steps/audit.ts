import { expect } from '@jest/globals';
import type { ScenarioContext, Step } from '../context.js';
import { plain } from '../support.js';

/** Every figure explained by the event log, every hash chain intact, every projection a fold. */
export function auditSteps(ctx: ScenarioContext, step: Step): void {
  const { platform, accounts, call, expectJson, settledBalance, auditEvents } = ctx;

  step(
    "keeps every account's balance explained by what it was credited and what it used",
    async () => {
      for (const a of accounts()) {
        const balance = await settledBalance(a);
        expect({ account: a.id, total: balance.total }).toEqual({
          account: a.id,
          total: plain(a.credited.minus(a.spent)),
        });
      }
      expect(accounts()).toHaveLength(8);
    },
  );

  step(
    "verifies every account's hash chain (auditor's route, and audit:verify over the whole log)",
    async () => {
      const p = platform();
      expect(accounts()).toHaveLength(8);
      for (const a of accounts()) {
        const verdict = await expectJson<{ ok: boolean; events: number; headHash: string }>(
          'GET',
          `${p.urls.ledger}/v1/audit/accounts/${a.id}/verify`,
          p.adminToken,
          200,
        );
        expect({ account: a.id, ok: verdict.ok }).toEqual({ account: a.id, ok: true });
        // The verdict is about the history the auditor can read: same length, same head, and
        // each event links to the one before it. An account the ledger never heard of (a
        // referrer whose reward came to nothing) has an empty chain: its head is the genesis hash.
        const genesis = '0'.repeat(64);
        const events = await auditEvents(a);
        expect(verdict.events).toBe(events.length);
        expect(verdict.headHash).toBe(events.at(-1)?.hash ?? genesis);
        expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
        expect(events.slice(0, 1).map((e) => e.prevHash)).toEqual(
          events.slice(0, 1).map(() => genesis),
        );
        const broken = events.filter((e, i) => i > 0 && e.prevHash !== events[i - 1]?.hash);
        expect(broken.map((e) => e.version)).toEqual([]);
        // The auditor's route is admin only.
        const res = await call('GET', `${p.urls.ledger}/v1/audit/accounts/${a.id}/verify`, a.token);
        expect(res.status).toBe(403);
      }
      const cli = await p.auditVerify();
      expect({ exitCode: cli.exitCode, stdout: cli.stdout, stderr: cli.stderr }).toEqual({
        exitCode: 0,
        stdout: expect.stringContaining('hash chains intact'),
        stderr: expect.any(String),
      });
    },
    120_000,
  );

  step(
    'passes projections:verify (projections == fold of the event log)',
    async () => {
      const result = await platform().projectionsVerify();
      expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
        exitCode: 0,
        stdout: expect.stringContaining('projections match the event log'),
        stderr: expect.any(String),
      });
    },
    120_000,
  );
}
