import { expect } from '@jest/globals';
import type { ScenarioContext, Step } from '../context.js';
import { type ApiKeyRow, MODEL, need } from '../support.js';

/** A disabled or deleted key stops working within a second. */
export function keysSteps(ctx: ScenarioContext, step: Step): void {
  const { platform, state, call, expectJson, settledBalance, openai, createKey, firstRefusal } =
    ctx;

  step('refuses a disabled key with 401 within one second', async () => {
    const p = platform();
    const customer = need(state.customer, 'an account with a key');
    const key = need(customer.apiKey, 'the key');
    const client = openai(customer);

    const patched = await call(
      'PATCH',
      `${p.urls.keys}/v1/accounts/${customer.id}/api-keys/${key.id}`,
      customer.token,
      { status: 'disabled' },
    );
    const disabledAt = performance.now();
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: key.id, status: 'disabled' });

    const { refusal: first, afterMs } = await firstRefusal(customer, disabledAt);
    expect(first).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(afterMs).toBeLessThan(1_000);
    // And it stays refused, on every route of the gateway.
    await expect(client.models.list()).rejects.toMatchObject({ status: 401 });
    await expect(
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    // The calls answered while the change travelled were billed like any other.
    await settledBalance(customer);
  });

  step('refuses a deleted key with 401 within one second', async () => {
    const p = platform();
    const customer = need(state.customer, 'a funded account');
    const key = await createKey(customer, 'short-lived');
    const url = `${p.urls.keys}/v1/accounts/${customer.id}/api-keys/${key.id}`;
    const deleted = await call('DELETE', url, customer.token);
    const deletedAt = performance.now();
    expect(deleted.status).toBe(204);

    const { refusal: first, afterMs } = await firstRefusal(customer, deletedAt);
    expect(first).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(afterMs).toBeLessThan(1_000);
    // Deletion is final: the key is gone from the keys API as well.
    expect((await call('GET', url, customer.token)).status).toBe(404);
    const list = await expectJson<{ data: ApiKeyRow[] }>(
      'GET',
      `${p.urls.keys}/v1/accounts/${customer.id}/api-keys`,
      customer.token,
      200,
    );
    expect(list.data.map((k) => k.id)).not.toContain(key.id);
    await settledBalance(customer);
  });
}
