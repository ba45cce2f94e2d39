import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { ListAlertDeliveriesQuery, type AlertDeliveryView } from './list-alert-deliveries.query.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

@QueryHandler(ListAlertDeliveriesQuery)
export class ListAlertDeliveriesHandler implements IQueryHandler<ListAlertDeliveriesQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({ accountId, limit }: ListAlertDeliveriesQuery): Promise<{
    data: AlertDeliveryView[];
  }> {
    const rows = await this.store.lowBalanceAlerts.list(this.store.pool, accountId, limit);
    return {
      data: rows.map((r) => ({
        id: r.deliveryId,
        alertId: r.alertId,
        channel: r.channel,
        status: r.status,
        attempts: r.attempts,
        lastError: r.lastError,
        responseStatus: r.responseStatus,
        nextAttemptAt: iso(r.nextAttemptAtMs),
        createdAt: new Date(r.createdAtMs).toISOString(),
        deliveredAt: iso(r.deliveredAtMs),
      })),
    };
  }
}
