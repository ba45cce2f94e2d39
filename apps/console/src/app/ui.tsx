import { useState, type ReactNode } from 'react';
import { formatMoney } from '../lib/money.js';
import { ApiError } from './api.js';
import { Link, navigate } from './router.js';
import { signOut } from './session.js';

/** An amount from the API, formatted from its decimal string. */
export function Money({ amount }: { amount: string }) {
  return <span className="money">{formatMoney(amount)}</span>;
}

export function Problem({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const message =
    error instanceof ApiError
      ? `${error.message} (${error.code})`
      : error instanceof Error
        ? error.message
        : 'Something went wrong.';
  return (
    <p className="problem" role="alert">
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

/**
 * The bar above every signed-in page: a skip link, the brand, the pages (the current one marked),
 * who is signed in, and Sign out. The customer's pages and the operator's desk each pass theirs.
 */
export function TopBar({
  brand,
  label,
  pages,
  current,
  who,
  operator = false,
}: {
  readonly brand: string;
  /** The navigation's accessible name. */
  readonly label: string;
  readonly pages: readonly { readonly path: string; readonly title: string }[];
  readonly current: string;
  readonly who: ReactNode;
  readonly operator?: boolean;
}) {
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className={operator ? 'top operator' : 'top'}>
        <span className="brand">{brand}</span>
        <nav aria-label={label}>
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <Link href={p.path} aria-current={p.path === current ? 'page' : undefined}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="account">
          {who}
          <button
            type="button"
            className="link"
            onClick={() => {
              signOut();
              navigate('/sign-in');
            }}
          >
            Sign out
          </button>
        </span>
      </header>
    </>
  );
}

/**
 * A list paged by the API's `nextCursor`, newest first: the cursor of the page on screen, its
 * number, and the cursors already seen (they make "Newer").
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<readonly (string | undefined)[]>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    newer: () => setCursors((c) => c.slice(0, -1)),
    older: (next: string) => setCursors((c) => [...c, next]),
    /** Back to the first page (a new filter: an old cursor belongs to the old rows). */
    restart: () => setCursors([undefined]),
  };
}

export type CursorPages = ReturnType<typeof useCursorPages>;

/** "Newer", the page number and "Older" under a list of {@link useCursorPages}. */
export function Pager({
  pages,
  next,
  label = 'Pages',
}: {
  pages: CursorPages;
  next: string | undefined;
  label?: string;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="secondary" disabled={pages.page === 1} onClick={pages.newer}>
        Newer
      </button>
      <span>Page {pages.page}</span>
      <button
        type="button"
        className="secondary"
        disabled={next === undefined}
        onClick={() => next !== undefined && pages.older(next)}
      >
        Older
      </button>
    </nav>
  );
}
