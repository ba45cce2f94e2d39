import { parseUsd } from '@billing/money';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { chargeLines, count, formatLatency, requestsQuery } from '../../lib/history.js';
import { api, ApiError, own, type ApiKey, type RequestLogEntry } from '../api.js';
import { formatTime, TRANSACTION_TYPES } from '../format.js';
import { Link } from '../router.js';
import { Loading, Money, Pager, Problem, useCursorPages } from '../ui.js';

const PAGE_SIZE = 20;

const STATUSES: Record<string, string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/**
 * One API key in detail (`/keys/{id}`, linked from the keys table): its fields, spend limits and
 * expiry from the keys service, and the requests made with it from metering's request log, paged
 * with its cursor, each with the ledger's "explain this charge" a click away. A chunk of its own:
 * the console's first load does not carry it.
 */
export default function KeyDetails({ apiKeyId }: { readonly apiKeyId: string }) {
  const key = useQuery({
    queryKey: ['api-key', apiKeyId],
    queryFn: () => api('apiKey', { ...own(), apiKeyId }),
    refetchInterval: 5_000,
  });
  const name = key.data?.name;

  return (
    <>
      <p>
        <Link href="/keys">
          <span aria-hidden="true">← </span>All API keys
        </Link>
      </p>
      <h1>{name === undefined ? 'API key' : `API key ${name}`}</h1>
      <Problem error={key.error} />
      {key.data === undefined ? (
        key.isPending && <Loading what="the key" />
      ) : (
        <KeyFacts apiKey={key.data} />
      )}
      {!(key.error instanceof ApiError && key.error.status === 404) && (
        <RequestLog apiKeyId={apiKeyId} keyName={name ?? apiKeyId} />
      )}
    </>
  );
}

function KeyFacts({ apiKey }: { readonly apiKey: ApiKey }) {
  const { daily, monthly } = apiKey.spendLimits;
  return (
    <dl className="facts">
      <div>
        <dt>API key</dt>
        <dd>
          <code>{apiKey.prefix}…</code>
        </dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>
          <span className={`status ${apiKey.status}`}>
            {apiKey.status === 'enabled' ? 'Enabled' : 'Disabled'}
          </span>
        </dd>
      </div>
      {apiKey.plan !== undefined && (
        <div>
          <dt>Plan</dt>
          <dd>{apiKey.plan === 'builder' ? 'Builder' : 'Pay as you go'}</dd>
        </div>
      )}
      <div>
        <dt>Created</dt>
        <dd>{formatTime(apiKey.createdAt)}</dd>
      </div>
      <div>
        <dt>Last used</dt>
        <dd>{formatTime(apiKey.lastUsedAt)}</dd>
      </div>
      <div>
        <dt>Expires</dt>
        <dd data-testid="key-expires">
          {apiKey.expiresAt === null || apiKey.expiresAt === undefined
            ? 'Never'
            : formatTime(apiKey.expiresAt)}
        </dd>
      </div>
      <div>
        <dt>Used, all time</dt>
        <dd data-testid="key-used">
          <Money amount={apiKey.used} />
        </dd>
      </div>
      <div>
        <dt>Daily spend limit (UTC day)</dt>
        <dd data-testid="key-daily-limit">
          {daily === null ? 'No limit' : <Money amount={daily} />}
        </dd>
      </div>
      <div>
        <dt>Monthly spend limit (UTC month)</dt>
        <dd data-testid="key-monthly-limit">
          {monthly === null ? 'No limit' : <Money amount={monthly} />}
        </dd>
      </div>
    </dl>
  );
}

