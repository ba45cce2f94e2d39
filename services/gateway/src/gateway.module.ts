import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceKitModule } from '@billing/service-kit';
import type { GatewayEnv } from './config.js';

@Module({})
export class GatewayModule {
  static forRoot(env: GatewayEnv): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'gateway',
          databaseUrl: env.DATABASE_URL,
          auth: { adminToken: env.ADMIN_TOKEN },
        }),
      ],
    };
  }
}
