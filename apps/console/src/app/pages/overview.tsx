import { useQuery } from '@tanstack/react-query';
import { api, own, type Balance } from '../api.js';
import { formatTime } from '../format.js';
import { Link } from '../router.js';
import { Loading, Money, Problem } from '../ui.js';

export const balanceQuery = () => ({
  queryKey: ['balance'],
  queryFn: () => api('balance', own()),
});

/** The balances of the guide's "Check your balance", with what is held by requests in flight. */
export function Overview() {
  const balance = useQuery(balanceQuery());
  return (
    <>
      <div className="title-row">
        <h1>Billing overview</h1>
        <Link href="/top-up" className="button">
          Top up
        </Link>
      </div>
      <Problem error={balance.error} />
      {balance.data === undefined ? (
        balance.isPending && <Loading what="the balance" />
      ) : (
        <>
          <BalanceCards balance={balance.data} />
          <p className="muted">
            As of {formatTime(balance.data.asOf)}. Bonus credits are spent before top-up credits.{' '}
            <Link href="/credits">See the credits breakdown</Link>.
          </p>
        </>
      )}
    </>
  );
}

/** The five balances of an account, as cards (the overview, and the operator's account page). */
export function BalanceCards({ balance }: { balance: Balance }) {
  return (
    <dl className="cards" aria-label="Balances">
      <div className="card">
        <dt>Total balance</dt>
        <dd data-testid="total">
          <Money amount={balance.total} />
        </dd>
      </div>
      <div className="card">
        <dt>Top-up credits</dt>
        <dd data-testid="top-up">
          <Money amount={balance.topUp} />
        </dd>
      </div>
      <div className="card">
        <dt>Bonus &amp; compensation credits</dt>
        <dd data-testid="bonus">
          <Money amount={balance.bonusAndCompensation} />
        </dd>
      </div>
      <div className="card">
        <dt>Held by requests in flight</dt>
        <dd data-testid="held">
          <Money amount={balance.held} />
        </dd>
      </div>
      <div className="card">
        <dt>Available</dt>
        <dd data-testid="available">
          <Money amount={balance.available} />
        </dd>
      </div>
    </dl>
  );
}
