import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { formatNanos } from '../../lib/money.js';
import { parseUsd } from '@billing/money';
import { api, own } from '../api.js';
import { Link, useLocation } from '../router.js';
import { Money, Problem } from '../ui.js';
import { PENDING_TOP_UP } from './top-up.js';
import { balanceQuery } from './overview.js';

/**
 * Where a checkout comes back to. The top-up is credited once payments has settled it and the
 * ledger has applied it: this page asks until the ledger's history holds its top-up row (found by
 * its invoice) and its bonus, and then shows what was credited, as the ledger recorded it.
 */
export function TopUpReturn() {
  const topUpId =
    useLocation().searchParams.get('topUpId') ?? sessionStorage.getItem(PENDING_TOP_UP);
  const topUp = useQuery({
    queryKey: ['top-up', topUpId],
    enabled: topUpId !== null,
    queryFn: async () => {
      const list = await api('topUps', own());
      return list.data.find((t) => t.topUpId === topUpId) ?? null;
    },
    refetchInterval: (q) =>
      q.state.data?.status === 'pending' || q.state.data === null ? 1000 : false,
  });
  const invoiceId = topUp.data?.invoiceId ?? null;
  // A promotion code's discount is its own credit row (type `discount`), after the top-up's.
  const discounted = topUp.data != null && (topUp.data.discount ?? '0') !== '0';
  const credited = useQuery({
    queryKey: ['top-up-credited', topUpId, invoiceId, discounted],
    enabled: invoiceId !== null,
    queryFn: async () => {
      const page = await api('transactions', own(), { query: { limit: 50 } });
      const credit = page.data.find((r) => r.type === 'top_up' && r.invoiceId === invoiceId);
      const bonus = page.data.find(
        (r) => r.type === 'bonus' && r.description === `Bonus for top-up ${topUpId}`,
      );
      const discount = page.data.find(
        (r) => r.type === 'discount' && r.description.endsWith(` on top-up ${topUpId}`),
      );
      if (credit === undefined || bonus === undefined) return null;
      if (discounted && discount === undefined) return null;
      return { credit, bonus, discount };
    },
    refetchInterval: (q) => (q.state.data === null ? 500 : false),
  });
  // Every figure cached before the credit is out of date once it is in.
  const client = useQueryClient();
  const isCredited = credited.data != null;
  useEffect(() => {
    if (isCredited) void client.invalidateQueries();
  }, [client, isCredited]);
  const balance = useQuery({ ...balanceQuery(), enabled: isCredited });

  if (topUpId === null) {
    return (
      <>
        <h1>Top-up</h1>
        <p>
          No top-up to follow here. <Link href="/top-up">Top up</Link>
        </p>
      </>
    );
  }
  const failed = topUp.data?.status === 'failed';
  return (
    <>
      <h1>Top-up</h1>
      <Problem error={topUp.error ?? credited.error} />
      <div role="status" aria-live="polite">
        {failed ? (
          <p className="problem">The payment did not go through; nothing was credited.</p>
        ) : credited.data == null ? (
          <p>Waiting for the payment to be credited…</p>
        ) : (
          <>
            <p className="credited" data-testid="credited">
              Credited{' '}
              {formatNanos(
                parseUsd(credited.data.credit.amount) +
                  parseUsd(credited.data.discount?.amount ?? '0') +
                  parseUsd(credited.data.bonus.amount),
              )}
              : <Money amount={credited.data.credit.amount} /> top-up +{' '}
              {credited.data.discount !== undefined && (
                <>
                  <Money amount={credited.data.discount.amount} /> discount
                  {topUp.data?.promotionCode == null ? '' : ` (${topUp.data.promotionCode})`} +{' '}
                </>
              )}
              <Money amount={credited.data.bonus.amount} /> bonus.
            </p>
            {balance.data !== undefined && (
              <p>
                Your total balance is now <Money amount={balance.data.total} />.
              </p>
            )}
          </>
        )}
      </div>
      <p>
        <Link href="/">Back to the overview</Link> ·{' '}
        <Link href="/transactions">Transaction history</Link>
      </p>
    </>
  );
}
