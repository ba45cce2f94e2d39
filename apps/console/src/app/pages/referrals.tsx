import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import {
  normalizeReferralCode,
  REFERRAL_STATUSES,
  referralLink,
  referralProblem,
} from '../../lib/growth.js';
import { api, ApiError, own } from '../api.js';
import { formatTime } from '../format.js';
import { Loading, Money, Problem } from '../ui.js';

/**
 * The referral code a sign-up link carried (`/sign-in?ref=...`), kept for the tab until the
 * account that signed in has used it or set it aside: the sign-in page stores it, this page
 * offers it.
 */
const PENDING_REFERRAL = 'billing-console.referral-code';

export function rememberReferralCode(code: string): void {
  sessionStorage.setItem(PENDING_REFERRAL, code);
}

export function pendingReferralCode(): string | undefined {
  return sessionStorage.getItem(PENDING_REFERRAL) ?? undefined;
}

function forgetReferralCode(): void {
  sessionStorage.removeItem(PENDING_REFERRAL);
}

/** Copies to the clipboard; where the browser refuses, the link stays selectable on the page. */
async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Referrals (docs/CONTRACTS.md "Referrals"): the account's code and a sign-up link to share, the
 * accounts that signed up with it and the rewards they earned (granted when a referred account's
 * first top-up settles), and a form to sign this account up with someone else's code.
 */
export function Referrals() {
  const referrals = useQuery({
    queryKey: ['referrals'],
    queryFn: () => api('referrals', own(), { query: { limit: 100 } }),
  });
  const ids = { link: useId(), code: useId(), codeProblem: useId() };
  const [notice, setNotice] = useState('');
  const link =
    referrals.data === undefined
      ? undefined
      : referralLink(window.location.origin, referrals.data.code);

  const copyLink = async (): Promise<void> => {
    if (link === undefined) return;
    setNotice(
      (await copy(link))
        ? 'Copied the sign-up link to the clipboard.'
        : 'The browser did not allow copying; select the link and copy it by hand.',
    );
  };

  return (
    <>
      <h1>Referrals</h1>
      <Problem error={referrals.error} />
      {referrals.data === undefined ? (
        referrals.isPending && <Loading what="your referral code" />
      ) : (
        <>
          <section aria-labelledby="share">
            <h2 id="share">Share your code</h2>
            <p>
              Share your code or its sign-up link. You earn a reward when an account that signs up
              with it pays its first top-up.
            </p>
            <p className="key-row">
              <code data-testid="referral-code">{referrals.data.code}</code>
            </p>
            <div className="inline-form">
              <label htmlFor={ids.link}>Sign-up link</label>
              <input
                id={ids.link}
                readOnly
                value={link}
                size={Math.min(48, (link ?? '').length)}
                onFocus={(e) => e.target.select()}
              />
              <button type="button" onClick={() => void copyLink()}>
                Copy link
              </button>
            </div>
            <p role="status" className="notice">
              {notice}
            </p>
          </section>
          <section aria-labelledby="rewards">
            <h2 id="rewards">Rewards earned</h2>
            <p>
              In all:{' '}
              <strong data-testid="referral-total">
                <Money amount={referrals.data.totalRewarded} />
              </strong>{' '}
              (credited as <em>Referral reward</em> in the transaction history; spent before top-up
              credits).
            </p>
            {referrals.data.data.length === 0 ? (
              <p>No account has signed up with your code yet.</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <caption className="visually-hidden">
                    Accounts that signed up with your code, newest first
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Signed up</th>
                      <th scope="col">Account</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">
                        Reward
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {referrals.data.data.map((r) => (
                      <tr key={r.referralId} data-testid="referral-row">
                        <td>{formatTime(r.createdAt)}</td>
                        <td>
                          <code>{r.referredAccountId}</code>
                        </td>
                        <td>
                          {REFERRAL_STATUSES[r.status] ?? r.status}
                          {r.rewardedAt !== null && r.status === 'rewarded' && (
                            <span className="muted"> · {formatTime(r.rewardedAt)}</span>
                          )}
                        </td>
                        <td className="num">
                          {r.reward === null ? '—' : <Money amount={r.reward} />}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
      <JoinReferral ownCode={referrals.data?.code} />
    </>
  );
}

/** Signing this account up with another account's code (before its first top-up is paid). */
function JoinReferral({ ownCode }: { readonly ownCode: string | undefined }) {
  const pending = pendingReferralCode();
  const [input, setInput] = useState(pending ?? '');
  const [problem, setProblem] = useState<string | undefined>();
  const ids = { code: useId(), problem: useId() };
  const client = useQueryClient();
  const join = useMutation({
    mutationFn: (code: string) => api('joinReferral', own(), { body: { code } }),
    onSuccess: () => {
      forgetReferralCode();
      void client.invalidateQueries({ queryKey: ['referrals'] });
    },
    onError: (error, code) => {
      if (error instanceof ApiError) {
        setProblem(referralProblem(error, code));
        if (error.status < 500) forgetReferralCode();
      } else {
        setProblem(error.message);
      }
    },
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const code = normalizeReferralCode(input);
    if (code === undefined) {
      setProblem('A referral code is 8 letters and digits, like K7M2QX9P.');
      return;
    }
    setProblem(undefined);
    setInput(code);
    join.mutate(code);
  };

  return (
    <section aria-labelledby="join">
      <h2 id="join">Were you referred?</h2>
      {pending !== undefined && pending !== ownCode && join.data === undefined && (
        <p>
          You followed a sign-up link with the code <code>{pending}</code>. Use it below to sign
          this account up with it.
        </p>
      )}
      {join.data !== undefined ? (
        <p role="status" data-testid="joined">
          This account signed up with the code {input} of {join.data.referrerAccountId}.
        </p>
      ) : (
        <form onSubmit={submit} className="inline-form" noValidate>
          <label htmlFor={ids.code}>Referral code</label>
          <input
            id={ids.code}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            size={12}
            aria-describedby={ids.problem}
            aria-invalid={problem !== undefined}
          />
          <button type="submit" disabled={join.isPending}>
            {join.isPending ? 'Using the code…' : 'Use this code'}
          </button>
        </form>
      )}
      <div id={ids.problem} aria-live="polite">
        {problem !== undefined && <p className="problem">{problem}</p>}
      </div>
    </section>
  );
}
