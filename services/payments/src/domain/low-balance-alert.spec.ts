import { parseUsd } from '@billing/money';
import {
  configureLowBalanceAlert,
  nextAlertAttemptDelayMs,
  onAlertBalanceReported,
  validateAlertSettings,
  type AlertChannelPolicy,
  type LowBalanceAlertState,
} from './low-balance-alert.js';

const saved = (threshold = '10', enabled = true): LowBalanceAlertState =>
  configureLowBalanceAlert(null, { enabled, thresholdNanos: parseUsd(threshold) });

/** Given a state, when these available balances are reported in order, then which alerted. */
function given(state: LowBalanceAlertState) {
  return {
    whenReported(available: string[], firstVersion = (state.lastVersion ?? 0) + 1) {
      let s = state;
      const alerts: number[] = [];
      available.forEach((a, i) => {
        const outcome = onAlertBalanceReported(s, {
          availableNanos: parseUsd(a),
          version: firstVersion + i,
        });
        s = outcome.state;
        if (outcome.alert) alerts.push(i);
      });
      return { alerts, state: s };
    },
  };
}

describe('low-balance alert: the crossing rule', () => {
  it('given an armed alert at $10, when the balance goes from above to below, then one alert', () => {
    const { alerts, state } = given(saved('10')).whenReported(['25', '9.999999999']);
    expect(alerts).toEqual([1]);
    expect(state).toMatchObject({ armed: false, lastAvailableNanos: 9_999_999_999n });
  });

  it('given an alert already sent, when the balance stays below, then nothing more', () => {
    const { alerts } = given(saved('10')).whenReported(['20', '9', '8', '0.5', '0', '-3']);
    expect(alerts).toEqual([1]);
  });

  it('given an alert sent, when the balance is back at or above, then it re-arms and the next dip alerts', () => {
    const { alerts } = given(saved('10')).whenReported(['20', '9', '50', '49', '7', '12', '3']);
    expect(alerts).toEqual([1, 4, 6]);
  });

  it('given a threshold of $10, when the balance is exactly $10, then no alert and re-armed; one nano below alerts', () => {
    const afterDip = given(saved('10')).whenReported(['9']).state;
    const atThreshold = given(afterDip).whenReported(['10']);
    expect(atThreshold.alerts).toEqual([]);
    expect(atThreshold.state.armed).toBe(true);
    expect(given(atThreshold.state).whenReported(['10', '9.999999999']).alerts).toEqual([1]);
  });

  it('given the settings just saved, when the first report is already below, then it alerts once', () => {
    expect(given(saved('10')).whenReported(['4', '3']).alerts).toEqual([0]);
  });

  it('given a disabled alert, when the balance crosses, then nothing', () => {
    expect(given(saved('10', false)).whenReported(['20', '5']).alerts).toEqual([]);
  });

  it('given version 7 seen, when version 7 again or an older one arrives (a replay), then nothing changes', () => {
    const seen = given(saved('10')).whenReported(['20'], 7).state;
    for (const version of [7, 3]) {
      const replay = onAlertBalanceReported(seen, { availableNanos: parseUsd('1'), version });
      expect(replay).toEqual({ state: seen, alert: false });
    }
  });

  it('given an alert sent, when the settings are saved again, then it is re-armed with the last report kept', () => {
    const after = given(saved('10')).whenReported(['20', '5']).state;
    const again = configureLowBalanceAlert(after, { enabled: true, thresholdNanos: parseUsd('3') });
    expect(again).toMatchObject({ armed: true, lastVersion: 2, lastAvailableNanos: parseUsd('5') });
    expect(given(again).whenReported(['2.5']).alerts).toEqual([0]);
  });
});

