import {
  checkEndpoints,
  type CheckedEndpoint,
  type OpenApiDocument,
  type Shape,
} from './openapi-check.js';

const value: Shape = { kind: 'value' };
const object = (fields: Record<string, Shape>): Shape => ({
  kind: 'object',
  fields: new Map(Object.entries(fields)),
});
const array = (items: Shape): Shape => ({ kind: 'array', items });

/** A ledger document with one described route and one that declares no answer. */
const ledger: OpenApiDocument = {
  paths: {
    '/v1/accounts/{accountId}/transactions': {
      get: {
        parameters: [
          { name: 'accountId', in: 'path' },
          { name: 'limit', in: 'query' },
        ],
        responses: {
          '200': {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Page' } } },
          },
        },
      },
    },
    '/v1/accounts/{accountId}/requests/{requestId}': {
      get: {
        parameters: [
          { name: 'accountId', in: 'path' },
          { name: 'requestId', in: 'path' },
        ],
        responses: { '200': { description: '' } },
      },
    },
  },
  components: {
    schemas: {
      Page: {
        type: 'object',
        properties: {
          data: { type: 'array', items: { $ref: '#/components/schemas/Row' } },
          nextCursor: { type: 'string', nullable: true },
        },
      },
      Row: { type: 'object', properties: { id: { type: 'string' }, amount: { type: 'string' } } },
    },
  },
};

/** A payments document with a request body schema. */
const payments: OpenApiDocument = {
  paths: {
    '/v1/accounts/{accountId}/top-ups': {
      post: {
        parameters: [{ name: 'accountId', in: 'path' }],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { amount: {}, method: {} },
                required: ['amount'],
              },
            },
          },
        },
        responses: { '201': { description: '' } },
      },
    },
  },
};

const documents = new Map([
  ['ledger', ledger],
  ['payments', payments],
] as const);

const transactions: CheckedEndpoint = {
  method: 'GET',
  path: '/v1/accounts/{accountId}/transactions',
  query: ['limit'],
};
const page = object({ data: array(object({ id: value, amount: value })), nextCursor: value });

function check(
  endpoint: CheckedEndpoint,
  reads: Shape = { kind: 'none' },
  sends?: Shape,
): ReturnType<typeof checkEndpoints> {
  return checkEndpoints({
    endpoints: { call: endpoint },
    documents,
    responses: new Map([['call', reads]]),
    bodies: new Map(sends === undefined ? [] : [['call', sends]]),
  });
}

describe('checkEndpoints', () => {
  it('passes a call the document has: method, path and query parameters, the fields read', () => {
    expect(check(transactions, page)).toEqual({ errors: [], undescribed: [], frontRoutes: [] });
  });

  it('fails a call to a route that does not exist', () => {
    // Under a prefix the ledger owns, so the fronts send it there, but no controller has it.
    const report = check({ method: 'GET', path: '/v1/accounts/{accountId}/transactions/summary' });
    expect(report.errors).toEqual([
      'call: GET /v1/accounts/{accountId}/transactions/summary: ' +
        "ledger's OpenAPI document has no such path",
    ]);
    // Under no prefix at all: the fronts answer 404 before any service.
    expect(check({ method: 'GET', path: '/v1/accounts/{accountId}/transaction' }).errors).toEqual([
      'call: GET /v1/accounts/{accountId}/transaction: ' +
        "no service serves it (the fronts' route table answers not-found)",
    ]);
  });

  it('fails a call with a method the route does not take', () => {
    const report = check({ ...transactions, method: 'POST' });
    expect(report.errors).toEqual([
      "call: POST /v1/accounts/{accountId}/transactions: ledger's OpenAPI document has " +
        '/v1/accounts/{accountId}/transactions only with GET',
    ]);
  });

  it('fails a path parameter by another name, and a query parameter the route does not take', () => {
    const report = check({
      method: 'GET',
      path: '/v1/accounts/{account}/transactions',
      query: ['limit', 'pageSize'],
    });
    expect(report.errors).toEqual([
      "call: GET /v1/accounts/{account}/transactions: ledger's OpenAPI document names its path " +
        'parameters /v1/accounts/{accountId}/transactions',
      "call: GET /v1/accounts/{account}/transactions: ledger's OpenAPI document declares no " +
        'query parameter pageSize',
    ]);
  });

  it('fails a field the console reads that the response schema does not have, however deep', () => {
    const reads = object({ data: array(object({ id: value, amout: value })), total: value });
    expect(check(transactions, reads).errors).toEqual([
      "call: GET /v1/accounts/{accountId}/transactions: ledger's OpenAPI document: the answer " +
        'has no field data[].amout',
      "call: GET /v1/accounts/{accountId}/transactions: ledger's OpenAPI document: the answer " +
        'has no field total',
    ]);
  });

  it('lists a route whose answer the document does not describe, and does not pass it as checked', () => {
    const report = check(
      { method: 'GET', path: '/v1/accounts/{accountId}/requests/{requestId}' },
      object({ cost: value }),
    );
    expect(report).toEqual({
      errors: [],
      undescribed: ['GET /v1/accounts/{accountId}/requests/{requestId} (ledger)'],
      frontRoutes: [],
    });
  });

  it('fails a body field the request schema does not have (the services refuse unknown fields)', () => {
    const endpoint = { method: 'POST', path: '/v1/accounts/{accountId}/top-ups' };
    expect(check(endpoint, undefined, object({ amount: value, method: value })).errors).toEqual([]);
    expect(check(endpoint, undefined, object({ amount: value, methd: value })).errors).toEqual([
      "call: POST /v1/accounts/{accountId}/top-ups: payments's OpenAPI document: the body has " +
        'no field methd',
    ]);
    expect(check(endpoint, undefined, object({ method: value })).errors).toEqual([
      "call: POST /v1/accounts/{accountId}/top-ups: payments's OpenAPI document: the body lacks " +
        'the required amount',
    ]);
  });

  it('fails a path no service serves, and keeps the console front’s own routes apart', () => {
    expect(check({ method: 'GET', path: '/v1/nowhere' }).errors).toEqual([
      "call: GET /v1/nowhere: no service serves it (the fronts' route table answers not-found)",
    ]);
    expect(check({ method: 'GET', path: '/v1/console/settings' })).toEqual({
      errors: [],
      undescribed: [],
      frontRoutes: ['GET /v1/console/settings'],
    });
  });

  it('checks a parameter with several values against each service it reaches', () => {
    const report = check({
      method: 'GET',
      path: '/v1/admin/dead-letters/{service}',
      values: { service: ['ledger', 'payments'] },
    });
    expect(report.errors).toEqual([
      "call: GET /v1/admin/dead-letters/{service}: ledger's OpenAPI document has no such path",
      "call: GET /v1/admin/dead-letters/{service}: payments's OpenAPI document has no such path",
    ]);
  });
});
