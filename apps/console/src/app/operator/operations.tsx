import { Link } from '../router.js';
import { Projections } from './projections.js';

/**
 * Projections and dead-letter queues. The projections' last rebuild and verify come from the
 * ledger (`GET /v1/admin/projections`), and the admin starts a verify here; a rebuild and the
 * hash-chain audit stay with the operations CLI (docs/CONTRACTS.md, "Operations CLI"), whose
 * commands the page names instead of pretending to a button that does nothing. Dead letters have
 * a page of their own (dead-letters.tsx), which this one links to.
 */
export function Operations({ canVerify }: { readonly canVerify: boolean }) {
  return (
    <>
      <h1>Projections &amp; dead letters</h1>
      <Projections canVerify={canVerify} />
      <h3>From the operations CLI</h3>
      <dl className="facts">
        <dt>Verify</dt>
        <dd>
          <code>npm run ops -- projections:verify</code>: the same verify, recorded here too; exit 1
          and the accounts that differ.
        </dd>
        <dt>Rebuild</dt>
        <dd>
          <code>npm run ops -- projections:rebuild [--projection NAME]</code>: replays the log into
          fresh tables, with progress, then swaps them in; shown above as the last rebuild.
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
