import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { CLAIM_RULES, formatTtft } from '../../lib/growth.js';
import { api, own } from '../api.js';
import { formatTime } from '../format.js';
import { Loading, Money, Pager, Problem, useCursorPages } from '../ui.js';

const PAGE_SIZE = 20;

/**
 * The AI insurance's claims (docs/CONTRACTS.md "AI insurance"): each request the policy refunded,
 * by which rule, and the compensation credited for it, newest first. Pages follow metering's
 * cursor. A compensation an operator granted by hand is in the transaction history, not here.
 */
export function Claims() {
  const pages = useCursorPages();
  const { cursor } = pages;
  const page = useQuery({
    queryKey: ['claims', cursor],
    queryFn: () => api('claims', own(), { query: { limit: PAGE_SIZE, cursor } }),
    placeholderData: keepPreviousData,
  });
  const rows = page.data?.data ?? [];
  const next = page.data?.nextCursor ?? undefined;

  return (
    <>
      <h1>AI insurance claims</h1>
      <p>
        A request that failed after it was charged, or whose first token came later than the model’s
        service level, is refunded automatically as compensation credits (spent before top-up
        credits).
      </p>
      <Problem error={page.error} />
      {page.data === undefined ? (
        page.isPending && <Loading what="the claims" />
      ) : rows.length === 0 ? (
        <p>No claims yet: every request so far went as promised.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Claims, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Issued</th>
                <th scope="col">Rule</th>
                <th scope="col">Requests</th>
                <th scope="col" className="num">
                  Refunded
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((claim) => (
                <tr key={claim.claimId} data-testid="claim" data-rule={claim.rule}>
                  <td>{formatTime(claim.issuedAt)}</td>
                  <td>
                    {CLAIM_RULES[claim.rule] ?? claim.rule}
                    <div className="muted">Policy {claim.policyVersion}</div>
                  </td>
                  <td>
                    <ul className="plain">
                      {claim.requests.map((r) => (
                        <li key={r.requestId}>
                          <code>{r.requestId}</code> · {r.model} · {r.status} · cost{' '}
                          <Money amount={r.cost} />
                          {r.ttftMs !== null && ` · first token ${formatTtft(r.ttftMs)}`}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td className="num" data-testid="claim-amount">
                    <Money amount={claim.amount} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager pages={pages} next={next} />
    </>
  );
}
