import { jest } from '@jest/globals';

// Jest reads `testTimeout` only from the top-level configuration: inside `projects` (what a run
// without TEST_LEVEL, as in `npm test`, uses) it is ignored and every test and hook gets the 5 s
// default. Each project names its timeout in `globals.levelTimeoutMs` and this setup file (its
// `setupFilesAfterEnv`) applies it, so a level's timeout holds however Jest was started.
const timeoutMs = (globalThis as { levelTimeoutMs?: unknown }).levelTimeoutMs;
if (typeof timeoutMs !== 'number') {
  throw new Error('jest.config.js: this project has no numeric globals.levelTimeoutMs');
}
jest.setTimeout(timeoutMs);
