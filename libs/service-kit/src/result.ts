/**
 * The typed result of an operation that can fail in an expected way (CONVENTIONS.md 5): a value,
 * or a failure with a stable code and a message safe to show to the caller. Broken invariants are
 * thrown, never returned as a failure. Each service names its codes (`KeysErrorCode`...) and
 * narrows these to them:
 *
 * ```ts
 * export type KeysError = Failure<KeysErrorCode>;
 * export type Result<T> = ServiceResult<T, KeysErrorCode>;
 * export const { ok, fail } = results<KeysErrorCode>();
 * ```
 *
 * Pure: no Nest, no database, so domain code imports it (`@billing/service-kit/result`).
 */
export interface Failure<Code extends string> {
  /** Stable: what an API client sees in `{"error": {"code": ...}}`; never renamed, only added. */
  readonly code: Code;
  /** Safe to show to the caller: never contains a secret. */
  readonly message: string;
}

export type ServiceResult<T, Code extends string> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Failure<Code> };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });

export const failure = <T = never, Code extends string = string>(
  code: Code,
  message: string,
): ServiceResult<T, Code> => ({ ok: false, error: { code, message } });

/** `ok`, and a `fail` that accepts only the service's own codes. */
export function results<Code extends string>(): {
  readonly ok: typeof ok;
  readonly fail: <T = never>(code: Code, message: string) => ServiceResult<T, Code>;
} {
  return { ok, fail: failure };
}
