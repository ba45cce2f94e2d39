// Which upstream answers a model id. A model id is `<provider>/<name>`; the provider prefix picks
// an OpenAI-compatible upstream from configuration, which is called with `<name>` as its model.
// The `sim` prefix is the built-in simulated provider and needs no configuration.

export const SIM_PROVIDER = 'sim';

export interface UpstreamProvider {
  /** The model id prefix, e.g. `openai` for `openai/gpt-5`. */
  readonly prefix: string;
  /** An OpenAI-compatible base URL, e.g. `https://api.openai.com/v1` (no trailing slash). */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer`; absent for upstreams that need none (a local server). */
  readonly apiKey?: string;
}

export type Route =
  | { readonly kind: 'sim'; readonly modelId: string }
  | {
      readonly kind: 'upstream';
      readonly modelId: string;
      readonly provider: UpstreamProvider;
      /** The model name the upstream knows: the id without its provider prefix. */
      readonly upstreamModel: string;
    };

export function routeModel(
  modelId: string,
  providers: ReadonlyMap<string, UpstreamProvider>,
): Route | undefined {
  const slash = modelId.indexOf('/');
  if (slash <= 0 || slash === modelId.length - 1) return undefined;
  const prefix = modelId.slice(0, slash);
  if (prefix === SIM_PROVIDER) return { kind: 'sim', modelId };
  const provider = providers.get(prefix);
  if (provider === undefined) return undefined;
  return { kind: 'upstream', modelId, provider, upstreamModel: modelId.slice(slash + 1) };
}

/** The variable holding a provider's API key: `UPSTREAM_<PREFIX>_API_KEY`, e.g. `UPSTREAM_OPENAI_API_KEY`. */
export function apiKeyVariable(prefix: string): string {
  return `UPSTREAM_${prefix.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`;
}

const PREFIX = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export type ParseResult =
  | { readonly ok: true; readonly providers: ReadonlyMap<string, UpstreamProvider> }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Reads `UPSTREAM_PROVIDERS`. Two spellings:
 *
 * - compact: `openai=https://api.openai.com/v1,anthropic=https://api.anthropic.com/v1`, each
 *   provider's key in `UPSTREAM_<PREFIX>_API_KEY`;
 * - JSON: `{"openai": {"baseUrl": "https://api.openai.com/v1", "apiKeyEnv": "OPENAI_API_KEY"}}`
 *   (or just `{"openai": "https://api.openai.com/v1"}`), for keys kept under another name.
 *
 * Keys are read from `env` by variable name, so the secret itself never sits in the provider
 * list (which is safe to print). Problems never quote a value.
 */
export function parseUpstreamProviders(
  spec: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ParseResult {
  const entries: { prefix: string; baseUrl: unknown; apiKeyEnv: string }[] = [];
  const problems: string[] = [];
  const trimmed = (spec ?? '').trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { ok: false, problems: ['UPSTREAM_PROVIDERS is not valid JSON'] };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { ok: false, problems: ['UPSTREAM_PROVIDERS must be a JSON object'] };
    }
    for (const [prefix, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value === 'string') {
        entries.push({ prefix, baseUrl: value, apiKeyEnv: apiKeyVariable(prefix) });
      } else if (typeof value === 'object' && value !== null) {
        const v = value as Record<string, unknown>;
        const apiKeyEnv = v.apiKeyEnv ?? apiKeyVariable(prefix);
        if (typeof apiKeyEnv !== 'string') {
          problems.push(`UPSTREAM_PROVIDERS.${prefix}.apiKeyEnv must be a variable name`);
          continue;
        }
        entries.push({ prefix, baseUrl: v.baseUrl, apiKeyEnv });
      } else {
        problems.push(`UPSTREAM_PROVIDERS.${prefix} must be a URL or {baseUrl, apiKeyEnv}`);
      }
    }
  } else if (trimmed.length > 0) {
    for (const item of trimmed.split(',')) {
      const part = item.trim();
      if (part.length === 0) continue;
      const eq = part.indexOf('=');
      if (eq <= 0) {
        problems.push('UPSTREAM_PROVIDERS entries must read <prefix>=<base URL>');
        continue;
      }
      const prefix = part.slice(0, eq).trim();
      entries.push({
        prefix,
        baseUrl: part.slice(eq + 1).trim(),
        apiKeyEnv: apiKeyVariable(prefix),
      });
    }
  }
  const providers = new Map<string, UpstreamProvider>();
  for (const { prefix, baseUrl, apiKeyEnv } of entries) {
    if (!PREFIX.test(prefix)) {
      problems.push(
        `UPSTREAM_PROVIDERS: provider prefix "${prefix.slice(0, 64)}" must be lowercase letters, digits, . _ -`,
      );
      continue;
    }
    if (prefix === SIM_PROVIDER) {
      problems.push('UPSTREAM_PROVIDERS: the prefix "sim" is the built-in simulated provider');
      continue;
    }
    if (providers.has(prefix)) {
      problems.push(`UPSTREAM_PROVIDERS: provider "${prefix}" is listed twice`);
      continue;
    }
    let url: URL;
    try {
      url = new URL(typeof baseUrl === 'string' ? baseUrl : '');
    } catch {
      problems.push(`UPSTREAM_PROVIDERS: the base URL of "${prefix}" is not a URL`);
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      problems.push(`UPSTREAM_PROVIDERS: the base URL of "${prefix}" must be http(s)`);
      continue;
    }
    if (url.username !== '' || url.password !== '' || url.search !== '') {
      problems.push(
        `UPSTREAM_PROVIDERS: the base URL of "${prefix}" must not carry credentials or a query; put the key in ${apiKeyEnv}`,
      );
      continue;
    }
    const apiKey = env[apiKeyEnv];
    providers.set(prefix, {
      prefix,
      baseUrl: url.toString().replace(/\/+$/, ''),
      ...(apiKey !== undefined && apiKey.length > 0 && { apiKey }),
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, providers };
}
