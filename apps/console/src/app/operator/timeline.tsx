import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { formatTime } from '../format.js';
import { Link } from '../router.js';
import { Loading, Problem } from '../ui.js';
import { accountEvents, accountHref, verifyChain } from './api.js';

/**
 * An account's event stream as the ledger stored it, each event with its hash and the hash it
 * chains to, and the ledger's own check of the whole chain (`GET .../verify`): the page shows
 * what the server computed, it recomputes nothing.
 */
export function Timeline({ accountId }: { readonly accountId: string }) {
  const events = useInfiniteQuery({
    queryKey: ['operator', accountId, 'events'],
    queryFn: ({ pageParam }) => accountEvents(accountId, pageParam),
    initialPageParam: 1,
    getNextPageParam: (last) => last.nextFromVersion ?? undefined,
  });
  const verify = useMutation({ mutationFn: () => verifyChain(accountId) });
  const rows = events.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <>
      <div className="title-row">
        <h1>
          Events of <code>{accountId}</code>
        </h1>
        <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
          Verify chain
        </button>
      </div>
      <p>
        <Link href={accountHref(accountId)}>Back to the account</Link>
      </p>
      <Problem error={verify.error} />
      {verify.isPending && <Loading what="the chain's verification" />}
      {verify.data !== undefined && (
        <p
          role="status"
          data-testid="verification"
          className={verify.data.ok ? 'credited' : 'problem'}
        >
          {verify.data.ok ? (
            <>
              Chain verified: {verify.data.events} events, head hash{' '}
              <code className="hash">{verify.data.headHash}</code>.
            </>
          ) : (
            `Chain broken at version ${verify.data.firstBreak?.version ?? '?'}: ${verify.data.firstBreak?.reason ?? 'unknown reason'}.`
          )}
        </p>
      )}
      <Problem error={events.error} />
      {events.isPending ? (
        <Loading what="the events" />
      ) : rows.length === 0 ? (
        <p>The ledger has no event for this account.</p>
      ) : (
        <ol className="timeline" aria-label="Events, oldest first">
          {rows.map((e) => (
            <li key={e.version} data-testid="event">
              <h2 className="event-title">
                <span>v{e.version}</span> {e.type}
              </h2>
              <dl className="facts">
                <dt>Occurred</dt>
                <dd>{formatTime(e.occurredAt)}</dd>
                <dt>Position</dt>
                <dd>{e.position}</dd>
                <dt>Hash</dt>
                <dd>
                  <code className="hash">{e.hash}</code>
                </dd>
                <dt>Previous hash</dt>
                <dd>
                  <code className="hash">{e.prevHash}</code>
                </dd>
              </dl>
              <details>
                <summary>Data</summary>
                <pre>{JSON.stringify(e.data, null, 2)}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}
      {events.hasNextPage && (
        <button
          type="button"
          className="secondary"
          onClick={() => void events.fetchNextPage()}
          disabled={events.isFetchingNextPage}
        >
          Load the next 50 events
        </button>
      )}
    </>
  );
}
