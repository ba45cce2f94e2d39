import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { formatTime } from '../format.js';
import { Link } from '../router.js';
import { Loading, Problem } from '../ui.js';
import { accountHref, globalLog } from './api.js';

/**
 * The global log of every account in the store's gap-free order, 50 events a page, from a
 * cursor (`after`): the page's own cursor is shown so that an operator can come back to it.
 */
export function GlobalLog() {
  const cursorId = useId();
  /** The cursors of the pages read so far: the last one is the page on screen. */
  const [trail, setTrail] = useState<(string | undefined)[]>([undefined]);
  const after = trail[trail.length - 1];
  const [typed, setTyped] = useState('');
  const log = useQuery({
    queryKey: ['operator', 'log', after],
    queryFn: () => globalLog(after),
    placeholderData: keepPreviousData,
  });
  const jump = (event: FormEvent): void => {
    event.preventDefault();
    setTrail([...trail, typed.trim() === '' ? undefined : typed.trim()]);
  };
  const next = log.data?.nextCursor;
  return (
    <>
      <h1>Global log</h1>
      <form className="inline-form" onSubmit={jump}>
        <label htmlFor={cursorId}>Start after cursor</label>
        <input
          id={cursorId}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          placeholder="the beginning"
        />
        <button type="submit" className="secondary">
          Go
        </button>
      </form>
      <p className="muted" data-testid="cursor">
        {after === undefined ? 'From the beginning of the log.' : `After cursor ${after}.`}
      </p>
      <Problem error={log.error} />
      {log.data === undefined ? (
        log.isPending && <Loading what="the log" />
      ) : log.data.data.length === 0 ? (
        <p>Nothing after this cursor yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Position
                </th>
                <th scope="col">Stream</th>
                <th scope="col" className="num">
                  Version
                </th>
                <th scope="col">Type</th>
                <th scope="col">Recorded</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {log.data.data.map((e) => (
                <tr key={e.position} data-testid="log-row">
                  <td className="num">{e.position}</td>
                  <td>
                    {e.accountId === null ? (
                      e.streamId
                    ) : (
                      <Link href={accountHref(e.accountId, '/events')}>{e.accountId}</Link>
                    )}
                  </td>
                  <td className="num">{e.version}</td>
                  <td>{e.type}</td>
                  <td>{formatTime(e.recordedAt)}</td>
                  <td>
                    <code className="hash" title={e.hash}>
                      {e.hash.slice(0, 12)}…
                    </code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        <button
          type="button"
          className="secondary"
          disabled={trail.length <= 1}
          onClick={() => setTrail(trail.slice(0, -1))}
        >
          Previous page
        </button>
        <button
          type="button"
          className="secondary"
          disabled={next === undefined || next === after || (log.data?.data.length ?? 0) === 0}
          onClick={() => setTrail([...trail, next])}
        >
          Next page
        </button>
        {next !== undefined && <span className="muted">Next cursor: {next}</span>}
      </div>
    </>
  );
}
