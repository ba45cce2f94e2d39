import { Writable } from 'node:stream';
import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { pino, type DestinationStream, type Level, type Logger as Pino } from 'pino';
import { currentRequestContext, currentTraceId } from './context.js';
import { redactError, redactText, redactValue } from './redact.js';

export interface LoggerSettings {
  /** The `service` field of lines written outside a request (inside one, the request's service). */
  readonly service: string;
  /** Lowest level written (`LOG_LEVEL`; default `info`). */
  readonly level?: string;
  /**
   * Human-readable lines instead of JSON. Default: only when stdout is a terminal or
   * `LOG_PRETTY=1`; files, pipes and collectors always get one JSON object per line.
   */
  readonly pretty?: boolean;
  /** Where lines go (default: stdout, written synchronously so a crash loses none). */
  readonly destination?: DestinationStream;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** `LOG_LEVEL` when it names a level, else `undefined`. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const level = env.LOG_LEVEL?.trim().toLowerCase();
  return level !== undefined && LEVELS.has(level) ? level : undefined;
}

export function prettyFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LOG_PRETTY === '1' || env.LOG_PRETTY === 'true') return true;
  if (env.LOG_PRETTY === '0' || env.LOG_PRETTY === 'false') return false;
  return process.stdout.isTTY === true;
}

/**
 * The platform's logger: pino, one JSON object per line with `level` (its name), `time` (ISO
 * 8601), `service`, and inside an HTTP request `requestId`, `accountId` once known and `traceId`
 * while a trace is active; every secret redacted (redact.ts) from the message and every field.
 */
export function createLogger(settings: LoggerSettings): Pino {
  const pretty = settings.pretty ?? prettyFromEnv();
  return pino(
    {
      level: settings.level ?? logLevelFromEnv() ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactValue(object) as Record<string, unknown>,
      },
      mixin: () => {
        const request = currentRequestContext();
        const traceId = currentTraceId();
        return {
          service: request?.service ?? settings.service,
          ...(request === undefined
            ? {}
            : {
                requestId: request.requestId,
                ...(request.accountId === undefined ? {} : { accountId: request.accountId }),
              }),
          ...(traceId === undefined ? {} : { traceId }),
        };
      },
      hooks: {
        // The message and its format arguments: formatters.log sees only the fields.
        logMethod(args, method) {
          const redacted = args.map((a: unknown) =>
            typeof a === 'string' ? redactText(a) : a instanceof Error ? redactError(a) : a,
          ) as Parameters<typeof method>;
          method.apply(this, redacted);
        },
      },
    },
    settings.destination ?? (pretty ? prettyStream() : pino.destination({ fd: 1, sync: true })),
  );
}

const PRETTY_COLOURS: Record<string, string> = {
  trace: '90',
  debug: '90',
  info: '32',
  warn: '33',
  error: '31',
  fatal: '35',
};

/** For a developer's terminal: `12:00:01.234 INFO  ledger [Ledger] message {fields}`. */
function prettyStream(): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        process.stdout.write(`${prettyLine(line)}\n`);
      }
      callback();
    },
  });
}

export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, service, context, msg, ...fields } = entry;
  const name = typeof level === 'string' ? level : 'info';
  const colour = PRETTY_COLOURS[name] ?? '0';
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const where = typeof context === 'string' ? ` [${context}]` : '';
  const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  return (
    `${clock} \u001b[${colour}m${name.toUpperCase().padEnd(5)}\u001b[0m ${String(service)}` +
    `${where} ${typeof msg === 'string' ? msg : ''}${rest}`
  );
}

/** Nest's start-up chatter: a few hundred lines per application, written at debug only. */
const FRAMEWORK_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

const NEST_TO_PINO: Record<LogLevel, Level> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};
const PINO_ORDER: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * Nest's `LoggerService` on pino, so that every `new Logger(context)` of the services writes the
 * platform's JSON lines with `context`. A message that is an object with `msg` (what
 * `nestMessagingLogger` sends) keeps its other properties as fields.
 */
export class PinoNestLogger implements LoggerService {
  private readonly frameworkLevel: Level;

  constructor(
    readonly pino: Pino,
    options: { readonly frameworkLines?: boolean } = {},
  ) {
    this.frameworkLevel = options.frameworkLines === true ? 'info' : 'debug';
  }

  // Each of Nest's levels writes at its pino level (NEST_TO_PINO).
  readonly log = this.writer('log');
  readonly error = this.writer('error');
  readonly warn = this.writer('warn');
  readonly debug = this.writer('debug');
  readonly verbose = this.writer('verbose');
  readonly fatal = this.writer('fatal');

  /**
   * Nest's `logger: ['log', 'warn', 'error']`: the lowest level listed. `LOG_LEVEL` in the
   * environment wins: it is the operator's choice.
   */
  setLogLevels(levels: LogLevel[]): void {
    if (logLevelFromEnv() !== undefined) return;
    const lowest = PINO_ORDER.find((l) => levels.some((n) => NEST_TO_PINO[n] === l));
    this.pino.level = lowest ?? 'silent';
  }

  private writer(level: LogLevel): (message: unknown, ...params: unknown[]) => void {
    const pinoLevel = NEST_TO_PINO[level];
    return (message, ...params) => this.write(pinoLevel, message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const rest = [...params];
    // Nest appends the logger's context last; `error` puts the stack (or undefined) before it.
    const last = rest.at(-1);
    let context: string | undefined;
    if (typeof last === 'string' && !isStack(last)) {
      context = last;
      rest.pop();
    }
    if (context !== undefined && level === 'info' && FRAMEWORK_CONTEXTS.has(context)) {
      level = this.frameworkLevel;
    }
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    const stack = rest.find((p): p is string => typeof p === 'string');
    if (stack !== undefined) fields.stack = stack;
    let text: string;
    if (message instanceof Error) {
      fields.err = message;
      text = message.message;
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...more } = message as Record<string, unknown>;
      Object.assign(fields, more);
      text = typeof msg === 'string' ? msg : '';
    } else {
      text = String(message);
    }
    this.pino[level](fields, text);
  }
}

function isStack(text: string): boolean {
  return text.includes('\n    at ');
}

let root: PinoNestLogger | undefined;
let fallback: Pino | undefined;

/**
 * Makes pino the process's logger: Nest's (every `new Logger(...)`) and `rootLogger()`. The
 * first call decides (a process is one service, or the standalone platform); later calls return
 * the same logger.
 */
export function setupLogging(
  settings: LoggerSettings & { readonly frameworkLines?: boolean },
): PinoNestLogger {
  if (root === undefined) {
    root = new PinoNestLogger(createLogger(settings), { frameworkLines: settings.frameworkLines });
    Logger.overrideLogger(root);
  }
  return root;
}

/** The process's pino logger (a default one named `billing` before `setupLogging`). */
export function rootLogger(): Pino {
  if (root !== undefined) return root.pino;
  fallback ??= createLogger({ service: 'billing' });
  return fallback;
}

/** The process's logger once `setupLogging` made one; tests' applications have none. */
export function configuredLogger(): Pino | undefined {
  return root?.pino;
}

/** One line of a service's output, as the logger wrote it. */
export interface LogLine {
  readonly level: string;
  readonly time?: string;
  readonly service?: string;
  readonly context?: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/**
 * A line of a process's output as the logger's JSON object, or `undefined` for anything else
 * (the standalone banner, a crash's stack). For harnesses that read a service's log.
 */
export function parseLogLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' &&
      value !== null &&
      typeof (value as { level?: unknown }).level === 'string'
      ? (value as LogLine)
      : undefined;
  } catch {
    return undefined;
  }
}
