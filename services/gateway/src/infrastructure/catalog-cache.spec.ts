// The gateway is not ready before it has a price catalog: until then it refuses every completion
// with 503 catalog_unavailable, so a load balancer must not send it one.
import { describe, expect, it } from '@jest/globals';
import { CatalogCache } from './catalog-cache.js';
import { createAgents } from './http-json.js';

describe('CatalogCache readiness', () => {
  it('is starting until a first catalog loads, then up', async () => {
    const agents = createAgents();
    // Nothing listens on port 9 of the loopback: the first load fails and is retried.
    const cache = new CatalogCache(
      { kind: 'metering', url: 'http://127.0.0.1:9', refreshMs: 60_000 },
      agents,
      () => Date.now(),
    );
    try {
      await cache.start();
      expect(cache.current()).toBeUndefined();
      expect(cache.readiness()).toEqual({ catalog: 'starting' });
      const fixed = new CatalogCache({ kind: 'fixed', body: { data: [] } }, agents, () =>
        Date.now(),
      );
      await fixed.start();
      expect(fixed.readiness()).toEqual({ catalog: 'up' });
    } finally {
      cache.stop();
      agents.destroy();
    }
  });
});
