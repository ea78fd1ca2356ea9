/**
 * The redaction engine against the labelled corpus (test/fixtures/redaction/corpus.jsonl):
 *
 *   npm run bench:redaction                     # 5 timed runs over ~2 MB of corpus text
 *   npm run bench:redaction -- --runs=9 --mb=4
 *
 * First the quality: precision and recall per type over the corpus (each text redacted with
 * its known values), then every target of issue 17 with MET / NOT MET. Then throughput on one
 * core (the engine is synchronous; this process runs it on its main thread): the corpus texts,
 * each with its known values, redacted in a loop until `--mb` megabytes (UTF-8) went through,
 * `--runs` times after one warm-up; the median MB/s, MET when >= 2.
 */
import { redact } from '@custodian/redaction';
import { cpuSample, cpuUsage } from '../support/machine';
import { readOptions } from '../support/options';
import { printCpuDuring, runBench } from '../support/report';
import { median } from '../support/stats';
import { evaluate, loadCorpus, precision, recall } from '../../test/fixtures/redaction/evaluate';

const REQUIRED_MB_PER_S = 2;

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2), ['runs', 'mb', 'quick']);
  const runs = options.int('runs', 5, 3, 1);
  const mb = options.num('mb', 2, 0.5, 0.01);
  const corpus = loadCorpus();
  const bytes = corpus.reduce((n, c) => n + Buffer.byteLength(c.text, 'utf8'), 0);
  console.log(
    `redaction bench: ${corpus.length} texts (${corpus.filter((c) => c.lang === 'ru').length} RU, ${corpus.filter((c) => c.lang === 'en').length} EN), ${(bytes / 1024).toFixed(1)} KiB; ${runs} timed runs of ${mb} MB each, node ${process.version}`,
  );

  const { scores, outcomes } = evaluate(corpus, (text, known) => redact(text, { known }));
  console.log('\nper type (marked items / found / missed; spans given / wrong):');
  console.log('  type         items  found  missed  recall   spans  wrong  precision');
  for (const [type, s] of Object.entries(scores).sort()) {
    const spans = type === 'KNOWN' || type === 'OTHER_NAME' ? '' : String(s.ptp + s.fp);
    const wrong = type === 'KNOWN' || type === 'OTHER_NAME' ? '' : String(s.fp);
    const p = type === 'KNOWN' || type === 'OTHER_NAME' ? '' : precision(s).toFixed(3);
    console.log(
      `  ${type.padEnd(11)} ${String(s.tp + s.fn).padStart(6)} ${String(s.tp).padStart(6)} ${String(s.fn).padStart(7)}  ${recall(s).toFixed(3)}  ${spans.padStart(6)} ${wrong.padStart(6)}  ${p}`,
    );
  }
  console.log("  (KNOWN: the customer's own values, any type; OTHER_NAME: NAME items not known)");
  console.log('\ntargets:');
  for (const o of outcomes) {
    console.log(
      `  ${o.label.padEnd(38)} ${o.value.toFixed(3)}  ${o.met ? 'MET' : 'NOT MET'} (target >= ${o.min})`,
    );
  }

  // Throughput: one pass over the corpus is ~`bytes`; repeat passes until `mb` went through.
  const passes = Math.max(1, Math.ceil((mb * 1e6) / bytes));
  const pass = (): number => {
    let found = 0;
    for (const c of corpus) found += redact(c.text, { known: c.known }).entities.length;
    return found;
  };
  pass(); // warm-up
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const before = cpuSample([process.pid]);
    const start = process.hrtime.bigint();
    let found = 0;
    for (let i = 0; i < passes; i++) found += pass();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const rate = (passes * bytes) / 1e6 / seconds;
    rates.push(rate);
    console.log(
      `\nrun ${run + 1}: ${((passes * bytes) / 1e6).toFixed(2)} MB in ${seconds.toFixed(2)} s = ${rate.toFixed(2)} MB/s (${found} spans)`,
    );
    printCpuDuring(`run ${run + 1}`, cpuUsage(before, cpuSample([process.pid])));
  }
  const rate = median(rates);
  console.log(
    `\nthroughput (median of ${runs}): ${rate.toFixed(2)} MB/s on one core — ${rate >= REQUIRED_MB_PER_S ? 'MET' : 'NOT MET'} (target >= ${REQUIRED_MB_PER_S} MB/s)`,
  );
  const allMet = outcomes.every((o) => o.met) && rate >= REQUIRED_MB_PER_S;
  console.log(allMet ? 'all targets MET' : 'some targets NOT MET');
  return 0;
}

runBench('redaction', main, 'npm run bench:redaction -- [--runs=N] [--mb=M] [--quick] [--no-log]');
