// Issue #16: the console's API calls checked against the services' OpenAPI documents, built in
// this process from the applications the standalone app mounts (no database, broker or port).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from '@billing/contracts/http-routes';
import { serviceOpenApiDocuments } from '../../standalone/src/testing/openapi-documents.js';
import { ENDPOINTS } from './app/endpoints.js';
import {
  checkEndpoints,
  interfaceShapes,
  type OpenApiDocument,
  type Shape,
} from './testing/openapi-check.js';

const ENDPOINTS_FILE = fileURLToPath(new URL('./app/endpoints.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** The README's list of the calls no document describes (between its two markers). */
function readmeList(): string[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('<!-- undescribed:start -->');
  const end = text.indexOf('<!-- undescribed:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no undescribed:start/end markers');
  return text
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('- '))
    .map((line) => line.slice(2).replaceAll('`', ''));
}

/** `shape` with one more field, `extra`, at `path` (an array is walked through to its items). */
function withField(shape: Shape | undefined, path: readonly string[], extra: string): Shape {
  if (shape?.kind === 'array') return { kind: 'array', items: withField(shape.items, path, extra) };
  if (shape?.kind !== 'object') throw new Error(`no object at ${path.join('.') || 'the top'}`);
  const [head, ...rest] = path;
  const fields = new Map(shape.fields);
  if (head === undefined) fields.set(extra, { kind: 'value' });
  else fields.set(head, withField(fields.get(head), rest, extra));
  return { kind: 'object', fields };
}

let documents: ReadonlyMap<ServiceName, OpenApiDocument>;
let responses: Map<string, Shape>;
let bodies: Map<string, Shape>;

beforeAll(async () => {
  documents = await serviceOpenApiDocuments();
  responses = interfaceShapes(ENDPOINTS_FILE, 'Responses', TSCONFIG);
  bodies = interfaceShapes(ENDPOINTS_FILE, 'Bodies', TSCONFIG);
}, 60_000);

const checkConsole = (endpoints: Parameters<typeof checkEndpoints>[0]['endpoints'] = ENDPOINTS) =>
  checkEndpoints({ endpoints, documents, responses, bodies });

describe("the console's API calls against the services' OpenAPI documents", () => {
  it('reads a response and a body type of every call that has one', () => {
    expect([...responses.keys()].sort()).toEqual(Object.keys(ENDPOINTS).sort());
    expect(responses.get('balance')?.kind).toBe('object');
    expect(bodies.get('grantCredit')?.kind).toBe('object');
  });

  it('finds every call in the document of the service the fronts send it to', () => {
    const report = checkConsole();
    expect(report.errors).toEqual([]);
    expect(report.frontRoutes).toEqual(['GET /v1/console/settings', 'POST /v1/console/sessions']);
  });

  it("lists the calls whose answers no document describes, as the console's README does", () => {
    const { undescribed } = checkConsole();
    // The test's output names any: their answers would be checked by the browser tests only.
    if (undescribed.length > 0) {
      console.info(
        `Not described by the service's OpenAPI (${undescribed.length}):\n${undescribed.join('\n')}`,
      );
    }
    expect(readmeList()).toEqual(undescribed);
    // Every service declares the answers the console reads (services/*/src/http/responses.ts,
    // and service-kit's dead-letter routes), so each is checked field by field.
    expect(undescribed).toEqual([]);
  });

  it('fails a made-up route and a misspelled method in the real documents', () => {
    const report = checkConsole({
      ...ENDPOINTS,
      madeUp: { method: 'GET', path: '/v1/accounts/{accountId}/balance/history' },
      misspelled: { method: 'POTS', path: '/v1/accounts/{accountId}/top-ups' },
      wrongMethod: { method: 'DELETE', path: '/v1/accounts/{accountId}/balance' },
    });
    expect(report.errors).toEqual([
      "madeUp: GET /v1/accounts/{accountId}/balance/history: ledger's OpenAPI document has no such path",
      "misspelled: POTS /v1/accounts/{accountId}/top-ups: payments's OpenAPI document has " +
        '/v1/accounts/{accountId}/top-ups only with POST, GET',
      "wrongMethod: DELETE /v1/accounts/{accountId}/balance: ledger's OpenAPI document has " +
        '/v1/accounts/{accountId}/balance only with GET',
    ]);
  });

  it('fails a misread field deep in an answer, in every document that serves the route', () => {
    const misread = new Map<string, Shape>([
      // Through an array inside an array (metering).
      ['claims', withField(responses.get('claims'), ['data', 'requests'], 'ttfMs')],
      // Through a nullable object (the ledger).
      [
        'requestExplanation',
        withField(responses.get('requestExplanation'), ['hold'], 'capturedAt'),
      ],
      // Service-kit's route, declared by each of the four services that mount it.
      ['deadLetters', withField(responses.get('deadLetters'), ['counts'], 'failed')],
    ]);
    const report = checkEndpoints({
      endpoints: {
        claims: ENDPOINTS.claims,
        requestExplanation: ENDPOINTS.requestExplanation,
        deadLetters: ENDPOINTS.deadLetters,
      },
      documents,
      responses: misread,
      bodies: new Map(),
    });
    const deadLetters = (service: string): string =>
      `deadLetters: GET /v1/admin/dead-letters/{service}: ${service}'s OpenAPI document: the ` +
      'answer has no field counts[].failed';
    expect(report.errors).toEqual([
      "claims: GET /v1/accounts/{accountId}/claims: metering's OpenAPI document: the answer has " +
        'no field data[].requests[].ttfMs',
      'requestExplanation: GET /v1/accounts/{accountId}/requests/{requestId}: ' +
        "ledger's OpenAPI document: the answer has no field hold.capturedAt",
      ...['metering', 'ledger', 'keys', 'payments'].map(deadLetters),
    ]);
    expect(report.undescribed).toEqual([]);
  });

  it('fails a field the console would read that a described answer does not have', () => {
    const balance = responses.get('balance');
    if (balance?.kind !== 'object') throw new Error('no balance shape');
    const misread: Shape = {
      kind: 'object',
      fields: new Map([...balance.fields, ['availble', { kind: 'value' }]]),
    };
    const report = checkEndpoints({
      endpoints: { balance: ENDPOINTS.balance },
      documents,
      responses: new Map([['balance', misread]]),
      bodies: new Map(),
    });
    expect(report.errors).toEqual([
      "balance: GET /v1/accounts/{accountId}/balance: ledger's OpenAPI document: the answer has " +
        'no field availble',
    ]);
  });
});
