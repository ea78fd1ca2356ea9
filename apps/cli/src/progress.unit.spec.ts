import { PassThrough } from 'node:stream';
import { formatSeconds, Progress } from './progress';

describe('Progress (not a terminal: periodic lines)', () => {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    return { stream, text: () => text };
  };

  it('prints a line per tenth of the work with an ETA from the rate so far, and the total time at the end', () => {
    const out = capture();
    let now = 0;
    const progress = new Progress('rotate', 1000, { stream: out.stream, now: () => now });
    for (let done = 0; done <= 1000; done += 50) {
      now = done * 10; // 10 ms per item
      progress.update(done);
    }
    progress.finish();
    const lines = out.text().trim().split('\n');
    expect(lines[0]).toBe('rotate 0% (0/1000) ETA --');
    expect(lines).toContain('rotate 40% (400/1000) ETA 6s');
    expect(lines.filter((l) => / 5\d% /.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toBe('rotate 100% (1000/1000) done in 10s');
  });

  it('counts only the work of this run towards the rate (a resumed job)', () => {
    const out = capture();
    let now = 0;
    const progress = new Progress('rotate', 1000, { stream: out.stream, now: () => now });
    progress.update(500);
    now = 1000;
    progress.update(600);
    expect(out.text()).toContain('rotate 60% (600/1000) ETA 4s');
  });

  it('also prints when a tenth takes long (at least every lineEveryMs)', () => {
    const out = capture();
    let now = 0;
    const progress = new Progress('rebuild', 1000, {
      stream: out.stream,
      now: () => now,
      lineEveryMs: 2000,
    });
    progress.update(1);
    now = 1000;
    progress.update(2);
    now = 2500;
    progress.update(3);
    expect(out.text().trim().split('\n')).toHaveLength(2);
  });

  it('formats durations', () => {
    expect([formatSeconds(5), formatSeconds(125), formatSeconds(7300)]).toEqual([
      '5s',
      '2m05s',
      '2h01m',
    ]);
  });
});
