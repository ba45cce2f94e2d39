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

/**
 * A 95 % interval of the median of `values` by the bootstrap (the median of `draws` resamplings
 * with replacement, their 2.5th and 97.5th percentiles), seeded so a run's table is reproducible
 * from its figures. For measures with heavy tails, where a few stalled runs move a mean.
 */
export function medianInterval(values: readonly number[], draws = 10_000): [number, number] {
  let seed = 0x9e3779b9;
  const random = (): number => {
    // mulberry32: a small, well-mixed 32-bit generator.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const medians = Array.from({ length: draws }, () =>
    median(Array.from(values, () => values[Math.floor(random() * values.length)] ?? Number.NaN)),
  ).sort((a, b) => a - b);
  return [
    medians[Math.floor(draws * 0.025)] ?? Number.NaN,
    medians[Math.floor(draws * 0.975)] ?? Number.NaN,
  ];
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
