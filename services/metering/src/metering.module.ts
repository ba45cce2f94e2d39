import { CqrsModule } from '@nestjs/cqrs';
import { ServiceModule } from '@billing/service-kit';
import { EvaluateInsuranceHandler } from './commands/evaluate-insurance/evaluate-insurance.handler.js';
import { InsuranceScheduler } from './commands/evaluate-insurance/insurance-scheduler.js';
import { RecordUsageHandler } from './commands/record-usage/record-usage.handler.js';
import { SetModelPriceHandler } from './commands/set-model-price/set-model-price.handler.js';
import { ClaimsController } from './http/claims.controller.js';
import { ModelsController } from './http/models.controller.js';
import { RequestsController } from './http/requests.controller.js';
import { UsageController } from './http/usage.controller.js';
import { InsuranceStore } from './infrastructure/insurance-store.js';
import { CatalogStore } from './infrastructure/catalog-store.js';
import { MeteringMetrics } from './infrastructure/metering-metrics.js';
import { UsageRecorder } from './infrastructure/usage-recorder.js';
import { METERING_OPTIONS, resolveMeteringOptions } from './metering.options.js';
import { MeteringRuntime } from './metering.runtime.js';
import { MeteringMessaging } from './messaging/metering-messaging.js';
import { ListClaimsHandler } from './queries/list-claims/list-claims.handler.js';
import { ListModelsHandler } from './queries/list-models/list-models.handler.js';
import { ListRequestsHandler } from './queries/list-requests/list-requests.handler.js';

/**
 * Metering: the price catalog, pricing of usage to the nano-dollar, request logs, and the AI
 * insurance evaluated over them.
 */
export class MeteringModule extends ServiceModule({
  service: 'metering',
  options: { token: METERING_OPTIONS, resolve: resolveMeteringOptions },
  parts: () => ({
    imports: [CqrsModule.forRoot()],
    controllers: [ModelsController, UsageController, RequestsController, ClaimsController],
    providers: [
      CatalogStore,
      UsageRecorder,
      InsuranceStore,
      InsuranceScheduler,
      MeteringMetrics,
      MeteringMessaging,
      MeteringRuntime,
      RecordUsageHandler,
      SetModelPriceHandler,
      EvaluateInsuranceHandler,
      ListModelsHandler,
      ListClaimsHandler,
      ListRequestsHandler,
    ],
  }),
}) {}
