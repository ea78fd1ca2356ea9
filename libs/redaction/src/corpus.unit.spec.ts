/**
 * The labelled corpus (test/fixtures/redaction/corpus.jsonl) against issue 17's quality targets,
 * so a change that loses recall or precision fails CI. Throughput is the bench's job
 * (npm run bench:redaction), not a test's.
 */
import { evaluate, loadCorpus } from '../../../test/fixtures/redaction/evaluate';
import { redact } from './redact';

describe('redaction corpus', () => {
  const corpus = loadCorpus();

  it('holds at least 300 Russian and English texts with marked items and texts with none', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    expect(corpus.filter((c) => c.lang === 'ru').length).toBeGreaterThan(100);
    expect(corpus.filter((c) => c.lang === 'en').length).toBeGreaterThan(100);
    expect(corpus.some((c) => c.entities.length === 0)).toBe(true);
    for (const c of corpus) {
      for (const e of c.entities) {
        expect(e.end).toBeGreaterThan(e.start);
        expect(c.text.slice(e.start, e.end).trim()).toBe(c.text.slice(e.start, e.end));
      }
    }
  });

  it('meets every recall and precision target', () => {
    const { outcomes } = evaluate(corpus, (text, known) => redact(text, { known }));
    const missed = outcomes.filter((o) => !o.met).map((o) => `${o.label}: ${o.value.toFixed(3)}`);
    expect(missed).toEqual([]);
  });
});
