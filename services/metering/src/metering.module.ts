import { CqrsModule } from '@nestjs/cqrs';
import { ServiceModule } from '@billing/service-kit';
import { RecordUsageHandler } from './commands/record-usage/record-usage.handler.js';
import { SetModelPriceHandler } from './commands/set-model-price/set-model-price.handler.js';
import { ModelsController } from './http/models.controller.js';
import { RequestsController } from './http/requests.controller.js';
import { UsageController } from './http/usage.controller.js';
import { CatalogStore } from './infrastructure/catalog-store.js';
import { MeteringMetrics } from './infrastructure/metering-metrics.js';
import { UsageRecorder } from './infrastructure/usage-recorder.js';
import { METERING_OPTIONS, resolveMeteringOptions } from './metering.options.js';
import { MeteringRuntime } from './metering.runtime.js';
import { MeteringMessaging } from './messaging/metering-messaging.js';
import { ListModelsHandler } from './queries/list-models/list-models.handler.js';
import { ListRequestsHandler } from './queries/list-requests/list-requests.handler.js';

/** Metering: the price catalog, pricing of usage to the nano-dollar, request logs. */
export class MeteringModule extends ServiceModule({
  service: 'metering',
  options: { token: METERING_OPTIONS, resolve: resolveMeteringOptions },
  parts: () => ({
    imports: [CqrsModule.forRoot()],
    controllers: [ModelsController, UsageController, RequestsController],
    providers: [
      CatalogStore,
      UsageRecorder,
      MeteringMetrics,
      MeteringMessaging,
      MeteringRuntime,
      RecordUsageHandler,
      SetModelPriceHandler,
      ListModelsHandler,
      ListRequestsHandler,
    ],
  }),
}) {}
