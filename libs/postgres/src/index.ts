export * from './migrate.js';
export * from './schema-name.js';
export * from './transaction.js';
export * from './poll-wakeup.js';
export * from './rows.js';
export * from './pg-arrays.js';
