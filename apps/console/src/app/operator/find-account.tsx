import { useId, useState, type FormEvent } from 'react';
import { navigate } from '../router.js';
import { Problem } from '../ui.js';
import { accountHref } from './api.js';

/** The contract's account ids (docs/CONTRACTS.md, "Conventions"). */
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Find an account by its id; its page says whether the ledger knows it. */
export function FindAccount() {
  const id = useId();
  const [accountId, setAccountId] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const wanted = accountId.trim();
    if (!ACCOUNT_ID.test(wanted)) {
      setError(new Error('An account id is 1 to 64 letters, digits, _ or -.'));
      return;
    }
    navigate(accountHref(wanted));
  };
  return (
    <>
      <h1>Find an account</h1>
      <Problem error={error} />
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor={id}>Account id</label>
        <input
          id={id}
          value={accountId}
          onChange={(e) => setAccountId(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          required
        />
        <button type="submit">Open</button>
      </form>
      <p className="muted">
        The account&apos;s balances, its credits breakdown, grants, and its event history with the
        hash chain.
      </p>
    </>
  );
}
