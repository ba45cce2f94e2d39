import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { checkPromotionCode, promotionCodeProblem } from '../../lib/growth.js';
import { formatMoney, formatRate, previewTopUp } from '../../lib/money.js';
import { api, ApiError, own } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { Loading, Problem } from '../ui.js';

const PRESETS = ['10', '25', '50', '100'] as const;
const METHODS = [
  { value: 'card', label: 'Card' },
  { value: 'alipay', label: 'Alipay' },
] as const;

/** Where the return page finds the top-up it waits for (the checkout's return URL has no id). */
export const PENDING_TOP_UP = 'billing-console.pending-top-up';

/** `POST .../top-ups/quote`: what a top-up with a promotion code charges and credits. */
/** A refusal of a promotion code in words; any other failure as the API said it. */
function codeProblem(error: unknown, code: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.code.startsWith('PAYMENTS.PROMOTION_CODE') ||
    error.code === 'PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT'
    ? promotionCodeProblem(error, code)
    : undefined;
}

/**
 * Top up: a preset or a custom amount, the bonus it earns shown before paying (computed exactly
 * from the configured rate), Card or Alipay. A promotion code is checked by payments' quote (the
 * same rules as the checkout's), which then gives every figure shown: the discount, what is paid
 * and what is credited (the full amount and its bonus). With Stripe the browser goes to its Checkout page
 * and comes back to /top-up/return; the simulated provider of the standalone mode pays at once.
 */
export function TopUpPage() {
  const settings = useQuery({
    queryKey: ['console-settings'],
    queryFn: () => api('consoleSettings', {}),
    staleTime: Infinity,
  });
  const cancelled = useLocation().searchParams.has('cancelled');
  const [choice, setChoice] = useState<string>('100');
  const [custom, setCustom] = useState('');
  const [method, setMethod] = useState<string>('card');
  const [promoInput, setPromoInput] = useState('');
  const [promoCode, setPromoCode] = useState<string | undefined>();
  const [promoInputProblem, setPromoInputProblem] = useState<string | undefined>();
  const ids = {
    custom: useId(),
    preview: useId(),
    problem: useId(),
    promo: useId(),
    promoProblem: useId(),
  };
  const amountText = choice === 'custom' ? custom : choice;
  const preview = settings.data === undefined ? undefined : previewTopUp(amountText, settings.data);
  const amount = preview?.ok === true ? preview.amount : undefined;
  const quote = useQuery({
    queryKey: ['top-up-quote', amount, promoCode],
    enabled: amount !== undefined && promoCode !== undefined,
    queryFn: () => api('quoteTopUp', own(), { body: { amount, promotionCode: promoCode } }),
    staleTime: 30_000,
  });
  const quoted = promoCode === undefined ? undefined : quote.data;
  const quoteProblem =
    promoCode === undefined || quote.error === null
      ? undefined
      : (codeProblem(quote.error, promoCode) ?? quote.error.message);
  // With a code, nothing is paid before payments has quoted it: the figures are its own.
  const payable = preview?.ok === true && (promoCode === undefined || quoted !== undefined);
  const toPay = quoted?.charged ?? amount;

  const applyCode = (): void => {
    const checked = checkPromotionCode(promoInput);
    if (!checked.ok) {
      setPromoInputProblem(checked.problem);
      setPromoCode(undefined);
      return;
    }
    setPromoInputProblem(undefined);
    setPromoInput(checked.code);
    setPromoCode(checked.code);
  };
  const removeCode = (): void => {
    setPromoCode(undefined);
    setPromoInput('');
    setPromoInputProblem(undefined);
  };
  // Enter in the code's field applies the code; it must not submit the form (that pays).
  const onPromoKey = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    applyCode();
  };

  const client = useQueryClient();
  const pay = useMutation({
    mutationFn: (topUp: { amount: string; promotionCode: string | undefined }) =>
      api('createTopUp', own(), {
        body: {
          amount: topUp.amount,
          method,
          ...(topUp.promotionCode === undefined ? {} : { promotionCode: topUp.promotionCode }),
        },
      }),
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
    if (payable && amount !== undefined) pay.mutate({ amount, promotionCode: promoCode });
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
        <fieldset>
          <legend>Promotion code</legend>
          <div className="inline-form">
            <label htmlFor={ids.promo} className="visually-hidden">
              Promotion code
            </label>
            <input
              id={ids.promo}
              value={promoInput}
              onChange={(e) => {
                setPromoInput(e.target.value);
                setPromoInputProblem(undefined);
              }}
              onKeyDown={onPromoKey}
              placeholder="Optional, e.g. SPRING10"
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              aria-describedby={ids.promoProblem}
              aria-invalid={promoInputProblem !== undefined || quoteProblem !== undefined}
            />
            {promoCode === undefined ? (
              <button type="button" className="secondary" onClick={applyCode}>
                Apply code
              </button>
            ) : (
              <button type="button" className="secondary" onClick={removeCode}>
                Remove code
              </button>
            )}
          </div>
          <div id={ids.promoProblem} aria-live="polite">
            {(promoInputProblem ?? quoteProblem) !== undefined && (
              <p className="problem" data-testid="promo-problem">
                {promoInputProblem ?? quoteProblem}
              </p>
            )}
            {promoCode !== undefined && quote.isFetching && quoted === undefined && (
              <p className="muted">Checking {promoCode}…</p>
            )}
          </div>
        </fieldset>
        <div id={ids.preview} aria-live="polite">
          {preview?.ok === true && quoted !== undefined ? (
            <dl className="summary" data-testid="preview">
              <div>
                <dt>Top-up</dt>
                <dd>{formatMoney(quoted.requested)}</dd>
              </div>
              <div>
                <dt>Discount ({quoted.promotionCode ?? promoCode})</dt>
                <dd>-{formatMoney(quoted.discount)}</dd>
              </div>
              <div>
                <dt>You pay</dt>
                <dd>{formatMoney(quoted.charged)}</dd>
              </div>
              <div>
                <dt>Bonus ({rate})</dt>
                <dd>+{formatMoney(quoted.bonus)}</dd>
              </div>
              <div>
                <dt>Credited</dt>
                <dd>{formatMoney(quoted.credited)}</dd>
              </div>
            </dl>
          ) : preview?.ok === true && promoCode !== undefined ? null : preview?.ok === true ? (
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
        {pay.error !== null && promoCode !== undefined && codeProblem(pay.error, promoCode) ? (
          <p className="problem" role="alert">
            {codeProblem(pay.error, promoCode)}
          </p>
        ) : (
          <Problem error={pay.error} />
        )}
        <div>
          <button type="submit" disabled={!payable || pay.isPending}>
            {pay.isPending
              ? 'Paying…'
              : payable && toPay !== undefined
                ? `Pay ${formatMoney(toPay)}`
                : 'Pay'}
          </button>
        </div>
      </form>
    </>
  );
}
