import { h } from './centre-pages';
import { retentionInWords } from './centre-text';

describe('privacy centre text', () => {
  it('says a retention period in words, with Russian plural forms', () => {
    expect(retentionInWords('en', 'P2Y')).toBe('2 years');
    expect(retentionInWords('en', 'P1Y6M')).toBe('1 year 6 months');
    expect(retentionInWords('en', 'PT12H')).toBe('12 hours');
    expect(retentionInWords('ru', 'P1Y')).toBe('1 год');
    expect(retentionInWords('ru', 'P2Y')).toBe('2 года');
    expect(retentionInWords('ru', 'P5Y')).toBe('5 лет');
    expect(retentionInWords('ru', 'P11M')).toBe('11 месяцев');
    expect(retentionInWords('ru', 'P21D')).toBe('21 день');
    expect(retentionInWords('ru', 'P22D')).toBe('22 дня');
    expect(retentionInWords('ru', 'P14D')).toBe('14 дней');
    // Anything it cannot read is shown as it is.
    expect(retentionInWords('en', 'P')).toBe('P');
    expect(retentionInWords('en', 'forever')).toBe('forever');
  });

  it('escapes text for HTML content and attributes', () => {
    expect(h(`<script>alert("x")</script> & 'y'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;',
    );
    expect(h(undefined)).toBe('');
  });
});
