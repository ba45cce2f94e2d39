import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceKitModule } from '@billing/service-kit';
import type { MeteringEnv } from './config.js';

@Module({})
export class MeteringModule {
  static forRoot(env: MeteringEnv): DynamicModule {
    return {
      module: MeteringModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'metering',
          databaseUrl: env.DATABASE_URL,
          auth: { adminToken: env.ADMIN_TOKEN, consoleJwtSecret: env.CONSOLE_JWT_SECRET },
        }),
      ],
    };
  }
}
