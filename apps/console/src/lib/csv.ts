/**
 * CSV as RFC 4180 writes it (CRLF lines, fields quoted when they need it), safe to open in a
 * spreadsheet: a text field that starts like a formula (`=`, `+`, `-`, `@`) is prefixed with `'`,
 * so that a transaction description can never run as one. Numbers, negative amounts included,
 * stay numbers.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

const NUMBER = /^-?\d+(?:\.\d+)?$/;

function field(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export interface TransactionRow {
  readonly id: string;
  readonly occurredAt: string;
  readonly amount: string;
  readonly type: string;
  readonly method?: string;
  readonly description: string;
  readonly invoiceId?: string;
  readonly apiKeyId?: string;
  readonly requestCount?: number;
}

/** The transactions on screen as CSV: amounts as the API's decimal strings, times in UTC. */
export function transactionsCsv(rows: readonly TransactionRow[]): string {
  return toCsv(
    ['date', 'type', 'method', 'amount_usd', 'description', 'invoice_id', 'api_key_id', 'requests'],
    rows.map((r) => [
      r.occurredAt,
      r.type,
      r.method ?? '',
      r.amount,
      r.description,
      r.invoiceId ?? '',
      r.apiKeyId ?? '',
      r.requestCount === undefined ? '' : String(r.requestCount),
    ]),
  );
}
