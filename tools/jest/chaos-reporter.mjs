// The chaos level's closing table (tests/chaos): each trial appends its figures to the file named
// by CHAOS_RESULTS_FILE, which this reporter sets before the first test file starts (the level
// runs in band, so the test files see it), and prints them with the run's total time at the end.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

class ChaosReporter {
  onRunStart() {
    this.startedAt = Date.now();
    this.dir = mkdtempSync(join(tmpdir(), 'billing-chaos-results-'));
    process.env.CHAOS_RESULTS_FILE = join(this.dir, 'results.jsonl');
    appendFileSync(process.env.CHAOS_RESULTS_FILE, '');
  }

  onRunComplete() {
    const file = process.env.CHAOS_RESULTS_FILE;
    if (file === undefined) return;
    const rows = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line));
    rmSync(this.dir, { recursive: true, force: true });
    const seconds = (ms) => (ms === undefined || ms === null ? '-' : (ms / 1000).toFixed(1));
    const header = [
      'trial',
      'answered',
      'refused',
      'unknown (billed)',
      'top-ups',
      'ledger events',
      'back (s)',
      'recovery (s)',
      'books',
    ];
    const body = rows.map((r) => [
      r.trial,
      String(r.answered),
      String(r.refused),
      `${r.unknown} (${r.extraCharges})`,
      String(r.topUps),
      String(r.ledgerEvents),
      seconds(r.backMs),
      seconds(r.recoveryMs),
      r.problems.length === 0 ? 'exact' : `${r.problems.length} problem(s)`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
    const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    process.stdout.write(
      `\nchaos trials (${rows.length}), suite total ${seconds(Date.now() - this.startedAt)} s:\n` +
        [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') +
        '\n' +
        rows
          .map(
            (r) =>
              `${r.trial}: refused ${JSON.stringify(r.refusals ?? {})}, unknown ${JSON.stringify(r.unknownReasons ?? {})}` +
              (r.problems.length === 0 ? '' : `\n  - ${r.problems.join('\n  - ')}`),
          )
          .join('\n') +
        '\n',
    );
  }
}
export default ChaosReporter;
