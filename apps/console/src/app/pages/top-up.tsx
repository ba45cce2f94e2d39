import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { formatMoney, formatRate, previewTopUp, type TopUpSettings } from '../../lib/money.js';
import { accountPath, call } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { Loading, Problem } from '../ui.js';

const PRESETS = ['10', '25', '50', '100'] as const;
const METHODS = [
  { value: 'card', label: 'Card' },
  { value: 'alipay', label: 'Alipay' },
] as const;

/** Where the return page finds the top-up it waits for (the checkout's return URL has no id). */
export const PENDING_TOP_UP = 'billing-console.pending-top-up';

interface Created {
  readonly topUpId: string;
  readonly status: 'pending' | 'settled';
  readonly checkoutUrl: string;
}

/**
 * Top up: a preset or a custom amount, the bonus it earns shown before paying (computed exactly
 * from the configured rate), Card or Alipay. With Stripe the browser goes to its Checkout page
 * and comes back to /top-up/return; the simulated provider of the standalone mode pays at once.
 */
export function TopUpPage() {
  const settings = useQuery({
    queryKey: ['console-settings'],
    queryFn: () => call<TopUpSettings>('GET', '/v1/console/settings'),
    staleTime: Infinity,
  });
  const cancelled = useLocation().searchParams.has('cancelled');
  const [choice, setChoice] = useState<string>('100');
  const [custom, setCustom] = useState('');
  const [method, setMethod] = useState<string>('card');
  const ids = { custom: useId(), preview: useId(), problem: useId() };
  const amountText = choice === 'custom' ? custom : choice;
  const preview = settings.data === undefined ? undefined : previewTopUp(amountText, settings.data);

  const client = useQueryClient();
  const pay = useMutation({
    mutationFn: (amount: string) =>
      call<Created>('POST', accountPath('/top-ups'), { amount, method }),
    onSuccess: (created) => {
      sessionStorage.setItem(PENDING_TOP_UP, created.topUpId);
      void client.invalidateQueries();
      if (created.status === 'settled') {
        navigate(`/top-up/return?topUpId=${encodeURIComponent(created.topUpId)}`);
      } else {
        window.location.assign(created.checkoutUrl);
      }
    },
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (preview?.ok === true) pay.mutate(preview.amount);
  };

  if (settings.data === undefined) {
    return (
      <>
        <h1>Top up</h1>
        <Problem error={settings.error} />
        {settings.isPending && <Loading what="the top-up settings" />}
      </>
    );
  }
  const rate = formatRate(settings.data.bonusRate);
  return (
    <>
      <h1>Top up</h1>
      {cancelled && <p role="status">The payment was cancelled; nothing was charged.</p>}
      <p>Every top-up earns a {rate} bonus, credited with it. Bonus credits are spent first.</p>
      <form onSubmit={submit} className="stack">
        <fieldset>
          <legend>Amount</legend>
          <div className="choices">
            {PRESETS.map((p) => (
              <label key={p} className="choice">
                <input
                  type="radio"
                  name="amount"
                  value={p}
                  checked={choice === p}
                  onChange={() => setChoice(p)}
                />
                {formatMoney(p)}
              </label>
            ))}
            <label className="choice">
              <input
                type="radio"
                name="amount"
                value="custom"
                checked={choice === 'custom'}
                onChange={() => setChoice('custom')}
              />
              Other amount
            </label>
          </div>
          {choice === 'custom' && (
            <div className="stack">
              <label htmlFor={ids.custom}>
                Amount in US dollars ({formatMoney(settings.data.minTopUp)} to{' '}
                {formatMoney(settings.data.maxTopUp)})
              </label>
              <input
                id={ids.custom}
                inputMode="decimal"
                value={custom}
                onChange={(e) => setCustom(e.target.value)}
                aria-describedby={ids.preview}
                aria-invalid={preview?.ok === false && custom !== ''}
                autoComplete="off"
              />
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Pay with</legend>
          <div className="choices">
            {METHODS.map((m) => (
              <label key={m.value} className="choice">
                <input
                  type="radio"
                  name="method"
                  value={m.value}
                  checked={method === m.value}
                  onChange={() => setMethod(m.value)}
                />
                {m.label}
              </label>
            ))}
          </div>
        </fieldset>
        <div id={ids.preview} aria-live="polite">
          {preview?.ok === true ? (
            <dl className="summary" data-testid="preview">
              <div>
                <dt>You pay</dt>
                <dd>{formatMoney(preview.amount)}</dd>
              </div>
              <div>
                <dt>Bonus ({rate})</dt>
                <dd>+{formatMoney(preview.bonus)}</dd>
              </div>
              <div>
                <dt>Credited</dt>
                <dd>{formatMoney(preview.credited)}</dd>
              </div>
            </dl>
          ) : (
            preview !== undefined &&
            (choice !== 'custom' || custom !== '') && <p className="problem">{preview.problem}</p>
          )}
        </div>
        <Problem error={pay.error} />
        <div>
          <button type="submit" disabled={preview?.ok !== true || pay.isPending}>
            {pay.isPending
              ? 'Paying…'
              : preview?.ok === true
                ? `Pay ${formatMoney(preview.amount)}`
                : 'Pay'}
          </button>
        </div>
      </form>
    </>
  );
}