describe('low-balance alert: settings a customer may save', () => {
  const policy: AlertChannelPolicy = { emailAvailable: true, allowHttpLoopback: false };
  const valid = { enabled: true, threshold: '10', webhookUrl: 'https://example.com/hook' };
  const code = (input: Parameters<typeof validateAlertSettings>[0], p = policy) => {
    const r = validateAlertSettings(input, p);
    return r.ok ? 'ok' : r.error.code;
  };

  it('accepts a positive threshold to the nano-dollar, an address and an https URL', () => {
    const r = validateAlertSettings(
      { ...valid, threshold: '0.000000001', email: 'a.b+c@ex-1.co' },
      policy,
    );
    expect(r).toEqual({
      ok: true,
      value: {
        enabled: true,
        thresholdNanos: 1n,
        email: 'a.b+c@ex-1.co',
        webhookUrl: 'https://example.com/hook',
      },
    });
  });

  it('refuses zero, negative, non-decimal and huge thresholds', () => {
    for (const threshold of ['0', '-1', '1e3', 'NaN', '', '10.0000000001', ' 10']) {
      expect(code({ ...valid, threshold })).toBe('PAYMENTS.INVALID_AMOUNT');
    }
    expect(code({ ...valid, threshold: '1000000' })).toBe('ok');
    expect(code({ ...valid, threshold: '1000000.000000001' })).toBe('PAYMENTS.AMOUNT_TOO_LARGE');
    expect(code({ ...valid, threshold: '9'.repeat(40) })).toBe('PAYMENTS.AMOUNT_TOO_LARGE');
  });

  it('refuses webhook URLs that are not https, carry credentials or are too long', () => {
    for (const webhookUrl of [
      'javascript:alert(1)',
      'http://example.com/hook',
      'http://127.0.0.1:8080/hook',
      'ftp://example.com',
      'file:///etc/passwd',
      'https://user:pass@example.com/hook',
      'https:// example.com',
      `https://example.com/${'a'.repeat(2048)}`,
      'not a url',
    ]) {
      expect([webhookUrl, code({ ...valid, webhookUrl })]).toEqual([
        webhookUrl,
        'PAYMENTS.INVALID_WEBHOOK_URL',
      ]);
    }
  });

  it('accepts http to loopback only with the development flag, and never another http host', () => {
    const dev = { emailAvailable: true, allowHttpLoopback: true };
    for (const webhookUrl of [
      'http://127.0.0.1:8080/h',
      'http://localhost/h',
      'http://[::1]:9/h',
    ]) {
      expect(code({ ...valid, webhookUrl }, dev)).toBe('ok');
      expect(code({ ...valid, webhookUrl })).toBe('PAYMENTS.INVALID_WEBHOOK_URL');
    }
    expect(code({ ...valid, webhookUrl: 'http://10.0.0.1/h' }, dev)).toBe(
      'PAYMENTS.INVALID_WEBHOOK_URL',
    );
  });

  it('refuses malformed addresses, header injection, and e-mail without an SMTP server', () => {
    for (const email of [
      'no-at',
      'a@b',
      'a@@b.com',
      'a b@c.com',
      'a@b.com\r\nBcc: x@y.com',
      `${'a'.repeat(250)}@b.com`,
    ]) {
      expect(code({ ...valid, email })).toBe('PAYMENTS.INVALID_REQUEST');
    }
    expect(code({ ...valid, email: 'ops@example.com' }, { ...policy, emailAvailable: false })).toBe(
      'PAYMENTS.EMAIL_ALERTS_UNAVAILABLE',
    );
  });

  it('refuses an enabled alert with no channel, and accepts a disabled one', () => {
    expect(code({ enabled: true, threshold: '10' })).toBe('PAYMENTS.INVALID_REQUEST');
    expect(code({ enabled: false, threshold: '10' })).toBe('ok');
  });
});

describe('low-balance alert: delivery backoff', () => {
  const policy = { maxAttempts: 8, backoffBaseMs: 60_000, backoffMaxMs: 1_800_000 };

  it('doubles from the base after each failed attempt, capped, and stops after the last attempt', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((a) => nextAlertAttemptDelayMs(a, policy));
    expect(delays).toEqual([
      60_000,
      120_000,
      240_000,
      480_000,
      960_000,
      1_800_000,
      1_800_000,
      null,
    ]);
  });

  it('allows a single attempt when maxAttempts is 1, and never overflows on a large attempt', () => {
    expect(nextAlertAttemptDelayMs(1, { ...policy, maxAttempts: 1 })).toBeNull();
    expect(nextAlertAttemptDelayMs(99, { ...policy, maxAttempts: 200 })).toBe(1_800_000);
  });
});
