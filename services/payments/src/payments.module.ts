import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceKitModule } from '@billing/service-kit';
import type { PaymentsEnv } from './config.js';

@Module({})
export class PaymentsModule {
  static forRoot(env: PaymentsEnv): DynamicModule {
    return {
      module: PaymentsModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'payments',
          databaseUrl: env.DATABASE_URL,
          auth: { adminToken: env.ADMIN_TOKEN, consoleJwtSecret: env.CONSOLE_JWT_SECRET },
        }),
      ],
    };
  }
}
