import { CqrsModule } from '@nestjs/cqrs';
import { ServiceModule } from '@billing/service-kit';
import { CreateApiKeyHandler } from './commands/create-api-key/create-api-key.handler.js';
import { DeleteApiKeyHandler } from './commands/delete-api-key/delete-api-key.handler.js';
import { ApplyBuilderSubscriptionChangeHandler } from './commands/apply-builder-subscription-change/apply-builder-subscription-change.handler.js';
import { RecordKeyUsageHandler } from './commands/record-key-usage/record-key-usage.handler.js';
import { RevealApiKeyHandler } from './commands/reveal-api-key/reveal-api-key.handler.js';
import { UpdateApiKeyHandler } from './commands/update-api-key/update-api-key.handler.js';
import { SetBuilderSubscriptionHandler } from './commands/set-builder-subscription/set-builder-subscription.handler.js';
import { ApiKeysController } from './http/api-keys.controller.js';
import { BuilderSubscriptionsController } from './http/builder-subscriptions.controller.js';
import { InternalKeysController } from './http/internal-keys.controller.js';
import { ApiKeyStore } from './infrastructure/api-key-store.js';
import { KEYS_OPTIONS, resolveKeysOptions } from './keys.options.js';
import { KeysRuntime } from './keys.runtime.js';
import { KeysMessaging } from './messaging/keys-messaging.js';
import { GetApiKeyHandler } from './queries/get-api-key/get-api-key.handler.js';
import { ListApiKeysHandler } from './queries/list-api-keys/list-api-keys.handler.js';

/** The keys service: API key lifecycle over HTTP, `keys.v1` out, `usage.recorded.v1` in. */
export class KeysModule extends ServiceModule({
  service: 'keys',
  options: { token: KEYS_OPTIONS, resolve: resolveKeysOptions },
  parts: () => ({
    imports: [CqrsModule.forRoot()],
    controllers: [ApiKeysController, InternalKeysController, BuilderSubscriptionsController],
    providers: [
      ApiKeyStore,
      KeysMessaging,
      KeysRuntime,
      CreateApiKeyHandler,
      UpdateApiKeyHandler,
      DeleteApiKeyHandler,
      RevealApiKeyHandler,
      RecordKeyUsageHandler,
      ApplyBuilderSubscriptionChangeHandler,
      SetBuilderSubscriptionHandler,
      ListApiKeysHandler,
      GetApiKeyHandler,
    ],
  }),
}) {}
