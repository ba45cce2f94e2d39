import { request } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  createPaymentsTestApp,
  STRIPE_WEBHOOK_SECRET,
  type PaymentsTestApp,
} from '../testing/payments-test-app.js';
import type { StripeEvent } from '../testing/stripe-stand-in/index.js';
import { signedWebhook, stripeSignatureHeader } from '../testing/stripe-webhooks.js';

// Throws well over a thousand malformed or hostile requests at POST /webhooks/stripe of a real
// application (real PostgreSQL): random bytes, wrong content types, huge bodies, forged, stale and
// misplaced signatures, valid signatures over garbage, broken HTTP. Every one must be answered 4xx,
// the process must stay up, and nothing may be recorded. The corpus is generated from a fixed seed,
// so a failure replays exactly.

const SEED = 0x5eed_2026;

/** xorshift32: small, seeded, good enough to vary inputs. */
function prng(seed: number): {
  int(n: number): number;
  bytes(n: number): Buffer;
  pick<T>(xs: readonly T[]): T;
} {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return {
    int: (n) => next() % n,
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => next() & 0xff)),
    pick: (xs) => xs[next() % xs.length] as (typeof xs)[number],
  };
}

interface Shot {
  readonly label: string;
  readonly method?: string;
  readonly headers: Record<string, string | string[]>;
  readonly body?: Buffer;
}

let t: PaymentsTestApp;
let port: number;
let topUpId: string;
let realEvent: StripeEvent;

beforeAll(async () => {
  t = await createPaymentsTestApp({ kafka: false });
  port = Number(new URL(t.baseUrl).port);
  const created = await t.http<{ topUpId: string; checkoutUrl: string }>(
    'POST',
    '/v1/accounts/acct_fuzz/top-ups',
    {
      body: { amount: '100' },
    },
  );
  topUpId = created.body.topUpId;
  const sessionId = /(cs_test_\w+)$/.exec(created.body.checkoutUrl)?.[1] ?? '';
  // A genuine, paid checkout.session.completed for a real pending top-up: if any forged or
  // garbled variant of it got through, the top-up would settle.
  realEvent = t.stripe.completeCheckoutSession(sessionId).completed;
}, 60_000);

afterAll(async () => {
  await t?.close();
});

function send(shot: Shot): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      // A fresh connection each time: the server closes a connection after refusing a body it
      // did not read (413), and a reused keep-alive socket would then fail on the client side.
      {
        host: '127.0.0.1',
        port,
        path: '/webhooks/stripe',
        method: shot.method ?? 'POST',
        headers: shot.headers,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(shot.body);
  });
}

/** Raw bytes on a socket, for what an HTTP client library refuses to send. Answers the status. */
function sendRaw(bytes: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', () =>
      resolve(answer ? Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0) : -1),
    );
    socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? -1)));
    socket.end(bytes);
  });
}

