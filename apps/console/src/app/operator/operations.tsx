import { Link } from '../router.js';

/**
 * Projections and dead-letter queues: what the platform offers today, said plainly. Neither has
 * an HTTP API yet (docs/CONTRACTS.md, "Operations CLI"): the desk shows the commands an operator
 * runs instead of pretending to a button that does nothing.
 */
export function Operations() {
  return (
    <>
      <h1>Projections &amp; dead letters</h1>
      <h2>Projections</h2>
      <p>
        The ledger&apos;s projections (balances, the credits breakdown, transactions, usage) are
        folded from the event log. They are rebuilt and verified by the operations CLI, against the
        ledger&apos;s database; no HTTP route starts either yet, so this page cannot show when they
        last ran.
      </p>
      <dl className="facts">
        <dt>Verify</dt>
        <dd>
          <code>npm run ops -- projections:verify</code>: folds every account&apos;s events and
          compares them with the projections and the stored snapshots; exit 1 and the accounts that
          differ.
        </dd>
        <dt>Rebuild</dt>
        <dd>
          <code>npm run ops -- projections:rebuild [--projection NAME]</code>: replays the log into
          fresh tables, with progress, then swaps them in.
        </dd>
        <dt>Hash chains</dt>
        <dd>
          <code>npm run ops -- audit:verify [--account ID]</code>, or an account&apos;s{' '}
          <strong>Verify chain</strong> on its event history here.
        </dd>
      </dl>
      <h2>Dead-letter queues</h2>
      <p>
        A message a consumer could not decode, validate or apply is listed with its reason, and
        replayed once its cause is fixed, on the{' '}
        <Link href="/operator/dead-letters">Dead letters</Link> page.
      </p>
    </>
  );
}
