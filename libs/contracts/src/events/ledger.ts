// `ledger.v1`: the ledger announces an account's balance after every change, so the gateway
// (balance cache) and payments (auto top-up) never read the ledger's tables.
import type { UsdString } from '../envelope.js';
import { Id, Money, Nested, TokenCount } from '../rules.js';

export interface BalanceChangeCause {
  /** The event or command type that changed the balance, e.g. "UsageRecorded". */
  readonly type: string;
  readonly id: string;
}

export interface BalanceChangedV1Data {
  readonly total: UsdString;
  readonly topUp: UsdString;
  readonly bonusAndCompensation: UsdString;
  readonly held: UsdString;
  readonly available: UsdString;
  /** The account stream version after the change: a consumer keeps the highest it has seen. */
  readonly version: number;
  readonly cause: BalanceChangeCause;
}

export type BalanceChangedData = BalanceChangedV1Data;

// Declared before BalanceChangedV1Dto: decorator metadata refers to it when that class is defined.
export class BalanceChangeCauseDto implements BalanceChangeCause {
  @Id() type!: string;
  @Id() id!: string;
}

/** Balances may have any sign (an overdraft after an estimated charge is possible). */
export class BalanceChangedV1Dto implements BalanceChangedV1Data {
  @Money('any') total!: string;
  @Money('any') topUp!: string;
  @Money('any') bonusAndCompensation!: string;
  @Money('any') held!: string;
  @Money('any') available!: string;
  @TokenCount() version!: number;
  @Nested(() => BalanceChangeCauseDto) cause!: BalanceChangeCauseDto;
}
