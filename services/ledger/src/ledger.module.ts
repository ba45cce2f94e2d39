import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceKitModule } from '@billing/service-kit';
import type { LedgerEnv } from './config.js';

@Module({})
export class LedgerModule {
  static forRoot(env: LedgerEnv): DynamicModule {
    return {
      module: LedgerModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'ledger',
          databaseUrl: env.DATABASE_URL,
          auth: { adminToken: env.ADMIN_TOKEN, consoleJwtSecret: env.CONSOLE_JWT_SECRET },
        }),
      ],
    };
  }
}
