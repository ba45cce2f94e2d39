// The gateway's pure domain: no Nest, no database, no network, no clock, no randomness.
export * from './errors.js';
export * from './chat-request.js';
export * from './prompt-tokens.js';
export * from './catalog.js';
export * from './cost.js';
export * from './routing.js';
export * from './sse.js';
export * from './usage.js';
export * from './stream-relay.js';
export * from './sim-provider.js';
export * from './key-cache.js';
export * from './key-spend-limits.js';
