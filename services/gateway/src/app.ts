import 'reflect-metadata';
import { configureApp } from '@billing/service-kit';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { errorBody, failures } from './domain/index.js';
import type { GatewayModuleOptions } from './gateway.options.js';
import { GatewayModule } from './gateway.module.js';
import { GatewayErrorFilter } from './http/gateway-error.filter.js';

/**
 * The gateway as a configured Nest application, not yet listening: `main.ts` listens on PORT,
 * tests and the bench on port 0.
 */
export async function createGatewayApp(
  options: GatewayModuleOptions,
  logger: LogLevel[] | false = ['log', 'warn', 'error'],
): Promise<NestExpressApplication> {
  // No body parser: the one route with a body reads it itself, after the API key was checked,
  // within MAX_BODY_BYTES, parsing large bodies off the event loop (ChatCompletionsController).
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(options), {
    logger,
    bodyParser: false,
  });
  configureApp(app, 'gateway', {
    refuseWhileDraining: (res) => {
      const failure = failures.shuttingDown();
      res.status(failure.status).json(errorBody(failure));
    },
  });
  // Registered after configureApp's filter, so it is the one Nest consults first.
  app.useGlobalFilters(new GatewayErrorFilter());
  return app;
}
