import { spawn } from 'node:child_process';
// tests/e2e is not an Nx project, so the rule cannot tell these imports apart from stray ones.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the shared end-to-end Platform
import type { CommandResult, Platform, SettledTopUp } from '../../../../tests/e2e/platform.js';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the shared end-to-end Platform
import { mintAccountToken } from '../../../../tests/e2e/platform.js';
import { REPO_ROOT } from '../config.js';
import { StandaloneProcess, type Banner } from './standalone-process.js';

/**
 * The end-to-end scenario's view of the standalone mode (tests/e2e/platform.ts): every service
 * at the one base URL, top-ups settled by the simulated payment provider (no Stripe, no
 * webhooks), the ops CLI pointed at the embedded database through its socket in the data folder.
 */
export class StandalonePlatform implements Platform {
  readonly mode = 'standalone' as const;
  /** Started without REFERRAL_REWARD_*: referrals are recorded, nothing is paid. */
  readonly referralReward = null;
  readonly urls: Platform['urls'];
  readonly adminToken: string;

  constructor(
    private readonly process: StandaloneProcess,
    banner: Banner,
  ) {
    const url = banner.baseUrl.replace('localhost', '127.0.0.1');
    this.urls = { gateway: url, keys: url, metering: url, ledger: url, payments: url };
    this.adminToken = banner.adminToken;
  }

  accountToken(accountId: string, ttlSeconds?: number): Promise<string> {
    return mintAccountToken(this.process.secrets().CONSOLE_JWT_SECRET, accountId, ttlSeconds);
  }

  /** `POST /top-ups`: the simulated provider settles it at once; its answer is the settlement. */
  async settleTopUp(accountId: string, amountUsd: string): Promise<SettledTopUp> {
    const token = await this.accountToken(accountId);
    const res = await fetch(`${this.urls.payments}/v1/accounts/${accountId}/top-ups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: amountUsd, method: 'card' }),
    });
    const body = await res.text();
    if (res.status !== 201) {
      throw new Error(`POST /v1/accounts/${accountId}/top-ups answered ${res.status}: ${body}`);
    }
    const created = JSON.parse(body) as { topUpId: string };
    return { topUpId: created.topUpId, settlement: { status: res.status, body } };
  }

  projectionsVerify(): Promise<CommandResult> {
    return this.ops(['projections:verify', '--schema', 'ledger']);
  }

  auditVerify(accountId?: string): Promise<CommandResult> {
    return this.ops([
      'audit:verify',
      '--schema',
      'ledger',
      ...(accountId === undefined ? [] : ['--account', accountId]),
    ]);
  }

  logTail(lines?: number): string {
    return this.process.logTail(lines);
  }

  /** `npm run ops -- ...` against the running process's embedded database. */
  private ops(args: string[]): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', '@swc-node/register/esm-register', 'tools/ops/src/main.ts', ...args],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, DATABASE_URL: this.process.databaseUrl() },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
    });
  }
}
