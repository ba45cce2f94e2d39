import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceKitModule } from '@billing/service-kit';
import type { KeysEnv } from './config.js';

@Module({})
export class KeysModule {
  static forRoot(env: KeysEnv): DynamicModule {
    return {
      module: KeysModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'keys',
          databaseUrl: env.DATABASE_URL,
          auth: { adminToken: env.ADMIN_TOKEN, consoleJwtSecret: env.CONSOLE_JWT_SECRET },
        }),
      ],
    };
  }
}
