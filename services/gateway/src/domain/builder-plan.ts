// The Builder plan at the gateway (issue #17): which models a `builder` key may call, the windows
// its requests are counted in, and the answers when it may not. Pure: the clock comes in as
// `nowMs`, the counting itself is a port (`PlanRequestCounter`) the database implements, so that
// the limits hold across every gateway instance. Pay-as-you-go keys never come here: no limit.
import type { ApiKeyPlan } from '@billing/contracts';
import type { GatewayFailure } from './errors.js';

export interface BuilderPlanSettings {
  /** Requests admitted per key in one UTC minute (`BUILDER_RPM`). */
  readonly requestsPerMinute: number;
  /** Requests admitted per key in one UTC week, Monday 00:00 on (`BUILDER_WEEKLY_REQUESTS`). */
  readonly weeklyRequests: number;
  /** The models a builder key may call (`BUILDER_MODELS`): see `parseBuilderModels`. */
  readonly models: BuilderModels;
}

/** Exact model ids and id prefixes (`sim/*`); `all` when the list is `*`. */
export interface BuilderModels {
  readonly all: boolean;
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

export const DEFAULT_BUILDER_PLAN = {
  requestsPerMinute: 15,
  weeklyRequests: 2_000,
  models: '*',
} as const;

/**
 * `BUILDER_MODELS`: a comma-separated list of model ids, each either exact (`sim/echo-1`) or a
 * prefix ending in `*` (`sim/*`); `*` alone allows every model of the catalog. Blank entries are
 * ignored; an empty list allows no model at all.
 */
export function parseBuilderModels(text: string): BuilderModels {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  return {
    all: entries.includes('*'),
    exact: new Set(entries.filter((e) => !e.endsWith('*'))),
    prefixes: entries.filter((e) => e.endsWith('*') && e !== '*').map((e) => e.slice(0, -1)),
  };
}

export function builderModelAllowed(models: BuilderModels, model: string): boolean {
  return models.all || models.exact.has(model) || models.prefixes.some((p) => model.startsWith(p));
}

/** A counting window: `[startMs, endMs)`. */
export interface PlanWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface PlanWindows {
  readonly minute: PlanWindow;
  readonly week: PlanWindow;
}

export type PlanWindowKind = keyof PlanWindows;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/**
 * The fixed windows `nowMs` falls in: its UTC minute, and its UTC week from Monday 00:00 (the ISO
 * week; 1970-01-01 was a Thursday, three days after a Monday). Fixed windows, not sliding: a key
 * can send up to twice its per-minute limit across one minute boundary, the usual trade for one
 * counter row per window (and the answer's Retry-After is exact: the window's end).
 */
export function planWindows(nowMs: number): PlanWindows {
  const minuteStart = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const day = Math.floor(nowMs / DAY_MS);
  const weekStart = (day - ((((day + 3) % 7) + 7) % 7)) * DAY_MS;
  return {
    minute: { startMs: minuteStart, endMs: minuteStart + MINUTE_MS },
    week: { startMs: weekStart, endMs: weekStart + WEEK_MS },
  };
}

/** Whole seconds until `window` ends, at least 1 (the value of `Retry-After`). */
export function retryAfterSeconds(window: PlanWindow, nowMs: number): number {
  return Math.max(1, Math.ceil((window.endMs - nowMs) / 1000));
}

/** What counting one more request of a key did: admitted, or refused by the first full window. */
export type PlanCount =
  | { readonly admitted: true; readonly minute: number; readonly week: number }
  | { readonly admitted: false; readonly window: PlanWindowKind };

/**
 * The shared counter (PostgreSQL in production): counts one request of `apiKeyId` in both windows
 * if, and only if, neither is full; a refused request counts in neither. Atomic across every
 * gateway instance.
 */
export interface PlanRequestCounter {
  count(
    apiKeyId: string,
    windows: PlanWindows,
    limits: { readonly minute: number; readonly week: number },
  ): Promise<PlanCount>;
}

/** Does the plan of the key have limits at all? Pay-as-you-go keys never do. */
export const isLimitedPlan = (plan: ApiKeyPlan): plan is 'builder' => plan === 'builder';

/** The 429 of a full window, in the OpenAI shape, with the seconds until it ends. */
export function planLimitFailure(
  window: PlanWindowKind,
  settings: BuilderPlanSettings,
  windows: PlanWindows,
  nowMs: number,
): GatewayFailure {
  const retryAfter = retryAfterSeconds(windows[window], nowMs);
  return window === 'minute'
    ? {
        status: 429,
        type: 'requests',
        code: 'rate_limit_exceeded',
        param: null,
        retryAfterSeconds: retryAfter,
        message:
          `Rate limit reached: this Builder plan key may send ${settings.requestsPerMinute} ` +
          `requests per minute. Try again in ${retryAfter}s, or use a pay-as-you-go key (no rate limit).`,
      }
    : {
        status: 429,
        type: 'requests',
        code: 'weekly_limit_exceeded',
        param: null,
        retryAfterSeconds: retryAfter,
        message:
          `Weekly limit reached: this Builder plan key may send ${settings.weeklyRequests} ` +
          `requests per week (from Monday 00:00 UTC). It resets at ` +
          `${new Date(windows.week.endMs).toISOString()}; a pay-as-you-go key has no limit.`,
      };
}

/**
 * 403 for a model the Builder plan does not include. Not 404 `model_not_found`: the model exists
 * (a pay-as-you-go key can call it), and the caller should learn that the key's plan is what
 * stands in the way, not that the model id is wrong.
 */
export function modelNotInPlanFailure(model: string): GatewayFailure {
  return {
    status: 403,
    type: 'invalid_request_error',
    code: 'model_not_in_plan',
    param: 'model',
    message:
      `The model \`${model}\` is not included in the Builder plan of this API key; ` +
      'call it with a pay-as-you-go key.',
  };
}
