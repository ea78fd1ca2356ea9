#!/usr/bin/env node
/**
 * Runs chosen test suites again and again and reports every failure with its cause:
 *
 *   npm run test:soak -- [--busy] [--bail] <pattern> <runs>
 *
 * <pattern> is a jest path pattern ("" or "all" for every suite); <runs> how many runs in a
 * row. --busy keeps one core busy for the whole soak (`node -e "for(;;){}"`), as a loaded CI
 * machine would; --bail stops at the first failing run. Each run is a fresh jest process.
 * The report gives each run's time, the median and the maximum, and for each failing test
 * its name and the first lines of its error; it exits 1 if any run failed.
 */
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const args = process.argv.slice(2);
const busy = args.includes('--busy');
const bail = args.includes('--bail');
const [rawPattern, rawRuns] = args.filter((a) => !a.startsWith('--'));
const runs = Number(rawRuns);
if (rawPattern === undefined || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run test:soak -- [--busy] [--bail] <pattern|all> <runs>');
  process.exit(2);
}
const pattern = rawPattern === 'all' ? '' : rawPattern;
const root = resolve(__dirname, '../..');
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const work = mkdtempSync(join(tmpdir(), 'custodian-soak-'));

const burner = busy ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : undefined;
const stopBurner = () => burner?.kill('SIGKILL');
process.on('exit', stopBurner);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    stopBurner();
    process.exit(130);
  });

const firstLines = (text, n) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !/^\s*at /.test(l))
    .slice(0, n)
    .join('\n      ');

const results = [];
console.log(
  `soak: ${runs} run(s) of ${pattern === '' ? 'every suite' : `"${pattern}"`}` +
    (busy ? ', one core kept busy' : '') +
    ` (node ${process.version}, commit ${git('rev-parse', '--short', 'HEAD')}${dirty()})`,
);
for (let run = 1; run <= runs; run++) {
  const output = join(work, `run-${run}.json`);
  const started = Date.now();
  const child = spawnSync(
    process.execPath,
    [jest, '--json', `--outputFile=${output}`, ...(pattern ? [pattern] : [])],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 1 << 28 },
  );
  const seconds = (Date.now() - started) / 1000;
  let report;
  try {
    report = JSON.parse(readFileSync(output, 'utf8'));
  } catch {
    report = null;
  }
  const failures = [];
  if (report) {
    for (const suite of report.testResults) {
      if (suite.status === 'failed' && suite.assertionResults.every((t) => t.status !== 'failed'))
        failures.push({ test: `${suite.name} (suite)`, cause: firstLines(suite.message, 8) });
      for (const test of suite.assertionResults)
        if (test.status === 'failed')
          failures.push({
            test: `${suite.name.replace(`${root}/`, '')} › ${test.fullName}`,
            cause: firstLines(test.failureMessages.join('\n'), 8),
          });
    }
  } else {
    failures.push({ test: 'jest', cause: firstLines(child.stderr || String(child.error), 12) });
  }
  const ok = child.status === 0 && failures.length === 0;
  const counts = report
    ? `${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`
    : 'no report';
  results.push({ run, seconds, ok, failures });
  console.log(`run ${run}/${runs}: ${ok ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)} s (${counts})`);
  for (const f of failures) console.log(`    ✕ ${f.test}\n      ${f.cause}`);
  if (!ok && bail) break;
}
rmSync(work, { recursive: true, force: true });

const times = results.map((r) => r.seconds).sort((a, b) => a - b);
const median =
  times.length % 2
    ? times[(times.length - 1) / 2]
    : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
const failed = results.filter((r) => !r.ok);
console.log(
  `\nsoak: ${results.length - failed.length} of ${results.length} run(s) passed; ` +
    `median ${median.toFixed(1)} s, max ${times[times.length - 1].toFixed(1)} s, min ${times[0].toFixed(1)} s`,
);
if (failed.length > 0) {
  const byTest = new Map();
  for (const r of failed)
    for (const f of r.failures) byTest.set(f.test, [...(byTest.get(f.test) ?? []), r.run]);
  console.log('failures by test (runs):');
  for (const [test, inRuns] of byTest) console.log(`  ${test}: ${inRuns.join(', ')}`);
}
stopBurner();
process.exit(failed.length > 0 ? 1 : 0);

function git(...gitArgs) {
  const result = spawnSync('git', gitArgs, { cwd: root, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}
function dirty() {
  return git('status', '--porcelain', '--untracked-files=no').length > 0 ? '-dirty' : '';
}
