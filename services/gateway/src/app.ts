import 'reflect-metadata';
import { configureApp } from '@billing/service-kit';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { GatewayModuleOptions } from './gateway.options.js';
import { GatewayModule } from './gateway.module.js';
import { GatewayErrorFilter } from './http/gateway-error.filter.js';

/**
 * Prompts can be long (a 400k-token context is well over a megabyte of text, more with images as
 * data URLs); Express's default JSON limit of 100 kB would refuse them.
 */
export const MAX_BODY = '32mb';

/**
 * The gateway as a configured Nest application, not yet listening: `main.ts` listens on PORT,
 * tests and the bench on port 0.
 */
export async function createGatewayApp(
  options: GatewayModuleOptions,
  logger: LogLevel[] | false = ['log', 'warn', 'error'],
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(options), {
    logger,
  });
  app.useBodyParser('json', { limit: MAX_BODY });
  configureApp(app, 'gateway');
  // Registered after configureApp's filter, so it is the one Nest consults first.
  app.useGlobalFilters(new GatewayErrorFilter());
  return app;
}
