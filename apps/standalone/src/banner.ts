import type { DemoAccess } from './demo.js';

export interface BannerInput {
  /** Where a user on this machine reaches the platform, e.g. http://localhost:8080. */
  readonly baseUrl: string;
  readonly demo: DemoAccess;
  /** The console's sign-in link for the demo account (one use, 10 minutes). */
  readonly signInUrl: string;
  /** The operator's desk signed in as the admin, and as the read-only auditor (each one use). */
  readonly operatorSignInUrl: string;
  readonly auditorSignInUrl: string;
  readonly adminToken: string;
  readonly auditorToken: string;
  /** Print the secrets, or placeholders (see StandaloneConfig.showSecrets). */
  readonly showSecrets: boolean;
  readonly dataDir: string;
  readonly seconds: number;
}

const HIDDEN = '<hidden: standard output is not a terminal; STANDALONE_SHOW_SECRETS=1 prints it>';

/**
 * What the user needs to start: the demo account's key and tokens, a curl and an OpenAI-client
 * snippet that work as printed, and the console routes. This is the one place the standalone
 * mode prints secrets (it is the user's own machine); it never goes through the logger.
 */
export function banner(input: BannerInput): string {
  const { baseUrl, demo } = input;
  const secret = (value: string): string => (input.showSecrets ? value : HIDDEN);
  const key = secret(demo.apiKey);
  const account = `${baseUrl}/v1/accounts/${demo.accountId}`;
  const rule = '─'.repeat(78);
  const lines = [
    rule,
    ` LLM billing platform, standalone mode: ready in ${input.seconds.toFixed(1)} s on ${baseUrl}`,
    ` One process, embedded PostgreSQL and simulated payments: for trying it out, not for production.`,
    ` Data: ${input.dataDir}`,
    rule,
    demo.firstRun
      ? ` First start: created the demo account ${demo.accountId} with a $10 top-up (simulated) and its +20% bonus, and an API key.`
      : ` Demo account ${demo.accountId} (created on the first start).`,
    ` Balance: $${demo.balance.total} (available $${demo.balance.available})`,
    '',
    ` Console         ${secret(input.signInUrl)}`,
    `                 (opens the console signed in as ${demo.accountId}; the link works once, for 10 minutes)`,
    ` Operator desk   ${secret(input.operatorSignInUrl)}`,
    ` Auditor desk    ${secret(input.auditorSignInUrl)}`,
    `                 (the operator's desk as the admin, and as the read-only auditor; each link works once)`,
    '',
    ` API key         ${key}`,
    ` Admin token     ${secret(input.adminToken)}`,
    ` Auditor token   ${secret(input.auditorToken)}`,
    ` Account token   ${secret(demo.accountToken)}`,
    `                 (a 24-hour JWT for the console routes of ${demo.accountId}; a new one at each start)`,
    '',
    ' Call a model:',
    '',
    `   curl ${baseUrl}/api/v1/chat/completions \\`,
    `     -H "Authorization: Bearer ${key}" \\`,
    `     -H "Content-Type: application/json" \\`,
    `     -d '{"model": "sim/echo-1", "messages": [{"role": "user", "content": "Hello!"}]}'`,
    '',
    ' With the official OpenAI client (TypeScript, `npm install openai`):',
    '',
    "   import OpenAI from 'openai';",
    '',
    `   const client = new OpenAI({ baseURL: '${baseUrl}/api/v1', apiKey: '${key}' });`,
    '   const completion = await client.chat.completions.create({',
    "     model: 'sim/echo-1',",
    "     messages: [{ role: 'user', content: 'What is the meaning of life?' }],",
    '   });',
    '   console.log(completion.choices[0].message.content);',
    '',
    ` The console routes of ${demo.accountId} (paste the first line once):`,
    '',
    `   export ACCOUNT_TOKEN='${secret(demo.accountToken)}'`,
    `   curl ${account}/balance -H "Authorization: Bearer $ACCOUNT_TOKEN"`,
    `   curl ${account}/credits-breakdown -H "Authorization: Bearer $ACCOUNT_TOKEN"`,
    `   curl ${account}/transactions -H "Authorization: Bearer $ACCOUNT_TOKEN"`,
    `   curl ${account}/api-keys -H "Authorization: Bearer $ACCOUNT_TOKEN"`,
    `   curl -X POST ${account}/top-ups -H "Authorization: Bearer $ACCOUNT_TOKEN" \\`,
    `     -H "Content-Type: application/json" -d '{"amount": "20"}'`,
    '',
    ` Console: ${baseUrl}/    API docs: ${baseUrl}/docs    Health: ${baseUrl}/health`,
    ` Stop: Ctrl-C. Start over: stop, then rm -rf ${input.dataDir}`,
    rule,
  ];
  return `${lines.join('\n')}\n`;
}
