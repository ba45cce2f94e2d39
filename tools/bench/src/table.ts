/** One measured figure. `baseline` is the same work done the plain way, for the ratio column. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  note?: string;
}

/** The middle value (the upper one of an even count): the figure of repeated runs. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** A part of `npm run bench`: the title of its table and what measures it. */
export interface BenchPart {
  readonly title: string;
  readonly run: () => Promise<BenchRow[]>;
}

/** Runs `part` and prints its rows under its title and the seconds the part took. */
export async function runPart(part: BenchPart): Promise<void> {
  const started = performance.now();
  const rows = await part.run();
  printTable(`${part.title} — ${((performance.now() - started) / 1000).toFixed(1)} s`, rows);
}

const fmt = (n: number): string =>
  n >= 100
    ? Math.round(n).toLocaleString('en-US')
    : n.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** Prints rows as a Markdown table, so the output can be pasted into docs/BENCHMARKS.md as is. */
export function printTable(title: string, rows: readonly BenchRow[]): void {
  const header = ['measure', 'value', 'unit', 'baseline', 'ratio', 'note'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.value),
    r.unit,
    r.baseline === undefined ? '' : fmt(r.baseline),
    r.baseline === undefined || r.baseline === 0 ? '' : `${(r.value / r.baseline).toFixed(2)}x`,
    r.note ?? '',
  ]);
  printMarkdownTable(title, header, body);
}

/** Any table of cells, in the same Markdown layout (for parts whose columns are not a BenchRow). */
export function printMarkdownTable(
  title: string,
  header: readonly string[],
  body: readonly (readonly string[])[],
): void {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) console.log(line(row));
  console.log('');
}
