import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { transactionsCsv, type TransactionRow } from '../../lib/csv.js';
import { accountPath, call, download, request, type Page } from '../api.js';
import { formatTime, METHODS, TRANSACTION_TYPES } from '../format.js';
import { Loading, Money, Problem } from '../ui.js';

const PAGE_SIZE = 20;

/**
 * The guide's transaction history: date, amount, type and method, description or invoice. Pages
 * follow the ledger's cursor (the cursors already seen make "Newer"); the CSV holds the rows on
 * screen, as the API sent them.
 */
export function Transactions() {
  const [cursors, setCursors] = useState<readonly (string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: ['transactions', cursor],
    queryFn: () =>
      call<Page<TransactionRow>>(
        'GET',
        accountPath(
          `/transactions?limit=${PAGE_SIZE}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        ),
      ),
    placeholderData: keepPreviousData,
  });
  const invoice = useMutation({
    mutationFn: async (invoiceId: string) => {
      const res = await request(
        'GET',
        accountPath(`/invoices/${encodeURIComponent(invoiceId)}/pdf`),
      );
      download(`${invoiceId}.pdf`, await res.blob());
    },
  });
  const rows = page.data?.data ?? [];
  const next = page.data?.nextCursor ?? undefined;

  return (
    <>
      <div className="title-row">
        <h1>Transaction history</h1>
        <button
          type="button"
          className="secondary"
          disabled={rows.length === 0}
          onClick={() =>
            download(
              `transactions-${cursors.length}.csv`,
              new Blob([transactionsCsv(rows)], { type: 'text/csv' }),
            )
          }
        >
          Export CSV (this page)
        </button>
      </div>
      <Problem error={page.error ?? invoice.error} />
      {page.data === undefined ? (
        page.isPending && <Loading what="the transactions" />
      ) : rows.length === 0 ? (
        <p>No transactions yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Transactions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Type / method</th>
                <th scope="col">Description / invoice</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-type={row.type}>
                  <td>{formatTime(row.occurredAt)}</td>
                  <td className="num">
                    <Money amount={row.amount} />
                  </td>
                  <td>
                    <span className={`type ${row.type}`}>
                      {TRANSACTION_TYPES[row.type] ?? row.type}
                    </span>
                    {row.method !== undefined && ` · ${METHODS[row.method] ?? row.method}`}
                  </td>
                  <td>
                    {row.description}
                    {row.requestCount !== undefined &&
                      ` (${row.requestCount} request${row.requestCount === 1 ? '' : 's'})`}
                    {row.invoiceId !== undefined && (
                      <>
                        {' '}
                        <button
                          type="button"
                          className="small secondary"
                          onClick={() => invoice.mutate(row.invoiceId ?? '')}
                        >
                          Download invoice (PDF)
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="secondary"
          disabled={cursors.length === 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Newer
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          className="secondary"
          disabled={next === undefined}
          onClick={() => setCursors((c) => [...c, next])}
        >
          Older
        </button>
      </nav>
    </>
  );
}