function corpus(): { shots: Shot[]; raw: { label: string; bytes: Buffer }[] } {
  const r = prng(SEED);
  const now = (): number => Math.floor(Date.now() / 1000);
  const json = 'application/json';
  const body = JSON.stringify(realEvent, null, 2);
  const shots: Shot[] = [];
  const contentTypes = [
    json,
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'text/json',
  ];
  const junkSignature = (): string | undefined =>
    r.pick([
      undefined,
      '',
      r.bytes(r.int(64) + 1).toString('hex'),
      `t=${now()},v1=${r.bytes(32).toString('hex')}`,
      `t=${r.int(2_000_000_000)},v1=${r.bytes(32).toString('hex')},v1=${r.bytes(32).toString('hex')}`,
      `v1=${r.bytes(32).toString('hex')}`,
      `t=abc,v1=${r.bytes(32).toString('hex')}`,
      `t=${now()},v0=${r.bytes(32).toString('hex')}`,
      `t=${now()}`,
      r.bytes(r.int(200) + 1).toString('base64'),
    ]);
  const withSig = (
    headers: Record<string, string>,
    sig: string | undefined,
  ): Record<string, string> =>
    sig === undefined ? headers : { ...headers, 'stripe-signature': sig };

  // A. Random bytes under random content types and junk signatures.
  for (let i = 0; i < 400; i++) {
    const type = r.pick([...contentTypes, undefined]);
    shots.push({
      label: `random bytes #${i}`,
      headers: withSig(type === undefined ? {} : { 'content-type': type }, junkSignature()),
      body: r.bytes(r.int(2_000)),
    });
  }
  // B. The genuine event under forged, misplaced or stale signatures.
  for (let i = 0; i < 250; i++) {
    const kind = i % 10;
    const sig =
      kind === 0
        ? stripeSignatureHeader(body, 'whsec_wrong_secret')
        : kind === 1
          ? stripeSignatureHeader(body, STRIPE_WEBHOOK_SECRET, now() - 301 - r.int(100_000))
          : kind === 2
            ? stripeSignatureHeader(`${body} `, STRIPE_WEBHOOK_SECRET)
            : kind === 3
              ? stripeSignatureHeader(body, STRIPE_WEBHOOK_SECRET).replace('v1=', 'v0=')
              : kind === 4
                ? stripeSignatureHeader(body, STRIPE_WEBHOOK_SECRET).slice(0, -1 - r.int(30))
                : kind === 5
                  ? `t=${now()},v1=${r.bytes(32).toString('hex')}`
                  : kind === 6
                    ? stripeSignatureHeader(
                        body.replace('"paid"', '"unpaid"'),
                        STRIPE_WEBHOOK_SECRET,
                      )
                    : kind === 7
                      ? `${'x'.repeat(5_000)}`
                      : kind === 8
                        ? stripeSignatureHeader(body, STRIPE_WEBHOOK_SECRET.toUpperCase())
                        : junkSignature();
    // A correctly signed body sent as the wrong content type must fail too (kind 9).
    const type = kind === 9 ? r.pick(contentTypes.slice(2)) : json;
    shots.push({
      label: `forged signature kind ${kind} #${i}`,
      headers: withSig(
        { 'content-type': type },
        kind === 9 ? stripeSignatureHeader(body, STRIPE_WEBHOOK_SECRET) : sig,
      ),
      body: Buffer.from(kind === 2 || kind === 6 ? body : body),
    });
  }
  // C. Valid signatures over garbage: not JSON, JSON that is not an event, events without ids.
  const garbage = (): string =>
    r.pick([
      r.bytes(r.int(500) + 1).toString('latin1'),
      '[]',
      '[1,2,3]',
      '"a string"',
      '12345',
      'null',
      'true',
      '{}',
      '{"id":"evt_1"}',
      '{"type":"checkout.session.completed"}',
      '{"id":"evt_x","type":"checkout.session.completed","data":null}',
      '{"id":"not-an-event-id","type":"checkout.session.completed","data":{"object":{}}}',
      `{"id":"evt_${r.int(1e9)}","type":"checkout.session.completed","data":{"object":{"object":"charge"}}}`,
      `{"id":"evt_${r.int(1e9)}","type":"checkout.session.completed","data":{"object":{"object":"checkout.session","mode":"payment","payment_status":"paid","metadata":{"topUpId":"${topUpId}"},"amount_total":"10000","currency":"usd","payment_intent":"pi_x"}}}`,
      `{"id":"evt_${r.int(1e9)}","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi bad id","amount":-5,"currency":"usd","metadata":{"topUpId":"${topUpId}"}}}}`,
      `{"id":"evt_${r.int(1e9)}","type":"charge.refunded","data":{"object":{"object":"charge","id":"ch_1","amount_refunded":1.5,"currency":"usd"}}}`,
      `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"id":"evt_${r.int(1e9)}"}`,
      '{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"object":"checkout.session"}}'.repeat(
        2,
      ),
      `${body.slice(0, r.int(body.length))}`,
    ]);
  for (let i = 0; i < 250; i++) {
    const payload = garbage();
    const signed = signedWebhook(payload, STRIPE_WEBHOOK_SECRET);
    shots.push({
      label: `signed garbage #${i}: ${payload.slice(0, 40)}`,
      headers: signed.headers,
      body: Buffer.from(payload, 'latin1'),
    });
  }
  // D. Huge bodies, signed and not.
  for (const size of [150_000, 1_000_000, 5_000_000]) {
    const big = `{"id":"evt_big","type":"x","data":{"object":{"pad":"${'a'.repeat(size)}"}}}`;
    shots.push({
      label: `huge signed ${size}`,
      headers: signedWebhook(big, STRIPE_WEBHOOK_SECRET).headers,
      body: Buffer.from(big),
    });
    shots.push({
      label: `huge unsigned ${size}`,
      headers: { 'content-type': json },
      body: Buffer.from(big),
    });
  }
  // E. Wrong methods on the webhook path.
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    shots.push({
      label: `method ${method}`,
      method,
      headers: { 'content-type': json },
      body: method === 'GET' ? undefined : Buffer.from(body),
    });
    shots.push({
      label: `method ${method} signed`,
      method,
      headers: signedWebhook(body, STRIPE_WEBHOOK_SECRET).headers,
      body: method === 'GET' ? undefined : Buffer.from(body),
    });
  }
  // F. Duplicated signature headers, one genuine among them (Node would join them into one value
  // the `stripe` library then accepts: the controller refuses repeated headers).
  for (let i = 0; i < 20; i++) {
    const good = stripeSignatureHeader(body, STRIPE_WEBHOOK_SECRET);
    shots.push({
      label: `duplicate signature headers #${i}`,
      headers: {
        'content-type': json,
        'stripe-signature':
          i % 2 ? [good, junkSignature() ?? 'x'] : [junkSignature() ?? 'x', 't=1,v1=00'],
      },
      body: Buffer.from(body),
    });
  }
  // G. Broken encodings: invalid UTF-8, UTF-16, a BOM, declared gzip that is not, real gzip.
  for (let i = 0; i < 30; i++) {
    const variants: [string, Record<string, string>, Buffer][] = [
      [
        'invalid utf-8',
        { 'content-type': json },
        Buffer.concat([
          Buffer.from('{"id":"'),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
          Buffer.from('"}'),
        ]),
      ],
      [
        'utf-16',
        { 'content-type': 'application/json; charset=utf-16' },
        Buffer.from(body, 'utf16le'),
      ],
      [
        'bom',
        { 'content-type': json },
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]),
      ],
      ['fake gzip', { 'content-type': json, 'content-encoding': 'gzip' }, r.bytes(100)],
      [
        'gzip of a forged event',
        {
          'content-type': json,
          'content-encoding': 'gzip',
          'stripe-signature': `t=${now()},v1=${'0'.repeat(64)}`,
        },
        gzipSync(body),
      ],
      ['unknown encoding', { 'content-type': json, 'content-encoding': 'br2' }, Buffer.from(body)],
    ];
    const [label, headers, bytes] = variants[i % variants.length]!;
    shots.push({
      label: `${label} #${i}`,
      headers: withSig(headers, headers['stripe-signature'] ?? junkSignature()),
      body: bytes,
    });
  }
  // H. Deeply nested and very wide JSON.
  for (let i = 0; i < 20; i++) {
    const deep = `${'['.repeat(5_000 + i)}${']'.repeat(5_000 + i)}`;
    const wide = `{${Array.from({ length: 5_000 }, (_, k) => `"k${k}":${k}`).join(',')}}`;
    const payload = i % 2 ? deep : wide;
    shots.push({
      label: `nesting #${i}`,
      headers: withSig(
        { 'content-type': json },
        i % 4 < 2
          ? signedWebhook(payload, STRIPE_WEBHOOK_SECRET).headers['stripe-signature']
          : junkSignature(),
      ),
      body: Buffer.from(payload),
    });
  }

  // I. Broken HTTP on a raw socket.
  const raw: { label: string; bytes: Buffer }[] = [];
  for (let i = 0; i < 50; i++) {
    const kind = i % 5;
    const text =
      kind === 0
        ? `POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nStripe-Signature: a\u0001b\r\nContent-Length: 2\r\n\r\n{}`
        : kind === 1
          ? `POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 3\r\n\r\n{}{}{}{}{}`
          : kind === 2
            ? `POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`
            : kind === 3
              ? `POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n${r.bytes(20).toString('hex')}\r\n0\r\n\r\n`
              : `POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{}`;
    raw.push({ label: `raw http kind ${kind} #${i}`, bytes: Buffer.from(text, 'latin1') });
  }
  return { shots, raw };
}

