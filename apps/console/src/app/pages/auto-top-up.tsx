import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { tryParseUsd } from '@billing/money';
import { formatMoney, previewTopUp } from '../../lib/money.js';
import { api, ApiError, own, type PaymentMethod } from '../api.js';
import { formatTime } from '../format.js';
import { useLocation } from '../router.js';
import { Loading, Problem } from '../ui.js';

const cardLabel = (pm: PaymentMethod): string =>
  `${pm.brand === null ? 'Card' : pm.brand.toUpperCase()} ending ${pm.last4 ?? '????'}${
    pm.expMonth === null || pm.expYear === null
      ? ''
      : `, expires ${String(pm.expMonth).padStart(2, '0')}/${pm.expYear}`
  }`;

/**
 * The guide's Auto Top-Up: a threshold, an amount, and the card it charges, chosen from the
 * account's own saved cards (linking one goes through Stripe; the simulated provider saves one
 * at once). When repeated declines switched it off, the page says why.
 */
export function AutoTopUpPage() {
  const client = useQueryClient();
  const returned = useLocation().searchParams.get('card');
  const settings = useQuery({
    queryKey: ['console-settings'],
    queryFn: () => api('consoleSettings', {}),
    staleTime: Infinity,
  });
  const cards = useQuery({
    queryKey: ['payment-methods'],
    queryFn: () => api('paymentMethods', own()),
  });
  const config = useQuery({
    queryKey: ['auto-top-up'],
    queryFn: async () => {
      try {
        return await api('autoTopUp', own());
      } catch (err) {
        // Never configured: the form starts empty.
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
  });
  const refresh = async (): Promise<void> => {
    await client.invalidateQueries({ queryKey: ['payment-methods'] });
    await client.invalidateQueries({ queryKey: ['auto-top-up'] });
  };

  const link = useMutation({
    mutationFn: () => api('setUpPaymentMethod', own()),
    onSuccess: async (setup) => {
      if (setup.status === 'pending') window.location.assign(setup.setupUrl);
      else await refresh();
    },
  });
  const [removing, setRemoving] = useState<string | undefined>();
  const remove = useMutation({
    mutationFn: (id: string) => api('deletePaymentMethod', { ...own(), paymentMethodId: id }),
    onSuccess: async () => {
      setRemoving(undefined);
      await refresh();
    },
  });

  const [enabled, setEnabled] = useState(false);
  const [threshold, setThreshold] = useState('10');
  const [amount, setAmount] = useState('100');
  const [card, setCard] = useState('');
  const [saved, setSaved] = useState('');
  const ids = { enabled: useId(), threshold: useId(), amount: useId(), card: useId() };
  const current = config.data;
  useEffect(() => {
    if (current === undefined || current === null) return;
    setEnabled(current.enabled);
    setThreshold(current.threshold);
    setAmount(current.amount);
    setCard(current.paymentMethodId);
  }, [current]);
  const cardList = cards.data?.data ?? [];
  const chosenCard = card !== '' ? card : (cardList[0]?.paymentMethodId ?? '');

  const save = useMutation({
    mutationFn: (body: {
      enabled: boolean;
      threshold: string;
      amount: string;
      paymentMethodId: string;
    }) => api('setAutoTopUp', own(), { body }),
    onSuccess: async (answer) => {
      setSaved(
        answer.enabled
          ? `Saved: ${formatMoney(answer.amount)} is charged whenever the balance falls below ${formatMoney(answer.threshold)}.`
          : 'Saved: auto top-up is off.',
      );
      await client.invalidateQueries();
    },
  });

  const amountCheck = settings.data === undefined ? undefined : previewTopUp(amount, settings.data);
  const thresholdOk =
    /^\d{1,7}(?:\.\d{1,2})?$/.test(threshold.trim()) && tryParseUsd(threshold.trim()) !== undefined;
  const problem = !thresholdOk
    ? 'Enter the threshold in dollars and cents, like 10 or 10.50.'
    : amountCheck?.ok === false
      ? amountCheck.problem
      : chosenCard === ''
        ? 'Link a card first.'
        : undefined;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== undefined || amountCheck?.ok !== true) return;
    save.mutate({
      enabled,
      threshold: threshold.trim(),
      amount: amountCheck.amount,
      paymentMethodId: chosenCard,
    });
  };

  return (
    <>
      <h1>Auto top-up</h1>
      <p>
        Keeps the API running: when the balance falls below the threshold, the amount is charged to
        the card you choose (with its bonus, as any top-up).
      </p>
      {returned === 'saved' && <p role="status">The card was linked.</p>}
      {returned === 'cancelled' && <p role="status">Linking the card was cancelled.</p>}
      <Problem error={config.error ?? cards.error ?? settings.error} />
      {current?.disabledReason != null && (
        <p className="problem" role="alert" data-testid="disabled-reason">
          Auto top-up switched itself off: {current.disabledReason}.
          {current.lastFailureAt !== null &&
            ` Last failure ${formatTime(current.lastFailureAt)}${current.lastFailureCode === null ? '' : ` (${current.lastFailureCode})`}.`}
        </p>
      )}

      <h2>Cards</h2>
      {cards.isPending ? (
        <Loading what="the cards" />
      ) : cardList.length === 0 ? (
        <p>No card linked yet.</p>
      ) : (
        <ul className="cards-list">
          {cardList.map((pm) => (
            <li key={pm.paymentMethodId} data-testid="card">
              {cardLabel(pm)}
              {pm.usedByAutoTopUp && <strong> · charged by auto top-up</strong>}{' '}
              {removing === pm.paymentMethodId ? (
                <span role="alert">
                  Remove this card?{pm.usedByAutoTopUp && ' Auto top-up will switch off.'}{' '}
                  <button
                    type="button"
                    className="small danger"
                    onClick={() => remove.mutate(pm.paymentMethodId)}
                  >
                    Remove card
                  </button>{' '}
                  <button
                    type="button"
                    className="small secondary"
                    onClick={() => setRemoving(undefined)}
                  >
                    Keep it
                  </button>
                </span>
              ) : (
                <button
                  type="button"
                  className="small secondary"
                  onClick={() => setRemoving(pm.paymentMethodId)}
                  aria-label={`Remove ${cardLabel(pm)}`}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <p>
        <button
          type="button"
          className="secondary"
          onClick={() => link.mutate()}
          disabled={link.isPending}
        >
          Link a card
        </button>
      </p>
      <Problem error={link.error ?? remove.error} />

      <h2>Settings</h2>
      {config.isPending ? (
        <Loading what="the auto top-up settings" />
      ) : (
        <form onSubmit={submit} className="stack">
          <label className="choice" htmlFor={ids.enabled}>
            <input
              id={ids.enabled}
              type="checkbox"
              checked={enabled}
              onChange={(e) => setEnabled(e.target.checked)}
            />
            Top up automatically
          </label>
          <label htmlFor={ids.threshold}>When the balance falls below (USD)</label>
          <input
            id={ids.threshold}
            inputMode="decimal"
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
            autoComplete="off"
          />
          <label htmlFor={ids.amount}>Top up this amount (USD)</label>
          <input
            id={ids.amount}
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            autoComplete="off"
          />
          <label htmlFor={ids.card}>Charge this card</label>
          <select id={ids.card} value={chosenCard} onChange={(e) => setCard(e.target.value)}>
            {cardList.length === 0 && <option value="">No card linked</option>}
            {cardList.map((pm) => (
              <option key={pm.paymentMethodId} value={pm.paymentMethodId}>
                {cardLabel(pm)}
              </option>
            ))}
          </select>
          {problem !== undefined && <p className="problem">{problem}</p>}
          <Problem error={save.error} />
          <p role="status" className="notice">
            {saved}
          </p>
          <div>
            <button type="submit" disabled={problem !== undefined || save.isPending}>
              Save
            </button>
          </div>
        </form>
      )}
    </>
  );
}