/** The key's requests, newest first; "Newer" walks back through the cursors already seen. */
function RequestLog({
  apiKeyId,
  keyName,
}: {
  readonly apiKeyId: string;
  readonly keyName: string;
}) {
  const pages = useCursorPages();
  const [open, setOpen] = useState<string | undefined>();
  const headingId = useId();
  const { cursor } = pages;
  const page = useQuery({
    queryKey: ['key-requests', apiKeyId, cursor],
    queryFn: () => api('requests', own(), { query: requestsQuery(apiKeyId, PAGE_SIZE, cursor) }),
    placeholderData: keepPreviousData,
    // The first page follows new requests; an older page stays as it was read.
    refetchInterval: pages.page === 1 ? 5_000 : false,
  });
  const rows = page.data?.data ?? [];
  const next = page.data?.nextCursor ?? undefined;

  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>Requests</h2>
      <Problem error={page.error} />
      {page.data === undefined ? (
        page.isPending && <Loading what="the key's requests" />
      ) : rows.length === 0 ? (
        <p>No requests with this key yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">
              Requests made with {keyName}, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Tokens in / out
                </th>
                <th scope="col" className="num">
                  Cost
                </th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col">Charge</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <RequestRow
                  key={r.requestId}
                  request={r}
                  open={open === r.requestId}
                  onToggle={() => setOpen((o) => (o === r.requestId ? undefined : r.requestId))}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager pages={pages} next={next} label="Pages of requests" />
    </section>
  );
}

function RequestRow({
  request: r,
  open,
  onToggle,
}: {
  readonly request: RequestLogEntry;
  readonly open: boolean;
  readonly onToggle: () => void;
}) {
  const detailsId = useId();
  return (
    <>
      <tr data-request-id={r.requestId}>
        <td>{formatTime(r.startedAt)}</td>
        <td>{r.model}</td>
        <td>
          {STATUSES[r.status] ?? r.status}
          {r.estimated && <span className="muted"> (estimated tokens)</span>}
        </td>
        <td className="num">
          {count(r.inputTokens)} / {count(r.outputTokens)}
        </td>
        <td className="num" data-testid="request-cost">
          <Money amount={r.cost} />
        </td>
        <td className="num">{formatLatency(r.latencyMs)}</td>
        <td>
          <button
            type="button"
            className="small secondary"
            aria-expanded={open}
            aria-controls={detailsId}
            aria-label={`Explain the charge of request ${r.requestId}`}
            onClick={onToggle}
          >
            Explain
          </button>
        </td>
      </tr>
      {open && (
        <tr id={detailsId} className="explained">
          <td colSpan={7}>
            <Explanation requestId={r.requestId} />
          </td>
        </tr>
      )}
    </>
  );
}

/** The ledger's own record of one charge: tokens by kind at their prices, and the lots it drew. */
function Explanation({ requestId }: { readonly requestId: string }) {
  const explanation = useQuery({
    queryKey: ['request-explanation', requestId],
    queryFn: () => api('requestExplanation', { ...own(), requestId }),
  });
  const e = explanation.data;
  if (explanation.error instanceof ApiError && explanation.error.status === 404) {
    return (
      <p role="status">
        The ledger has not charged request <code>{requestId}</code> yet: a request is charged
        moments after it completes.
      </p>
    );
  }
  if (e === undefined) {
    return (
      <>
        <Problem error={explanation.error} />
        {explanation.isPending && <Loading what="the charge" />}
      </>
    );
  }
  const lines = chargeLines(e.tokens, e.price.perMillionTokens);
  const debt = parseUsd(e.debtIncurred) !== 0n;
  return (
    <div className="explanation" data-testid="explanation">
      <p>
        Request <code>{e.requestId}</code> to {e.model}, completed {formatTime(e.completedAt)},
        charged {formatTime(e.chargedAt)} at price version <code>{e.price.version}</code> (ledger
        event {e.chargedBy.position}).
      </p>
      <table>
        <caption>Tokens by kind, at the price of each</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col" className="num">
              Tokens
            </th>
            <th scope="col" className="num">
              Price per million tokens
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line.kind}>
              <th scope="row">{line.kind}</th>
              <td className="num">{count(line.tokens)}</td>
              <td className="num">
                {line.perMillion === null ? 'Not recorded' : <Money amount={line.perMillion} />}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>
              Cost (summed exactly, rounded once to the nano-dollar)
            </th>
            <td className="num" data-testid="explained-cost">
              <Money amount={e.cost} />
            </td>
          </tr>
        </tfoot>
      </table>
      <table>
        <caption>Credits it drew from, in the order spent</caption>
        <thead>
          <tr>
            <th scope="col">Credit lot</th>
            <th scope="col">Kind</th>
            <th scope="col" className="num">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {e.draws.map((draw) => (
            <tr key={draw.lotId} data-testid="draw">
              <th scope="row">
                <code>{draw.lotId}</code>
              </th>
              <td>{TRANSACTION_TYPES[draw.kind] ?? draw.kind}</td>
              <td className="num">
                <Money amount={draw.amount} />
              </td>
            </tr>
          ))}
          {debt && (
            <tr>
              <th scope="row" colSpan={2}>
                Not covered by any credit (owed, repaid by the next credit)
              </th>
              <td className="num">
                <Money amount={e.debtIncurred} />
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {e.hold !== null && (
        <p className="muted">
          Admitted with hold <code>{e.hold.holdId}</code>
          {e.hold.captured === null ? (
            ', released before the charge.'
          ) : (
            <>
              , which the charge captured <Money amount={e.hold.captured} />.
            </>
          )}
        </p>
      )}
    </div>
  );
}
