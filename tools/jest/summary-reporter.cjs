// Prints one plain closing line per Jest run, "<level>: N passed, N failed[, N skipped]", which
// CI logs and humans can read without parsing Jest's own summary table.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const level = process.env.TEST_LEVEL ?? 'all';
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(
      `\n${level}: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
    );
  }
}
module.exports = SummaryReporter;
