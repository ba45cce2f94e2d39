import { useEffect, useRef, type ReactNode } from 'react';
import { Link, navigate } from '../router.js';
import type { OperatorSession } from '../session.js';
import { TopBar } from '../ui.js';
import { AccountPage } from './account.js';
import { DeadLetters } from './dead-letters.js';
import { FindAccount } from './find-account.js';
import { GlobalLog } from './log.js';
import { Operations } from './operations.js';
import { Timeline } from './timeline.js';

const NAV = [
  { path: '/operator', title: 'Find an account' },
  { path: '/operator/log', title: 'Global log' },
  { path: '/operator/operations', title: 'Projections & DLQ' },
  { path: '/operator/dead-letters', title: 'Dead letters' },
] as const;

/** Which page a path is: `/operator/accounts/{id}` and `/operator/accounts/{id}/events` name one. */
function pageOf(
  path: string,
  session: OperatorSession,
): { title: string; element: ReactNode } | undefined {
  const account = /^\/operator\/accounts\/([^/]+)(\/events)?$/.exec(path);
  if (account?.[1] !== undefined) {
    const accountId = decodeURIComponent(account[1]);
    return account[2] === undefined
      ? { title: `Account ${accountId}`, element: <AccountPage accountId={accountId} /> }
      : { title: `Events of ${accountId}`, element: <Timeline accountId={accountId} /> };
  }
  switch (path) {
    case '/operator':
      return { title: 'Find an account', element: <FindAccount /> };
    case '/operator/log':
      return { title: 'Global log', element: <GlobalLog /> };
    case '/operator/operations':
      return {
        title: 'Projections & dead letters',
        element: <Operations canVerify={session.role === 'admin'} />,
      };
    case '/operator/dead-letters':
      return { title: 'Dead letters', element: <DeadLetters role={session.role} /> };
    default:
      return undefined;
  }
}

/**
 * The operator's desk: the pages of an operator's session (the admin, or the read-only auditor).
 * What the role may do is the services' decision; the page says which role is signed in and
 * shows the server's answer when it refuses.
 */
export default function OperatorDesk({
  session,
  path,
}: {
  readonly session: OperatorSession;
  readonly path: string;
}) {
  const main = useRef<HTMLElement>(null);
  const page = pageOf(path, session);
  const title = page?.title ?? 'Not found';

  useEffect(() => {
    document.title = `${title} · Operator desk`;
    main.current?.focus();
  }, [title]);

  // An operator's session has no customer pages: the desk's home is where `/` leads.
  useEffect(() => {
    if (!path.startsWith('/operator')) navigate('/operator', { replace: true });
  }, [path]);

  return (
    <>
      <TopBar
        brand="Operator desk"
        label="Operator"
        pages={NAV}
        current={path}
        who={
          <span data-testid="role">
            {session.role === 'admin' ? 'Admin' : 'Auditor (read-only)'}
          </span>
        }
        operator
      />
      <main id="main" ref={main} tabIndex={-1}>
        {page?.element ?? (
          <>
            <h1>Not found</h1>
            <p>
              There is no page at {path}. <Link href="/operator">Find an account</Link>
            </p>
          </>
        )}
      </main>
    </>
  );
}
