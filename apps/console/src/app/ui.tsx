import { formatMoney } from '../lib/money.js';
import { ApiError } from './api.js';

/** An amount from the API, formatted from its decimal string. */
export function Money({ amount }: { amount: string }) {
  return <span className="money">{formatMoney(amount)}</span>;
}

export function Problem({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const message =
    error instanceof ApiError
      ? `${error.message} (${error.code})`
      : error instanceof Error
        ? error.message
        : 'Something went wrong.';
  return (
    <p className="problem" role="alert">
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
