export * from './bootstrap.js';
export * from './config.js';
export * from './database.js';
export * from './env.js';
export * from './errors.js';
export * from './health.js';
export * from './auth.js';
export * from './messaging.js';
