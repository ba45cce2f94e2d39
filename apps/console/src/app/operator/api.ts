import { api } from '../api.js';
import { DEAD_LETTER_SERVICES } from '../endpoints.js';
import type { ProjectionRun, ProjectionsStatus } from '../../lib/projection-runs.js';

export type { ProjectionRun, ProjectionsStatus } from '../../lib/projection-runs.js';

// The operator's routes of docs/CONTRACTS.md (payments' admin credits, the ledger's audit log
// and its projections' runs).

export const CREDIT_TYPES = ['gift', 'compensation', 'referral', 'adjustment'] as const;
export type CreditType = (typeof CREDIT_TYPES)[number];

export interface GrantRequest {
  readonly type: CreditType;
  readonly amount: string;
  readonly reason: string;
  /** The idempotency key: the same reference and body grant once. */
  readonly reference: string;
  readonly expiresAt?: string;
  readonly claimId?: string;
  readonly referredAccountId?: string;
}

export interface GrantedCredit {
  readonly creditId: string;
  readonly accountId: string;
  readonly type: CreditType;
  readonly amount: string;
  readonly reason: string;
  readonly reference: string;
  readonly claimId: string | null;
  readonly createdAt: string;
}

export interface AuditEvent {
  /** The global log position (an int8, as a string). */
  readonly position: string;
  readonly version: number;
  readonly type: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly eventId: string;
  readonly data: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AccountEventsPage {
  readonly accountId: string;
  readonly data: AuditEvent[];
  readonly nextFromVersion: number | null;
}

export interface LogEvent extends AuditEvent {
  readonly streamId: string;
  readonly accountId: string | null;
}

export interface LogPage {
  readonly data: LogEvent[];
  readonly nextCursor: string;
}

export interface ChainVerification {
  readonly accountId: string;
  readonly ok: boolean;
  readonly events: number;
  readonly headHash: string;
  readonly firstBreak?: { readonly version: number; readonly reason: string };
}

export const projectionsStatus = (): Promise<ProjectionsStatus> => api('projectionsStatus', {});

export const startProjectionsVerify = (): Promise<{ readonly runId: string }> =>
  api('startProjectionsVerify', {});

export const projectionRun = (runId: string): Promise<ProjectionRun> =>
  api('projectionRun', { runId });

const account = (accountId: string): string => encodeURIComponent(accountId);

export const grantCredit = (accountId: string, body: GrantRequest): Promise<GrantedCredit> =>
  api('grantCredit', { accountId }, { body });

export const accountEvents = (accountId: string, fromVersion: number): Promise<AccountEventsPage> =>
  api('accountEvents', { accountId }, { query: { fromVersion, limit: 50 } });

export const verifyChain = (accountId: string): Promise<ChainVerification> =>
  api('verifyChain', { accountId });

export const globalLog = (after: string | undefined): Promise<LogPage> =>
  api('globalLog', {}, { query: { limit: 50, after } });

/** The account page's path, for links. */
export const accountHref = (accountId: string, rest = ''): string =>
  `/operator/accounts/${account(accountId)}${rest}`;

// The dead-letter desk (docs/CONTRACTS.md, "Dead letters"): each service serves its own
// consumers' dead letters; the gateway serves none.

export { DEAD_LETTER_SERVICES };
export type DeadLetterService = (typeof DEAD_LETTER_SERVICES)[number];
export type DeadLetterState = 'pending' | 'replayed' | 'all';

export interface DeadLetter {
  readonly id: string;
  readonly service: DeadLetterService;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly reason: string;
  readonly error: string | null;
  readonly deadLetteredAt: string;
  readonly consumerGroup: string;
  readonly replayedAt: string | null;
  readonly replayOutcome: 'applied' | 'duplicate' | null;
  readonly payload: string | null;
  readonly payloadTruncated: boolean;
}

export interface DeadLetterCount {
  readonly topic: string;
  readonly consumerGroup: string;
  readonly pending: number;
  readonly replayed: number;
}

export interface DeadLetterPage {
  readonly service: DeadLetterService;
  readonly data: DeadLetter[];
  readonly nextCursor: string | null;
  readonly counts: DeadLetterCount[];
}

export interface DeadLetterReplay {
  readonly id: string;
  readonly outcome: 'applied' | 'duplicate';
  readonly replayedAt: string;
}

export const deadLetters = (
  service: DeadLetterService,
  query: {
    readonly state: DeadLetterState;
    readonly topic?: string;
    readonly limit?: number;
    readonly cursor?: string;
  },
): Promise<DeadLetterPage> =>
  api(
    'deadLetters',
    { service },
    {
      query: {
        state: query.state,
        limit: query.limit ?? 50,
        topic: query.topic,
        cursor: query.cursor,
      },
    },
  );

export const replayDeadLetter = (
  service: DeadLetterService,
  id: string,
): Promise<DeadLetterReplay> => api('replayDeadLetter', { service, id });
