/**
 * Ends every jest run with one plain line, "Tests: N passed, N failed, N skipped", that CI
 * and people can read without knowing jest's own summary format. Just before it, one line per
 * suite skipped for want of a server, with the reason: jest hides describeWhenEnv's warning
 * when every test of a file is skipped, and a green run must not hide what it did not test.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    for (const suite of skippedSuites(results)) {
      process.stdout.write(
        `\nSkipped: ${suite.title} (${suite.tests} test${suite.tests === 1 ? '' : 's'}): ${suite.reason}`,
      );
    }
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `\nTests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`,
    );
  }
}

/** describeWhenEnv titles a skipped suite "<title> (skipped: <reason>)". */
const SKIPPED_TITLE = /^(.*) \(skipped: (.+)\)$/;

/** The suites skipped by describeWhenEnv, each with its reason and how many tests it holds. */
function skippedSuites(results) {
  const suites = new Map();
  for (const file of results.testResults) {
    for (const test of file.testResults) {
      if (test.status !== 'pending') continue;
      const match = test.ancestorTitles.map((t) => SKIPPED_TITLE.exec(t)).find(Boolean);
      if (!match) continue;
      const [, title, reason] = match;
      const key = `${file.testFilePath}\n${title}`;
      const suite = suites.get(key) ?? { title, reason, tests: 0 };
      suite.tests += 1;
      suites.set(key, suite);
    }
  }
  return [...suites.values()].sort((a, b) => a.title.localeCompare(b.title));
}

module.exports = SummaryReporter;
