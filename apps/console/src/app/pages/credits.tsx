import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, own, type CreditsBreakdown } from '../api.js';
import { formatTime } from '../format.js';
import { Loading, Money, Problem } from '../ui.js';

const CREDIT_ROWS: readonly { key: keyof CreditsBreakdown; label: string; what: string }[] = [
  { key: 'topUps', label: 'Top-ups', what: 'credits bought' },
  { key: 'bonuses', label: 'Bonuses', what: 'the bonus of each top-up' },
  { key: 'gifts', label: 'Gifts', what: 'credits granted by the platform' },
  { key: 'referrals', label: 'Referrals', what: 'rewards for referring others' },
  { key: 'compensations', label: 'Compensations', what: 'compensation credits' },
  { key: 'adjustments', label: 'Adjustments', what: 'manual corrections by the platform' },
  { key: 'expired', label: 'Expired', what: 'bonus-type credits that expired unused' },
  { key: 'usage', label: 'Usage', what: 'credits consumed by API calls' },
];

/** The guide's nine categories, now or as they stood at the end of a chosen day (UTC). */
export function Credits() {
  const [day, setDay] = useState('');
  const dayId = useId();
  const asOf = day === '' ? undefined : `${day}T23:59:59.999Z`;
  const breakdown = useQuery({
    queryKey: ['credits-breakdown', asOf],
    queryFn: () => api('creditsBreakdown', own(), { query: { asOf } }),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <h1>Credits breakdown</h1>
      <div className="inline-form">
        <label htmlFor={dayId}>As of the end of (UTC)</label>
        <input
          id={dayId}
          type="date"
          value={day}
          max={new Date().toISOString().slice(0, 10)}
          onChange={(e) => setDay(e.target.value)}
        />
        {day !== '' && (
          <button type="button" className="secondary" onClick={() => setDay('')}>
            Now
          </button>
        )}
      </div>
      <Problem error={breakdown.error} />
      {breakdown.data === undefined ? (
        breakdown.isPending && <Loading what="the credits breakdown" />
      ) : (
        <BreakdownTable breakdown={breakdown.data} />
      )}
    </>
  );
}

/** The nine categories of a breakdown, with what each counts and the total. */
export function BreakdownTable({ breakdown }: { readonly breakdown: CreditsBreakdown }) {
  return (
    <div className="table-wrap">
      <table className="breakdown">
        <caption>As of {breakdown.asOf === undefined ? 'now' : formatTime(breakdown.asOf)}</caption>
        <thead>
          <tr>
            <th scope="col">Category</th>
            <th scope="col">What it counts</th>
            <th scope="col" className="num">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {CREDIT_ROWS.map((row) => (
            <tr key={row.key} data-testid={`credits-${row.key}`}>
              <th scope="row">{row.label}</th>
              <td>{row.what}</td>
              <td className="num">
                <Money amount={String(breakdown[row.key] ?? '0')} />
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="credits-totalBalance">
            <th scope="row">Total balance</th>
            <td>top-ups and credits, less usage and what expired</td>
            <td className="num">
              <Money amount={breakdown.totalBalance} />
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
