import { expect } from '@jest/globals';
import type { ScenarioContext, Step } from '../context.js';
import { MODEL, type Usage, need } from '../support.js';

/** Calls through the gateway with the official client, and the holds they leave. */
export function chatSteps(ctx: ScenarioContext, step: Step): void {
  const { platform, state, call, expectJson, openai, costOf, complete } = ctx;

  step('answers a chat completion through the official openai client (non-streaming)', async () => {
    const customer = need(state.customer, 'a funded account');
    const answer = await complete(customer, 'What is the meaning of life?', 64);
    expect(answer.text).toBe('Echo: What is the meaning of life?');
    expect(answer.usage.prompt_tokens).toBeGreaterThan(0);
    expect(answer.usage.completion_tokens).toBeGreaterThan(0);
    expect(answer.requestId).toMatch(/^req_[0-9a-f]{32}$/);
  });

  step('streams a chat completion, with usage only when the client asks for it', async () => {
    const customer = need(state.customer, 'a funded account');
    const client = openai(customer);
    const question = 'Stream me a short answer, please.';
    state.lastCallAt = Date.now();

    const withUsage = await client.chat.completions
      .create({
        model: MODEL,
        messages: [{ role: 'user', content: question }],
        max_tokens: 64,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    let text = '';
    let usage: Usage | undefined;
    let chunks = 0;
    for await (const chunk of withUsage.data) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe(`Echo: ${question}`);
    customer.spent = customer.spent.plus(costOf(usage));
    customer.requestIds.push(withUsage.response.headers.get('x-request-id') ?? '');

    // The same question without include_usage: the gateway asks the upstream for usage anyway
    // (it bills from it) but must not pass it on. Same prompt, same deterministic answer, so
    // the same tokens and the same cost.
    const withoutUsage = await client.chat.completions
      .create({
        model: MODEL,
        messages: [{ role: 'user', content: question }],
        max_tokens: 64,
        stream: true,
      })
      .withResponse();
    let text2 = '';
    for await (const chunk of withoutUsage.data) {
      text2 += chunk.choices[0]?.delta.content ?? '';
      expect(chunk.usage ?? null).toBeNull();
    }
    expect(text2).toBe(text);
    customer.spent = customer.spent.plus(costOf(usage));
    customer.requestIds.push(withoutUsage.response.headers.get('x-request-id') ?? '');
  });

  step(
    "refuses the customer's own token and the admin token on its request's hold (issue #10), but lists its holds",
    async () => {
      const p = platform();
      const customer = need(state.customer, 'an account that made calls');
      // The hold id is the request id the gateway returned in x-request-id.
      const holdId = need(customer.requestIds.at(-1), 'a request id');
      const holds = `${p.urls.ledger}/v1/accounts/${customer.id}/holds`;
      for (const token of [customer.token, p.adminToken]) {
        expect((await call('DELETE', `${holds}/${holdId}`, token)).status).toBe(403);
        expect(
          (await call('POST', `${holds}/${holdId}/extend`, token, { ttlSeconds: 1 })).status,
        ).toBe(403);
        expect(
          (await call('POST', holds, token, { holdId: `${holdId}_x`, amount: '1', ttlSeconds: 1 }))
            .status,
        ).toBe(403);
      }
      const listed = await expectJson<{ accountId: string; data: unknown[]; held: string }>(
        'GET',
        holds,
        customer.token,
        200,
      );
      expect(listed.accountId).toBe(customer.id);
      // The next step checks that the money is exactly what the requests cost.
    },
  );
}
