export * from './errors.js';
export * from './amounts.js';
export * from './invoice-number.js';
export * from './top-up.js';
export * from './auto-top-up.js';
export * from './admin-credit.js';
export * from './credit-lifetimes.js';
export * from './payment-provider.js';
