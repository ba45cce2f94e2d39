import {
  keepPreviousData,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { useId, useState } from 'react';
import { formatTime } from '../format.js';
import type { OperatorRole } from '../session.js';
import { Loading, Problem } from '../ui.js';
import {
  DEAD_LETTER_SERVICES,
  deadLetters,
  replayDeadLetter,
  type DeadLetter,
  type DeadLetterService,
  type DeadLetterState,
} from './api.js';

/** The desk watches for new dead letters while it is open. */
const REFRESH_MS = 5_000;

const STATES: Record<DeadLetterState, string> = {
  pending: 'Waiting for a replay',
  replayed: 'Replayed',
  all: 'All',
};

/**
 * The dead-letter queues of the four services that have an admin API (docs/adr/015): counts per
 * topic and consumer group, the dead letters of one service with their reasons, newest first
 * (both refreshed every 5 s), and
 * for the admin a Replay with a confirmation step. The auditor sees no button; the server refuses
 * it a replay anyway.
 */
export function DeadLetters({ role }: { readonly role: OperatorRole }) {
  const ids = { service: useId(), state: useId(), topic: useId() };
  const [service, setService] = useState<DeadLetterService>('metering');
  const [state, setState] = useState<DeadLetterState>('pending');
  const [topic, setTopic] = useState('');
  /** The cursors of the pages read so far: the last one is the page on screen. */
  const [trail, setTrail] = useState<(string | undefined)[]>([undefined]);
  const cursor = trail[trail.length - 1];

  const summaries = useQueries({
    queries: DEAD_LETTER_SERVICES.map((s) => ({
      queryKey: ['operator', 'dead-letters', s, 'summary'],
      queryFn: () => deadLetters(s, { state: 'pending', limit: 1 }),
      refetchInterval: REFRESH_MS,
    })),
  });
  const list = useQuery({
    queryKey: ['operator', 'dead-letters', service, 'list', state, topic, cursor],
    queryFn: () =>
      deadLetters(service, {
        state,
        ...(topic === '' ? {} : { topic }),
        ...(cursor === undefined ? {} : { cursor }),
      }),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
  const topics = [...new Set((list.data?.counts ?? []).map((c) => c.topic))];
  const restart = (): void => setTrail([undefined]);
  const next = list.data?.nextCursor ?? null;

  return (
    <>
      <h1>Dead letters</h1>
      <p>
        A message a consumer could not decode, validate or apply is kept here with the reason, and
        on Kafka in <code>&lt;topic&gt;.dlq</code> too. Fix the cause (price the model, create what
        it refers to), then replay it: it goes through the same consumer once, and only through that
        one. The gateway&apos;s dead letters (<code>keys.v1.dlq</code>) are not served here: the
        gateway takes no admin token.
      </p>
      <h2>Per topic</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Topic</th>
              <th scope="col">Consumer group</th>
              <th scope="col" className="num">
                Waiting
              </th>
              <th scope="col" className="num">
                Replayed
              </th>
            </tr>
          </thead>
          <tbody>
            {DEAD_LETTER_SERVICES.map((s, i) => {
              const summary = summaries[i];
              const counts = summary?.data?.counts ?? [];
              if (summary?.error) {
                return (
                  <tr key={s}>
                    <td>{s}</td>
                    <td colSpan={4}>
                      <Problem error={summary.error} />
                    </td>
                  </tr>
                );
              }
              if (counts.length === 0) {
                return (
                  <tr key={s} data-testid="dead-letter-count">
                    <td>{s}</td>
                    <td colSpan={4} className="muted">
                      {summary?.isPending ? 'Loading…' : 'No dead letters.'}
                    </td>
                  </tr>
                );
              }
              return counts.map((c) => (
                <tr key={`${s}/${c.topic}/${c.consumerGroup}`} data-testid="dead-letter-count">
                  <td>{s}</td>
                  <td>{c.topic}</td>
                  <td>{c.consumerGroup}</td>
                  <td className="num">{c.pending}</td>
                  <td className="num">{c.replayed}</td>
                </tr>
              ));
            })}
          </tbody>
        </table>
      </div>

      <h2>Dead letters of one service</h2>
      <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor={ids.service}>Service</label>
        <select
          id={ids.service}
          value={service}
          onChange={(e) => {
            setService(e.target.value as DeadLetterService);
            setTopic('');
            restart();
          }}
        >
          {DEAD_LETTER_SERVICES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label htmlFor={ids.topic}>Topic</label>
        <select
          id={ids.topic}
          value={topic}
          onChange={(e) => {
            setTopic(e.target.value);
            restart();
          }}
        >
          <option value="">every topic</option>
          {topics.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <label htmlFor={ids.state}>Show</label>
        <select
          id={ids.state}
          value={state}
          onChange={(e) => {
            setState(e.target.value as DeadLetterState);
            restart();
          }}
        >
          {(Object.keys(STATES) as DeadLetterState[]).map((s) => (
            <option key={s} value={s}>
              {STATES[s]}
            </option>
          ))}
        </select>
      </form>
      <Problem error={list.error} />
      {list.data === undefined ? (
        list.isPending && <Loading what="the dead letters" />
      ) : list.data.data.length === 0 ? (
        <p data-testid="no-dead-letters">No dead letters here.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Dead-lettered</th>
                <th scope="col">Topic</th>
                <th scope="col">Account</th>
                <th scope="col">Event</th>
                <th scope="col">Reason</th>
                <th scope="col">Replay</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((letter) => (
                <DeadLetterRow key={letter.id} letter={letter} role={role} />
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
          disabled={next === null}
          onClick={() => next !== null && setTrail([...trail, next])}
        >
          Next page
        </button>
      </div>
    </>
  );
}

function DeadLetterRow({
  letter,
  role,
}: {
  readonly letter: DeadLetter;
  readonly role: OperatorRole;
}) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const replay = useMutation({
    mutationFn: () => replayDeadLetter(letter.service, letter.id),
    onSettled: async () => {
      setConfirming(false);
      await queryClient.invalidateQueries({ queryKey: ['operator', 'dead-letters'] });
    },
  });
  const replayed =
    replay.data !== undefined
      ? { at: replay.data.replayedAt, outcome: replay.data.outcome }
      : letter.replayedAt !== null
        ? { at: letter.replayedAt, outcome: letter.replayOutcome }
        : undefined;
  return (
    <tr data-testid="dead-letter">
      <td>{formatTime(letter.deadLetteredAt)}</td>
      <td>
        {letter.topic}
        <div className="muted">
          {letter.consumerGroup}, partition {letter.partition}, offset {letter.offset}
        </div>
      </td>
      <td>{letter.key ?? '—'}</td>
      <td>
        {letter.eventType ?? 'not an event'}
        {letter.eventId !== null && (
          <div>
            <code className="hash">{letter.eventId}</code>
          </div>
        )}
        {letter.payload !== null && (
          <details>
            <summary>Payload{letter.payloadTruncated ? ' (cut)' : ''}</summary>
            <pre>{letter.payload}</pre>
          </details>
        )}
      </td>
      <td data-testid="dead-letter-reason">
        {letter.reason}
        {letter.error !== null && <div className="muted">{letter.error}</div>}
      </td>
      <td>
        {replayed !== undefined ? (
          <span role="status" data-testid="replayed">
            Replayed {formatTime(replayed.at)}
            {replayed.outcome === 'duplicate' ? ' (it had been applied already)' : ''}
          </span>
        ) : role !== 'admin' ? (
          <span className="muted">Waiting</span>
        ) : confirming ? (
          <div role="group" aria-label={`Replay dead letter ${letter.id}`}>
            <p>
              Apply it through {letter.consumerGroup} now? It is applied once; a consumer that still
              refuses it changes nothing.
            </p>
            <button type="button" disabled={replay.isPending} onClick={() => replay.mutate()}>
              Confirm replay
            </button>{' '}
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" onClick={() => setConfirming(true)}>
            Replay
          </button>
        )}
        <Problem error={replay.error} />
      </td>
    </tr>
  );
}
