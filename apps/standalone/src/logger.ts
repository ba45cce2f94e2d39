import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** Nest's own start-up lines: five applications would print a few hundred of them. */
const FRAMEWORK_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/**
 * The logger of all five applications (Nest's logger is process-wide): the services' own lines
 * as usual, Nest's start-up chatter only with STANDALONE_VERBOSE=1. Nothing here prints a secret;
 * the only place the standalone mode shows them is the banner.
 */
export class StandaloneLogger extends ConsoleLogger {
  constructor(private readonly frameworkLines: boolean) {
    super({ prefix: 'billing', colors: process.stdout.isTTY === true });
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    if (
      !this.frameworkLines &&
      logLevel === 'log' &&
      context !== undefined &&
      FRAMEWORK_CONTEXTS.has(context)
    ) {
      return;
    }
    super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
  }
}
