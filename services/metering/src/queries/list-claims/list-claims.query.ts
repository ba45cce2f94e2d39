import { Query } from '@nestjs/cqrs';

/** A request a claim compensates, as the request log has it. */
export interface ClaimRequestView {
  readonly requestId: string;
  readonly model: string;
  readonly status: string;
  /** What the request was charged, a decimal USD string. */
  readonly cost: string;
  /** Time to first token in ms; null when not streamed. */
  readonly ttftMs: number | null;
  readonly startedAt: string;
  readonly completedAt: string;
}

/** One AI-insurance claim, as the customer sees it. */
export interface ClaimView {
  readonly claimId: string;
  /** The compensation credited (CompensationIssued.compensationId; the history's row). */
  readonly compensationId: string;
  readonly rule: string;
  readonly policyVersion: string;
  /** What the claim credited, a decimal USD string. */
  readonly amount: string;
  readonly reason: string;
  readonly requestIds: readonly string[];
  readonly requests: readonly ClaimRequestView[];
  readonly issuedAt: string;
}

export interface ClaimPage {
  /** Newest first (by issue time, then claim id). */
  readonly data: readonly ClaimView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** `GET /v1/accounts/{accountId}/claims?limit=&cursor=` */
export class ListClaimsQuery extends Query<ClaimPage> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
