import type { ServiceName } from '@billing/contracts/http-routes';
import type { OpenAPIObject } from '@nestjs/swagger';
import { generateSecrets } from '../data-dir.js';
import { Platform } from '../platform.js';

/** Nest's bootstrap lines are no part of a document: they are dropped. */
const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The OpenAPI documents of the five services as the standalone app mounts them (each application
 * as `npm start` creates it; see Platform.describe), built in this process without a database,
 * a broker or a listening port: what `/services/<name>/docs/openapi.json` answers.
 */
export function serviceOpenApiDocuments(): Promise<ReadonlyMap<ServiceName, OpenAPIObject>> {
  return new Platform({
    // Never connected: the applications are created, not started.
    databaseUrl: 'postgres://describe:describe@127.0.0.1:1/describe',
    selfUrl: 'http://127.0.0.1:1',
    secrets: generateSecrets(),
    nodeEnv: 'test',
    logger: silent,
  }).describe();
}
