import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

// docker-compose.yml as the specs beside it read it (compose.spec.ts, kafka-acls.spec.ts): parsed,
// and each service's environment as its process sees it when the shell sets no variable.

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

export const compose = parse(
  readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'),
  { merge: true },
) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

/** A value as docker compose passes it when the shell sets no variable: `${NAME:-x}` is x. */
export function interpolated(value: string | number): string {
  return String(value).replace(/\$\{\w+:-([^}]*)\}/g, (_, fallback: string) => fallback);
}

/** A service's environment as its process sees it (defaults of `${NAME:-default}` taken). */
export function environmentOf(service: ComposeService | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service?.environment ?? {}).map(([k, v]) => [k, interpolated(v)]),
  );
}
