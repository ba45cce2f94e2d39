import { createHmac } from 'node:crypto';
import { newWebhookSecret, signatureHeader, verifyAlertSignature } from './alert-signature.js';

const secret = 'whsec_' + 'ab'.repeat(32);
const body =
  '{"id":"alert_1","type":"balance.low","accountId":"acc_1","threshold":"10","available":"9.5","occurredAt":"2026-12-07T00:00:00.000Z"}';
const t = 1_796_000_000;

describe('Billing-Signature', () => {
  it('is t=<unix>,v1=<hex HMAC-SHA256 of "t.body"> as documented, computed independently here', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signatureHeader(secret, t, body)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies with the secret within the tolerance', () => {
    expect(verifyAlertSignature(signatureHeader(secret, t, body), body, secret, t + 299)).toBe(
      true,
    );
  });

  it('fails for a tampered body, another secret, a stale or future timestamp, or a forged header', () => {
    const header = signatureHeader(secret, t, body);
    expect(verifyAlertSignature(header, body.replace('9.5', '95'), secret, t)).toBe(false);
    expect(verifyAlertSignature(header, body, newWebhookSecret(), t)).toBe(false);
    expect(verifyAlertSignature(header, body, secret, t + 301)).toBe(false);
    expect(verifyAlertSignature(header, body, secret, t - 301)).toBe(false);
    // The timestamp is signed: moving it forward to pass the tolerance breaks the signature.
    expect(
      verifyAlertSignature(header.replace(`t=${t}`, `t=${t + 1000}`), body, secret, t + 1000),
    ).toBe(false);
    for (const forged of [undefined, '', 'v1=abc', `t=${t}`, `t=${t},v1=${'0'.repeat(64)}`]) {
      expect(verifyAlertSignature(forged, body, secret, t)).toBe(false);
    }
  });

  it('issues a fresh 32-byte secret each time, in the shape the log redaction recognises', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