describe('POST /webhooks/stripe under fuzzing', () => {
  it('answers every malformed or hostile request with a 4xx, stays up and records nothing', async () => {
    const { shots, raw } = corpus();
    expect(shots.length + raw.length).toBeGreaterThanOrEqual(1_000);

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const queue = [...shots];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let shot = queue.shift(); shot !== undefined; shot = queue.shift()) {
          const status = await send(shot).catch((err: unknown) => `network error ${String(err)}`);
          if (typeof status !== 'number' || status < 400 || status >= 500)
            failures.push(`${shot.label}: ${status}`);
          else statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    for (const { label, bytes } of raw) {
      const status = await sendRaw(bytes);
      // The HTTP parser may also just close the connection on garbage (-1): never a 2xx or 5xx.
      if (status !== -1 && (status < 400 || status >= 500)) failures.push(`${label}: ${status}`);
    }
    expect(failures).toEqual([]);
    // The corpus reaches every layer that refuses: the body parser (400 bad JSON, 413 too large),
    // the content-type check (415), the signature check and event reading (400), the router (404).
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([400, 404, 413, 415]));

    // Alive and well: health answers and a genuine, correctly signed event still goes through.
    expect((await t.http('GET', '/health', { token: null })).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const table of ['stripe_events', 'invoices', 'outbox', 'inbox']) {
      expect([table, await t.count(table)]).toEqual([table, 0]);
    }
    expect(await t.count('top_ups', "status = 'pending' AND top_up_id = $1", [topUpId])).toBe(1);
    expect(await t.count('top_ups', "status <> 'pending'")).toBe(0);

    const genuine = await t.stripe.deliver(realEvent);
    expect(genuine.status).toBe(200);
    expect(await t.count('stripe_events')).toBe(1);
  }, 60_000);

  it('acknowledges signed events that are not ours or not used (200) and records nothing', async () => {
    const before = await Promise.all(
      ['stripe_events', 'invoices', 'outbox'].map((x) => t.count(x)),
    );
    const events = [
      t.stripe.event('customer.created', { id: 'cus_1', object: 'customer' }),
      t.stripe.event('invoice.paid', { id: 'in_1', object: 'invoice' }),
      t.stripe.event('totally.unknown.type', { id: 'x_1', object: 'thing' }),
      // Relevant types without our metadata, or naming a top-up that does not exist.
      t.stripe.event('checkout.session.completed', {
        object: 'checkout.session',
        mode: 'payment',
        payment_status: 'paid',
        amount_total: 100,
        currency: 'usd',
        payment_intent: 'pi_other',
        metadata: {},
      }),
      t.stripe.event('checkout.session.completed', {
        object: 'checkout.session',
        mode: 'payment',
        payment_status: 'paid',
        amount_total: 100,
        currency: 'usd',
        payment_intent: 'pi_other',
        metadata: { topUpId: 'tu_does_not_exist', accountId: 'acct_fuzz' },
      }),
      t.stripe.event('payment_intent.succeeded', {
        object: 'payment_intent',
        id: 'pi_not_ours',
        amount: 500,
        currency: 'usd',
        metadata: {},
      }),
      t.stripe.event('charge.refunded', {
        object: 'charge',
        id: 'ch_not_ours',
        amount_refunded: 100,
        currency: 'usd',
        payment_intent: 'pi_not_ours',
        metadata: {},
      }),
      t.stripe.event('checkout.session.expired', {
        object: 'checkout.session',
        mode: 'payment',
        metadata: { topUpId, accountId: 'acct_someone_else' },
      }),
      t.stripe.event('checkout.session.completed', {
        object: 'checkout.session',
        mode: 'subscription',
        metadata: { topUpId },
      }),
    ];
    for (const event of events) {
      const res = await t.stripe.deliver(event);
      expect([
        event.type,
        res.status,
        (JSON.parse(res.body) as { outcome?: string }).outcome,
      ]).toEqual([event.type, 200, 'ignored']);
    }
    const after = await Promise.all(['stripe_events', 'invoices', 'outbox'].map((x) => t.count(x)));
    expect(after).toEqual(before);
  });
});
