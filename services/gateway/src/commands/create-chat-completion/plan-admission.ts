import {
  builderModelAllowed,
  isLimitedPlan,
  modelNotInPlanFailure,
  ok,
  fail,
  planLimitFailure,
  planWindows,
  type BuilderPlanSettings,
  type Caller,
  type PlanRequestCounter,
  type Result,
} from '../../domain/index.js';

/**
 * The Builder plan's part of admitting a request (issue #17), kept apart from the balance's: a
 * `payg` caller passes at once (no limit, no I/O); a `builder` caller is refused a model its plan
 * does not include (403, nothing counted), then counted in its minute and week on the shared
 * counter, and refused with 429 and `Retry-After` when either is full. A builder request that
 * passes places no hold: the subscription pays for it, not the balance.
 */
export class PlanAdmission {
  constructor(
    private readonly settings: BuilderPlanSettings,
    private readonly counter: PlanRequestCounter,
  ) {}

  /** @throws when the counter cannot be reached (the caller answers 503). */
  async admit(caller: Caller, model: string, nowMs: number): Promise<Result<void>> {
    if (!isLimitedPlan(caller.plan)) return ok(undefined);
    if (!builderModelAllowed(this.settings.models, model)) {
      return fail(modelNotInPlanFailure(model));
    }
    const windows = planWindows(nowMs);
    const counted = await this.counter.count(caller.apiKeyId, windows, {
      minute: this.settings.requestsPerMinute,
      week: this.settings.weeklyRequests,
    });
    return counted.admitted
      ? ok(undefined)
      : fail(planLimitFailure(counted.window, this.settings, windows, nowMs));
  }
}
