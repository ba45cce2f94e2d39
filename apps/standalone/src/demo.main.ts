import { ensureDemo } from './demo.js';

/**
 * The demo account on a platform that is already running: docker-compose.yml's one-shot `demo`
 * service. The same steps as `npm start`'s first start (demo.ts: a $10 top-up, +20% bonus, and an
 * API key, each looked for first, so running it again changes nothing), through one origin for
 * the five services (PLATFORM_URL: the console server), then the two values the README's
 * walkthrough ("Five minutes with it") starts from:
 *
 *   docker compose logs demo         (or: docker compose run --rm demo)
 *   export KEY=sk-payg-...
 *   export ACCOUNT=eyJ...
 *
 * ADMIN_TOKEN and CONSOLE_JWT_SECRET are the platform's own (the compose file's development
 * placeholders); neither is ever printed. The account token lives 24 hours: run it again for a
 * new one.
 */
const platformUrl = process.env.PLATFORM_URL ?? 'http://127.0.0.1:8080';
/** Where the reader reaches the platform (the console server's published port). */
const publicUrl = process.env.DEMO_PUBLIC_URL ?? 'http://localhost:8080';
const adminToken = process.env.ADMIN_TOKEN;
const consoleSecret = process.env.CONSOLE_JWT_SECRET;

if (!adminToken || !consoleSecret) {
  console.error('demo: ADMIN_TOKEN and CONSOLE_JWT_SECRET are required');
  process.exit(1);
}

try {
  const demo = await ensureDemo(platformUrl, {
    ADMIN_TOKEN: adminToken,
    CONSOLE_JWT_SECRET: consoleSecret,
  });
  process.stdout.write(
    [
      demo.firstRun
        ? `Created the demo account ${demo.accountId}: a $10 top-up and its +20% bonus, and an API key.`
        : `The demo account ${demo.accountId} (created before).`,
      `Balance: $${demo.balance.total} (available $${demo.balance.available}). The README's walkthrough`,
      `("Five minutes with it") runs as written with B=${publicUrl} and these two (the account`,
      'token lives 24 hours; `docker compose run --rm demo` prints a new one):',
      '',
      `export KEY=${demo.apiKey}`,
      `export ACCOUNT=${demo.accountToken}`,
      '',
    ].join('\n'),
  );
} catch (err) {
  console.error(
    `demo: could not set up ${platformUrl}'s demo account: ${err instanceof Error ? err.message : String(err)}` +
      ' (with PAYMENT_PROVIDER=stripe the $10 top-up waits for its checkout to be paid)',
  );
  process.exit(1);
}
