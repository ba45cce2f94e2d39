export * from './access-log.js';
export * from './context.js';
export * from './logger.js';
export * from './redact.js';
