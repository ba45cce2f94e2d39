import { Query } from '@nestjs/cqrs';
import type {
  AlertChannel,
  AlertDeliveryStatus,
} from '../../infrastructure/alerts/low-balance-alert-repository.js';

export interface AlertDeliveryView {
  readonly id: string;
  readonly alertId: string;
  readonly channel: AlertChannel;
  readonly status: AlertDeliveryStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  /** The receiver's HTTP status of the last webhook attempt (null for e-mail, or no answer). */
  readonly responseStatus: number | null;
  /** The next attempt, while pending. */
  readonly nextAttemptAt: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
}

/** `GET /v1/accounts/{accountId}/low-balance-alert/deliveries`: the delivery log, newest first. */
export class ListAlertDeliveriesQuery extends Query<{ data: AlertDeliveryView[] }> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
  ) {
    super();
  }
}
