import { it } from '@jest/globals';
import type { Platform } from './platform.js';
import { createScenarioContext, type Step } from './scenario/context.js';
import { auditSteps } from './scenario/steps/audit.js';
import { billingSteps } from './scenario/steps/billing.js';
import { chatSteps } from './scenario/steps/chat.js';
import { insuranceSteps } from './scenario/steps/insurance.js';
import { keysSteps } from './scenario/steps/keys.js';
import { limitsSteps } from './scenario/steps/limits.js';
import { onboardingSteps } from './scenario/steps/onboarding.js';
import { referralSteps } from './scenario/steps/referrals.js';

/**
 * The billing scenario of issue 7, driven only through the platform's public surfaces: the
 * management HTTP APIs with account and admin tokens, signed Stripe webhooks, the official
 * `openai` client against the gateway, and the ledger's ops CLI. It registers one `it` per step,
 * in order, so a report reads as the story of one customer (and three smaller accounts for the
 * edges: the bonus/top-up boundary, an exhausted balance, a burst of concurrent requests).
 *
 * `platform` is a getter because the steps are registered when the file is collected, before
 * `beforeAll` has started anything.
 *
 * Every amount the platform shows is checked against a figure this file computes on its own: the
 * list price of `sim/echo-1` read from metering's public catalog, times the tokens the gateway
 * reported to the client, in decimal.js, rounded once per request half-up to the nano-dollar
 * (the rule of DESIGN.md "Money"), never with the platform's money code.
 */

export interface ScenarioRun {
  /** Whether any step failed so far (a harness keeps the logs then). */
  failed(): boolean;
}

/**
 * Registers the steps in the order of the story: `scenario/context.ts` holds what they share,
 * `scenario/steps/` the steps by chapter, `scenario/support.ts` the scenario's own arithmetic.
 */
export function runBillingScenario(platform: () => Platform): ScenarioRun {
  let failures = 0;
  /**
   * One step of the story. A failing step carries the tail of every process's log in its
   * message, where the cause of an asynchronous failure usually is.
   */
  const step: Step = (name, fn, timeoutMs) => {
    it(
      name,
      async () => {
        try {
          await fn();
        } catch (err) {
          failures++;
          let tail = '';
          try {
            tail = platform().logTail(25);
          } catch {
            tail = '(no platform)';
          }
          if (err instanceof Error) {
            err.message = `${err.message}\n\n--- platform logs (last lines) ---\n${tail}`;
            throw err;
          }
          throw new Error(`${String(err)}\n\n--- platform logs (last lines) ---\n${tail}`);
        }
      },
      timeoutMs,
    );
  };

  const ctx = createScenarioContext(platform);
  onboardingSteps(ctx, step);
  chatSteps(ctx, step);
  billingSteps(ctx, step);
  keysSteps(ctx, step);
  limitsSteps(ctx, step);
  referralSteps(ctx, step);
  insuranceSteps(ctx, step);
  auditSteps(ctx, step);

  return { failed: () => failures > 0 };
}
