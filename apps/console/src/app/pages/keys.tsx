import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api, own, type ApiKey } from '../api.js';
import type { Bodies } from '../endpoints.js';
import { formatDay, formatTime } from '../format.js';
import { Link } from '../router.js';
import { Loading, Money, Problem } from '../ui.js';

/** Copies to the clipboard; where the browser refuses, the caller shows the text to copy by hand. */
async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The guide's API key table: name, prefix, status, created, last used, used; create (the full key
 * shown once, with a copy button), copy the full key later (a reveal, audited by the keys
 * service), rename, disable or enable, delete after a confirmation. A key's name opens its
 * details (`/keys/{id}`): its requests and what each was charged.
 */
export function Keys() {
  const client = useQueryClient();
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => api('apiKeys', own()),
    refetchInterval: 5_000,
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['api-keys'] });
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | undefined>();
  const [notice, setNotice] = useState('');
  const [manual, setManual] = useState<{ name: string; key: string } | undefined>();
  const nameId = useId();

  const create = useMutation({
    mutationFn: (keyName: string) => api('createApiKey', own(), { body: { name: keyName } }),
    onSuccess: (key) => {
      setCreated({ name: key.name, key: key.key });
      setName('');
      setNotice('');
      void refresh();
    },
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (name.trim() !== '') create.mutate(name.trim());
  };

  const copyKey = async (label: string, key: string): Promise<void> => {
    if (await copy(key)) {
      setManual(undefined);
      setNotice(`Copied the full key of ${label} to the clipboard.`);
    } else {
      setManual({ name: label, key });
      setNotice(`The browser did not allow copying; the full key of ${label} is shown below.`);
    }
  };

  return (
    <>
      <h1>API keys</h1>
      <form onSubmit={submit} className="inline-form">
        <label htmlFor={nameId}>Key name</label>
        <input
          id={nameId}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="production-app"
          maxLength={100}
          required
        />
        <button type="submit" disabled={create.isPending}>
          Create API key
        </button>
      </form>
      <Problem error={create.error} />
      {created !== undefined && (
        <section className="once" aria-labelledby="new-key">
          <h2 id="new-key">Your new key {created.name}</h2>
          <p>This is the only time the full key is shown here; copy it now.</p>
          <p className="key-row">
            <code data-testid="new-key">{created.key}</code>
            <button type="button" onClick={() => void copyKey(created.name, created.key)}>
              Copy key
            </button>
            <button type="button" className="secondary" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </p>
        </section>
      )}
      <p role="status" className="notice">
        {notice}
      </p>
      {manual !== undefined && (
        <p className="key-row">
          <label>
            Full key of {manual.name}{' '}
            <input readOnly value={manual.key} onFocus={(e) => e.target.select()} size={40} />
          </label>
        </p>
      )}
      <Problem error={keys.error} />
      {keys.data === undefined ? (
        keys.isPending && <Loading what="the API keys" />
      ) : keys.data.data.length === 0 ? (
        <p>No API keys yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">API key</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.data.map((key) => (
                <KeyRow key={key.id} apiKey={key} onChanged={refresh} onCopy={copyKey} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function KeyRow({
  apiKey,
  onChanged,
  onCopy,
}: {
  apiKey: ApiKey;
  onChanged: () => Promise<void>;
  onCopy: (label: string, key: string) => Promise<void>;
}) {
  const [mode, setMode] = useState<'view' | 'rename' | 'delete' | 'limits'>('view');
  const [newName, setNewName] = useState(apiKey.name);
  const [daily, setDaily] = useState(apiKey.spendLimits.daily ?? '');
  const [monthly, setMonthly] = useState(apiKey.spendLimits.monthly ?? '');
  const renameId = useId();
  const dailyId = useId();
  const monthlyId = useId();
  const key = { ...own(), apiKeyId: apiKey.id };

  const reveal = useMutation({
    mutationFn: () => api('revealApiKey', key),
    onSuccess: ({ key }) => onCopy(apiKey.name, key),
  });
  const update = useMutation({
    mutationFn: (patch: Bodies['updateApiKey']) => api('updateApiKey', key, { body: patch }),
    onSuccess: async () => {
      setMode('view');
      await onChanged();
    },
  });
  const remove = useMutation({
    mutationFn: () => api('deleteApiKey', key),
    onSuccess: onChanged,
  });
  const error = reveal.error ?? update.error ?? remove.error;

  return (
    <>
      <tr data-key-id={apiKey.id}>
        <td>
          {mode === 'rename' ? (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                if (newName.trim() !== '') update.mutate({ name: newName.trim() });
              }}
            >
              <label htmlFor={renameId} className="visually-hidden">
                New name for {apiKey.name}
              </label>
              <input
                id={renameId}
                value={newName}
                onChange={(e) => setNewName(e.target.value)}
                maxLength={100}
                required
              />
              <button type="submit">Save</button>
              <button type="button" className="secondary" onClick={() => setMode('view')}>
                Cancel
              </button>
            </form>
          ) : (
            <Link
              href={`/keys/${encodeURIComponent(apiKey.id)}`}
              aria-label={`Details of ${apiKey.name}: its requests and their charges`}
            >
              {apiKey.name}
            </Link>
          )}
        </td>
        <td>
          <code>{apiKey.prefix}…</code>{' '}
          <button
            type="button"
            className="small"
            onClick={() => reveal.mutate()}
            aria-label={`Copy the full key of ${apiKey.name}`}
          >
            Copy
          </button>
        </td>
        <td>
          <span className={`status ${apiKey.status}`}>
            {apiKey.status === 'enabled' ? 'Enabled' : 'Disabled'}
          </span>
          {apiKey.spendLimits.daily !== null && (
            <div className="muted" data-testid="daily-limit">
              Limit <Money amount={apiKey.spendLimits.daily} /> a day
            </div>
          )}
          {apiKey.spendLimits.monthly !== null && (
            <div className="muted" data-testid="monthly-limit">
              Limit <Money amount={apiKey.spendLimits.monthly} /> a month
            </div>
          )}
        </td>
        <td>{formatDay(apiKey.createdAt)}</td>
        <td>{formatTime(apiKey.lastUsedAt)}</td>
        <td className="num" data-testid="used">
          <Money amount={apiKey.used} />
        </td>
        <td className="actions">
          <button
            type="button"
            className="small secondary"
            onClick={() => {
              setNewName(apiKey.name);
              setMode('rename');
            }}
            aria-label={`Rename ${apiKey.name}`}
          >
            Rename
          </button>
          <button
            type="button"
            className="small secondary"
            onClick={() =>
              update.mutate({ status: apiKey.status === 'enabled' ? 'disabled' : 'enabled' })
            }
            aria-label={`${apiKey.status === 'enabled' ? 'Disable' : 'Enable'} ${apiKey.name}`}
          >
            {apiKey.status === 'enabled' ? 'Disable' : 'Enable'}
          </button>
          <button
            type="button"
            className="small secondary"
            onClick={() => {
              setDaily(apiKey.spendLimits.daily ?? '');
              setMonthly(apiKey.spendLimits.monthly ?? '');
              setMode('limits');
            }}
            aria-label={`Spend limits of ${apiKey.name}`}
          >
            Limits
          </button>
          <button
            type="button"
            className="small danger"
            onClick={() => setMode('delete')}
            aria-label={`Delete ${apiKey.name}`}
          >
            Delete
          </button>
        </td>
      </tr>
      {mode === 'limits' && (
        <tr className="confirm">
          <td colSpan={7}>
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                update.mutate({
                  spendLimits: {
                    daily: daily.trim() === '' ? null : daily.trim(),
                    monthly: monthly.trim() === '' ? null : monthly.trim(),
                  },
                });
              }}
            >
              <label htmlFor={dailyId}>Daily limit of {apiKey.name} (USD, per UTC day)</label>
              <input
                id={dailyId}
                value={daily}
                onChange={(e) => setDaily(e.target.value)}
                inputMode="decimal"
                placeholder="none"
              />
              <label htmlFor={monthlyId}>
                Monthly limit of {apiKey.name} (USD, per UTC calendar month)
              </label>
              <input
                id={monthlyId}
                value={monthly}
                onChange={(e) => setMonthly(e.target.value)}
                inputMode="decimal"
                placeholder="none"
              />
              <button type="submit">Save limits</button>
              <button type="button" className="secondary" onClick={() => setMode('view')}>
                Cancel
              </button>
            </form>
            <p className="muted">
              A request that could take the key past a limit is refused (402
              key_spend_limit_reached); what the key spent and has in flight counts. Empty: no
              limit.
            </p>
          </td>
        </tr>
      )}
      {mode === 'delete' && (
        <tr className="confirm">
          <td colSpan={7}>
            <span role="alert">
              Delete {apiKey.name}? Requests with it are refused within a second; this cannot be
              undone.
            </span>{' '}
            <button type="button" className="danger" onClick={() => remove.mutate()}>
              Delete {apiKey.name}
            </button>{' '}
            <button type="button" className="secondary" onClick={() => setMode('view')}>
              Cancel
            </button>
          </td>
        </tr>
      )}
      {error !== null && (
        <tr>
          <td colSpan={7}>
            <Problem error={error} />
          </td>
        </tr>
      )}
    </>
  );
}
