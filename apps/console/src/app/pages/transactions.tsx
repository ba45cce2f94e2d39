import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { transactionsCsv } from '../../lib/csv.js';
import {
  filterProblem,
  NO_FILTER,
  transactionsQuery,
  type TransactionFilter,
} from '../../lib/history.js';
import { api, apiRequest, download, own } from '../api.js';
import { formatTime, METHODS, TRANSACTION_TYPES } from '../format.js';
import { Loading, Money, Pager, Problem, useCursorPages } from '../ui.js';

const PAGE_SIZE = 20;

/**
 * The guide's transaction history: date, amount, type and method, description or invoice. Pages
 * follow the ledger's cursor (the cursors already seen make "Newer"); the CSV holds the rows on
 * screen, as the API sent them. The type and day filters are the ledger's (`type`, `from`, `to`):
 * the rows are narrowed before they are paged, so each page is a full page of what matches.
 */
export function Transactions() {
  const [filter, setFilter] = useState<TransactionFilter>(NO_FILTER);
  const pages = useCursorPages();
  const ids = { type: useId(), from: useId(), to: useId() };
  const { cursor } = pages;
  const problem = filterProblem(filter);
  const filtered = filter.type !== '' || filter.from !== '' || filter.to !== '';
  /** A new filter starts again from its first page: an old cursor belongs to the old rows. */
  const change = (patch: Partial<TransactionFilter>): void => {
    setFilter((f) => ({ ...f, ...patch }));
    pages.restart();
  };
  const page = useQuery({
    queryKey: ['transactions', filter, cursor],
    queryFn: () =>
      api('transactions', own(), { query: transactionsQuery(filter, PAGE_SIZE, cursor) }),
    // While the next page loads the last one stays; rows of another filter never stand in.
    placeholderData: (previous, previousQuery) =>
      JSON.stringify(previousQuery?.queryKey[1]) === JSON.stringify(filter) ? previous : undefined,
    enabled: problem === undefined,
  });
  const invoice = useMutation({
    mutationFn: async (invoiceId: string) => {
      const res = await apiRequest('invoicePdf', { ...own(), invoiceId });
      download(`${invoiceId}.pdf`, await res.blob());
    },
  });
  const data = problem === undefined ? page.data : undefined;
  const rows = data?.data ?? [];
  const next = data?.nextCursor ?? undefined;

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
              `transactions-${pages.page}.csv`,
              new Blob([transactionsCsv(rows)], { type: 'text/csv' }),
            )
          }
        >
          Export CSV (this page)
        </button>
      </div>
      <form
        className="inline-form filters"
        aria-label="Filter the transactions"
        onSubmit={(e) => e.preventDefault()}
      >
        <label htmlFor={ids.type}>Type</label>
        <select
          id={ids.type}
          value={filter.type}
          onChange={(e) => change({ type: e.target.value })}
        >
          <option value="">All types</option>
          {Object.entries(TRANSACTION_TYPES).map(([type, label]) => (
            <option key={type} value={type}>
              {label}
            </option>
          ))}
        </select>
        <label htmlFor={ids.from}>From (UTC day)</label>
        <input
          id={ids.from}
          type="date"
          value={filter.from}
          max={filter.to === '' ? undefined : filter.to}
          onChange={(e) => change({ from: e.target.value })}
        />
        <label htmlFor={ids.to}>To (UTC day, included)</label>
        <input
          id={ids.to}
          type="date"
          value={filter.to}
          min={filter.from === '' ? undefined : filter.from}
          onChange={(e) => change({ to: e.target.value })}
        />
        <button
          type="button"
          className="secondary"
          disabled={!filtered}
          onClick={() => change(NO_FILTER)}
        >
          Clear filters
        </button>
      </form>
      {problem !== undefined && (
        <p className="problem" role="alert">
          {problem}
        </p>
      )}
      <Problem error={page.error ?? invoice.error} />
      {data === undefined ? (
        page.isPending && problem === undefined && <Loading what="the transactions" />
      ) : rows.length === 0 ? (
        <p>{filtered ? 'No transactions match these filters.' : 'No transactions yet.'}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">
              {filtered ? 'Transactions matching the filters' : 'Transactions'}, newest first
            </caption>
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
      <Pager pages={pages} next={next} />
    </>
  );
}
