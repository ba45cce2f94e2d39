import type { DynamicModule, INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { SignJWT } from 'jose';
import type pg from 'pg';
import {
  createTestTopics,
  deleteTestTopics,
  testDatabaseUrl,
  testPool,
  type TestKafkaClient,
} from './infra.js';
import { TestProducer } from './kafka-topics.js';

export interface TestAppOptions {
  /**
   * Applies the house configuration: `(app) => configureApp(app, 'ledger')` of
   * @billing/service-kit, which this library cannot import (service-kit's own tests import it).
   */
  readonly configure: (app: INestApplication) => void;
  /** The app's own schema of the test database (the module is told to use it): dropped by close(). */
  readonly schema: string;
  /** The broker, when the app uses Kafka: for `topics` and `producer`. */
  readonly kafka?: TestKafkaClient | undefined;
  /** Topics of the app's own: created before it boots, deleted by close(). */
  readonly topics?: readonly string[];
  /** The admin token `http()` sends when a call names none. */
  readonly token?: string;
  readonly logger?: LoggerService | LogLevel[] | false;
  /** Keep the raw request body (signed webhooks need it). */
  readonly rawBody?: boolean;
}

export interface HttpInit {
  /** A bearer token, `null` for none; the app's default token when absent. */
  readonly token?: string | null;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is (with `body` absent). */
  readonly rawBody?: string | Buffer;
  readonly headers?: Record<string, string>;
}

/**
 * An HTTP answer. `status` and `body` are its own fields, so a test can compare a whole answer
 * with `toEqual({ status, body })`; `headers` and the raw `bytes` are there when a test asks.
 */
export class HttpAnswer<T = unknown> {
  readonly #headers: Headers;
  readonly #bytes: Buffer;

  constructor(
    readonly status: number,
    /** Parsed JSON for a JSON response, the text otherwise, `undefined` when empty. */
    readonly body: T,
    headers: Headers,
    bytes: Buffer,
  ) {
    this.#headers = headers;
    this.#bytes = bytes;
  }

  get headers(): Headers {
    return this.#headers;
  }

  get bytes(): Buffer {
    return this.#bytes;
  }
}

export interface TestApp {
  readonly app: NestExpressApplication;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly schema: string;
  /** A pool on the test database for assertions (not the application's). */
  readonly db: pg.Pool;
  readonly kafka: TestKafkaClient | undefined;
  /** Publishes to a topic as another service would (refuses when the app has no `kafka`). */
  readonly producer: TestProducer;
  http<T = unknown>(method: string, path: string, init?: HttpInit): Promise<HttpAnswer<T>>;
  /** Closes the app (its shutdown hooks run), then drops its schema and deletes its topics. */
  close(): Promise<void>;
}

/**
 * Boots a service module the way `startService` of @billing/service-kit does (the same module,
 * the house configuration), for one integration test file: on a free port of 127.0.0.1, with an
 * HTTP client for it, its own schema and topics, and what a test needs around it.
 */
export async function startTestApp(
  module: DynamicModule,
  options: TestAppOptions,
): Promise<TestApp> {
  const { kafka, schema, topics = [] } = options;
  if (topics.length > 0) {
    if (kafka === undefined) throw new Error('topics of its own need the app to have kafka');
    await createTestTopics(kafka, [...topics]);
  }
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    logger: options.logger ?? ['error', 'warn'],
    ...(options.rawBody === undefined ? {} : { rawBody: options.rawBody }),
  });
  options.configure(app);
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const db = testPool({ connectionString: testDatabaseUrl(), max: 5 });
  const producer = new TestProducer(kafka);
  return {
    app,
    baseUrl,
    schema,
    db,
    kafka,
    producer,
    async close() {
      await producer.disconnect();
      await app.close();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
      if (kafka !== undefined && topics.length > 0) {
        await deleteTestTopics(kafka, [...topics]).catch(() => undefined);
      }
    },
    async http<T>(method: string, path: string, init: HttpInit = {}): Promise<HttpAnswer<T>> {
      const headers: Record<string, string> = { ...init.headers };
      const token = init.token === undefined ? options.token : init.token;
      if (token !== null && token !== undefined) headers.authorization = `Bearer ${token}`;
      let body: string | Buffer | undefined = init.rawBody;
      if (init.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(init.body);
      }
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = bytes.toString('utf8');
      const parsed: unknown =
        bytes.length === 0
          ? undefined
          : (res.headers.get('content-type') ?? '').includes('json')
            ? JSON.parse(text)
            : text;
      return new HttpAnswer(res.status, parsed as T, res.headers, bytes);
    },
  };
}

/**
 * The issuer and audience account tokens carry by default (service-kit's
 * DEFAULT_ACCOUNT_TOKEN_ISSUER and _AUDIENCE; this library cannot import service-kit).
 */
export const CONSOLE_TOKEN_ISSUER = 'billing-console';
export const CONSOLE_TOKEN_AUDIENCE = 'billing-api';

/** A console token for `accountId` (HS256, `sub`, `iss`, `aud`, `iat`, `exp`), as the console would hold. */
export function consoleToken(secret: string, accountId: string, expiresIn = '1h'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(accountId)
    .setIssuer(CONSOLE_TOKEN_ISSUER)
    .setAudience(CONSOLE_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
