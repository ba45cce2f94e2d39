import { mergeMetrics, mergeOpenApi } from './merge.js';

describe('one /metrics and one OpenAPI document for the five services', () => {
  it('lists each metric once, with the samples of every service under it', () => {
    const registry = (service: string, own: string): string =>
      [
        '# HELP process_cpu_seconds_total CPU.',
        '# TYPE process_cpu_seconds_total counter',
        `process_cpu_seconds_total{service="${service}"} 1`,
        own,
        '',
      ].join('\n');
    const merged = mergeMetrics([
      registry(
        'gateway',
        '# HELP gateway_requests_total Requests.\n# TYPE gateway_requests_total counter\ngateway_requests_total{service="gateway"} 2',
      ),
      registry('ledger', ''),
    ]);
    expect(merged).toBe(
      [
        '# HELP process_cpu_seconds_total CPU.',
        '# TYPE process_cpu_seconds_total counter',
        'process_cpu_seconds_total{service="gateway"} 1',
        'process_cpu_seconds_total{service="ledger"} 1',
        '# HELP gateway_requests_total Requests.',
        '# TYPE gateway_requests_total counter',
        'gateway_requests_total{service="gateway"} 2',
        '',
      ].join('\n'),
    );
  });

  it('merges the paths, tags operations with their service, and renames clashing schemas', () => {
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    const merged = mergeOpenApi([
      {
        service: 'keys',
        document: {
          openapi: '3.0.0',
          paths: { '/v1/a': { post: { requestBody: ref('Body') } }, '/health': { get: {} } },
          components: {
            schemas: { Body: { type: 'object', title: 'keys' }, Same: { type: 'string' } },
          },
        },
      },
      {
        service: 'payments',
        document: {
          openapi: '3.0.0',
          paths: {
            '/v1/b': { post: { requestBody: ref('Body'), tags: ['mine'] } },
            '/health': { get: {} },
          },
          components: {
            schemas: { Body: { type: 'object', title: 'payments' }, Same: { type: 'string' } },
          },
        },
      },
    ]);
    expect(merged.paths).toEqual({
      '/v1/a': { post: { requestBody: ref('keys.Body'), tags: ['keys'] } },
      '/health': { get: { tags: ['keys'] } },
      '/v1/b': { post: { requestBody: ref('payments.Body'), tags: ['mine'] } },
    });
    expect(merged.components?.schemas).toEqual({
      'keys.Body': { type: 'object', title: 'keys' },
      'payments.Body': { type: 'object', title: 'payments' },
      Same: { type: 'string' },
    });
  });
});
