import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { barShares, fillDays } from '../../lib/chart.js';
import { formatMoney } from '../../lib/money.js';
import { api, own, type UsageGrouping as Grouping } from '../api.js';
import { Loading, Money, Problem } from '../ui.js';

const GROUPINGS: Record<Grouping, string> = { day: 'Day', model: 'Model', apiKey: 'API key' };
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Spend over a range of UTC days, by day, model or key: a bar chart drawn from the ledger's
 * figures, and the same figures in a table under it (the chart's text alternative).
 */
export function Usage() {
  const today = dayOf(Date.now());
  const [from, setFrom] = useState(dayOf(Date.now() - 29 * 86_400_000));
  const [to, setTo] = useState(today);
  const [groupBy, setGroupBy] = useState<Grouping>('day');
  const ids = { from: useId(), to: useId(), group: useId(), chart: useId() };
  const report = useQuery({
    queryKey: ['usage', from, to, groupBy],
    queryFn: () => api('usage', own(), { query: { from, to, groupBy } }),
    placeholderData: keepPreviousData,
    enabled: from !== '' && to !== '' && from <= to,
  });
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => api('apiKeys', own()),
    enabled: groupBy === 'apiKey',
  });
  const keyName = (id: string | null | undefined): string =>
    id === null || id === undefined
      ? 'No key'
      : (keys.data?.data.find((k) => k.id === id)?.name ?? `${id} (deleted)`);

  const data = report.data;
  const bars =
    data === undefined
      ? []
      : data.groupBy === 'day'
        ? fillDays(data.from, data.to, data.data).map((d) => ({
            label: d.day,
            cost: d.cost,
          }))
        : data.data.map((r) => ({
            label: data.groupBy === 'model' ? (r.model ?? '') : keyName(r.apiKeyId),
            cost: r.cost,
          }));
  const shares = barShares(bars.map((b) => b.cost));

  return (
    <>
      <h1>Usage</h1>
      <div className="inline-form">
        <label htmlFor={ids.from}>From (UTC)</label>
        <input
          id={ids.from}
          type="date"
          value={from}
          max={to}
          onChange={(e) => setFrom(e.target.value)}
        />
        <label htmlFor={ids.to}>To (UTC)</label>
        <input
          id={ids.to}
          type="date"
          value={to}
          min={from}
          max={today}
          onChange={(e) => setTo(e.target.value)}
        />
        <label htmlFor={ids.group}>Group by</label>
        <select
          id={ids.group}
          value={groupBy}
          onChange={(e) => setGroupBy(e.target.value as Grouping)}
        >
          {Object.entries(GROUPINGS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <Problem error={report.error} />
      {data === undefined ? (
        report.isPending && <Loading what="the usage" />
      ) : (
        <>
          <p data-testid="usage-total">
            <Money amount={data.total.cost} /> over {data.total.requests} request
            {data.total.requests === 1 ? '' : 's'}, {data.from} to {data.to}
          </p>
          <Chart bars={bars} shares={shares} labelledBy={ids.chart} />
          <p id={ids.chart} className="visually-hidden">
            Spend by {GROUPINGS[data.groupBy].toLowerCase()} from {data.from} to {data.to}; the
            table below has every figure.
          </p>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">
                Usage by {GROUPINGS[data.groupBy].toLowerCase()}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{GROUPINGS[data.groupBy]}</th>
                  <th scope="col" className="num">
                    Requests
                  </th>
                  <th scope="col" className="num">
                    Input tokens
                  </th>
                  <th scope="col" className="num">
                    Output tokens
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.data.map((row) => {
                  const label =
                    data.groupBy === 'day'
                      ? (row.day ?? '')
                      : data.groupBy === 'model'
                        ? (row.model ?? '')
                        : keyName(row.apiKeyId);
                  return (
                    <tr key={label} data-testid="usage-row">
                      <th scope="row">{label}</th>
                      <td className="num">{row.requests}</td>
                      <td className="num">{row.inputTokens}</td>
                      <td className="num">{row.outputTokens}</td>
                      <td className="num">
                        <Money amount={row.cost} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td className="num">{data.total.requests}</td>
                  <td />
                  <td />
                  <td className="num">
                    <Money amount={data.total.cost} />
                  </td>
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
    </>
  );
}

/** Bars in an SVG that scales to its box; each bar's title names its group and amount. */
function Chart({
  bars,
  shares,
  labelledBy,
}: {
  bars: { label: string; cost: string }[];
  shares: number[];
  labelledBy: string;
}) {
  if (bars.length === 0) return <p>No usage in this range.</p>;
  const width = 600;
  const height = 160;
  const step = width / bars.length;
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby={labelledBy}
      preserveAspectRatio="none"
    >
      <line x1={0} y1={height - 0.5} x2={width} y2={height - 0.5} className="axis" />
      {bars.map((bar, i) => {
        const h = Math.max((shares[i] ?? 0) * (height - 4), (shares[i] ?? 0) > 0 ? 1 : 0);
        return (
          <rect
            key={bar.label}
            x={i * step + step * 0.15}
            y={height - h}
            width={step * 0.7}
            height={h}
            className="bar"
          >
            <title>{`${bar.label}: ${formatMoney(bar.cost)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
