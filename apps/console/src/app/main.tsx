import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, StrictMode, Suspense, useEffect, useRef, useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError } from './api.js';
import { AutoTopUpPage } from './pages/auto-top-up.js';
import { Claims } from './pages/claims.js';
import { Credits } from './pages/credits.js';
import { Keys } from './pages/keys.js';
import { Overview } from './pages/overview.js';
import { Referrals } from './pages/referrals.js';
import { SignIn } from './pages/sign-in.js';
import { TopUpPage } from './pages/top-up.js';
import { TopUpReturn } from './pages/top-up-return.js';
import { Transactions } from './pages/transactions.js';
import { Usage } from './pages/usage.js';
import { Link, useLocation } from './router.js';
import { currentSession, isOperator, onSessionChange } from './session.js';
import { Loading, TopBar } from './ui.js';
import './styles.css';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // A refusal (401, 403, 404) will not change by asking again.
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    },
  },
});

// The operator's desk is a chunk of its own, loaded only by an operator's session: a customer's
// first load does not carry it.
const OperatorDesk = lazy(() => import('./operator/desk.js'));
// A key's details page too: it is opened from the keys table, not on a first load.
const KeyDetails = lazy(() => import('./pages/key-details.js'));

/** The key id of a `/keys/{id}` path, or undefined for any other path (or a malformed escape). */
function keyIdOf(path: string): string | undefined {
  const id = /^\/keys\/([^/]+)$/.exec(path)?.[1];
  try {
    return id === undefined ? undefined : decodeURIComponent(id);
  } catch {
    return undefined;
  }
}

const PAGES = [
  { path: '/', title: 'Billing overview', element: <Overview /> },
  { path: '/top-up', title: 'Top up', element: <TopUpPage /> },
  { path: '/auto-top-up', title: 'Auto top-up', element: <AutoTopUpPage /> },
  { path: '/keys', title: 'API keys', element: <Keys /> },
  { path: '/credits', title: 'Credits breakdown', element: <Credits /> },
  { path: '/transactions', title: 'Transaction history', element: <Transactions /> },
  { path: '/usage', title: 'Usage', element: <Usage /> },
  { path: '/referrals', title: 'Referrals', element: <Referrals /> },
  { path: '/claims', title: 'Claims', element: <Claims /> },
] as const;

function App() {
  const location = useLocation();
  const session = useSyncExternalStore(onSessionChange, currentSession);
  const main = useRef<HTMLElement>(null);
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const keyId = keyIdOf(path);
  const page =
    path === '/top-up/return'
      ? { path, title: 'Top-up', element: <TopUpReturn /> }
      : keyId !== undefined
        ? {
            path,
            title: 'API key',
            element: (
              <Suspense fallback={<Loading what="the key" />}>
                <KeyDetails key={keyId} apiKeyId={keyId} />
              </Suspense>
            ),
          }
        : PAGES.find((p) => p.path === path);

  const operator = isOperator(session);
  useEffect(() => {
    // The operator's desk names its own pages.
    if (operator) return;
    document.title = `${page?.title ?? 'Not found'} · Billing console`;
    // A new page is announced by moving focus to its heading's container.
    main.current?.focus();
  }, [page?.title, operator]);

  useEffect(() => {
    if (session === undefined && path !== '/sign-in') queries.clear();
  }, [session, path]);

  if (path === '/sign-in' || session === undefined) {
    return (
      <main id="main" ref={main} tabIndex={-1} className="narrow">
        <SignIn />
      </main>
    );
  }
  if (isOperator(session)) {
    return (
      <Suspense
        fallback={
          <main id="main">
            <Loading what="the operator's desk" />
          </main>
        }
      >
        <OperatorDesk session={session} path={path} />
      </Suspense>
    );
  }
  return (
    <>
      <TopBar
        brand="Billing console"
        label="Main"
        pages={PAGES.map((p) => ({
          path: p.path,
          title: p.title === 'Billing overview' ? 'Overview' : p.title,
        }))}
        current={path}
        who={<span>{session.accountId}</span>}
      />
      <main id="main" ref={main} tabIndex={-1}>
        {page?.element ?? (
          <>
            <h1>Not found</h1>
            <p>
              There is no page at {path}. <Link href="/">Back to the overview</Link>
            </p>
          </>
        )}
      </main>
    </>
  );
}

const root = document.getElementById('root');
if (root === null) throw new Error('the page has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
