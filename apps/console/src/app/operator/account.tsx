import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { formatTime } from '../format.js';
import { BreakdownTable } from '../pages/credits.js';
import { BalanceCards } from '../pages/overview.js';
import { Link } from '../router.js';
import { Loading, Money, Problem } from '../ui.js';
import {
  accountHref,
  CREDIT_TYPES,
  grantCredit,
  type CreditType,
  type GrantRequest,
} from './api.js';

const LABELS: Record<CreditType, string> = {
  gift: 'Gift',
  compensation: 'Compensation',
  referral: 'Referral reward',
  adjustment: 'Adjustment (signed)',
};

/** A grant reaches the balances through the bus: the page asks again while it is open. */
const REFRESH_MS = 2_000;

/** One account as the operator sees it: balances, the credits breakdown, and the grant form. */
export function AccountPage({ accountId }: { readonly accountId: string }) {
  const balance = useQuery({
    queryKey: ['operator', accountId, 'balance'],
    queryFn: () => api('balance', { accountId }),
    refetchInterval: REFRESH_MS,
  });
  const breakdown = useQuery({
    queryKey: ['operator', accountId, 'breakdown'],
    queryFn: () => api('creditsBreakdown', { accountId }),
    refetchInterval: REFRESH_MS,
  });
  return (
    <>
      <div className="title-row">
        <h1>
          Account <code>{accountId}</code>
        </h1>
        <Link href={accountHref(accountId, '/events')} className="button">
          Event history
        </Link>
      </div>
      <Problem error={balance.error} />
      {balance.data === undefined ? (
        balance.isPending && <Loading what="the balances" />
      ) : (
        <>
          <BalanceCards balance={balance.data} />
          <p className="muted">As of {formatTime(balance.data.asOf)}.</p>
        </>
      )}
      <h2>Credits breakdown</h2>
      <Problem error={breakdown.error} />
      {breakdown.data === undefined ? (
        breakdown.isPending && <Loading what="the credits breakdown" />
      ) : (
        <BreakdownTable breakdown={breakdown.data} />
      )}
      <GrantForm accountId={accountId} />
    </>
  );
}

/** A fresh idempotency reference for the next grant: a retry of the same form reuses it. */
const newReference = (): string => `desk-${crypto.randomUUID()}`;

/**
 * `POST /v1/admin/accounts/{id}/credits`. Amounts go to the server as typed: payments checks them
 * (positive, or signed for an adjustment, never zero) and answers in the API error shape.
 */
function GrantForm({ accountId }: { readonly accountId: string }) {
  const queryClient = useQueryClient();
  const ids = {
    type: useId(),
    amount: useId(),
    reason: useId(),
    claim: useId(),
    referred: useId(),
    expires: useId(),
    reference: useId(),
  };
  const [type, setType] = useState<CreditType>('compensation');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [claimId, setClaimId] = useState('');
  const [referredAccountId, setReferred] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const [reference, setReference] = useState(newReference);
  const grant = useMutation({
    mutationFn: (body: GrantRequest) => grantCredit(accountId, body),
    onSuccess: async () => {
      setReference(newReference());
      await queryClient.invalidateQueries({ queryKey: ['operator', accountId] });
    },
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    grant.mutate({
      type,
      amount: amount.trim(),
      reason: reason.trim(),
      reference,
      ...(type === 'compensation' && claimId.trim() !== '' ? { claimId: claimId.trim() } : {}),
      ...(type === 'referral' && referredAccountId.trim() !== ''
        ? { referredAccountId: referredAccountId.trim() }
        : {}),
      ...(type !== 'adjustment' && expiresOn !== ''
        ? { expiresAt: `${expiresOn}T23:59:59.999Z` }
        : {}),
    });
  };
  return (
    <section aria-labelledby={`${ids.type}-title`}>
      <h2 id={`${ids.type}-title`}>Grant credits</h2>
      <form className="stack grant" onSubmit={submit}>
        <label htmlFor={ids.type}>Kind</label>
        <select id={ids.type} value={type} onChange={(e) => setType(e.target.value as CreditType)}>
          {CREDIT_TYPES.map((t) => (
            <option key={t} value={t}>
              {LABELS[t]}
            </option>
          ))}
        </select>
        <label htmlFor={ids.amount}>
          Amount in US dollars{type === 'adjustment' ? ' (negative to take back)' : ''}
        </label>
        <input
          id={ids.amount}
          inputMode="decimal"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          autoComplete="off"
          required
        />
        <label htmlFor={ids.reason}>Reason</label>
        <input
          id={ids.reason}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          required
        />
        {type === 'compensation' && (
          <>
            <label htmlFor={ids.claim}>Claim reference</label>
            <input
              id={ids.claim}
              value={claimId}
              onChange={(e) => setClaimId(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              required
            />
          </>
        )}
        {type === 'referral' && (
          <>
            <label htmlFor={ids.referred}>Referred account (optional)</label>
            <input
              id={ids.referred}
              value={referredAccountId}
              onChange={(e) => setReferred(e.target.value)}
              autoComplete="off"
            />
          </>
        )}
        {type !== 'adjustment' && (
          <>
            <label htmlFor={ids.expires}>Expires at the end of (UTC, optional)</label>
            <input
              id={ids.expires}
              type="date"
              value={expiresOn}
              onChange={(e) => setExpiresOn(e.target.value)}
            />
          </>
        )}
        <label htmlFor={ids.reference}>Idempotency reference</label>
        <input
          id={ids.reference}
          value={reference}
          onChange={(e) => setReference(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          required
        />
        <div>
          <button type="submit" disabled={grant.isPending}>
            Grant {LABELS[type].toLowerCase()}
          </button>
        </div>
      </form>
      <Problem error={grant.error} />
      {grant.data !== undefined && (
        <p role="status" className="credited" data-testid="granted">
          Granted <Money amount={grant.data.amount} /> ({grant.data.type}
          {grant.data.claimId === null ? '' : `, claim ${grant.data.claimId}`}) as{' '}
          <code>{grant.data.creditId}</code>.
        </p>
      )}
    </section>
  );
}
