import {
  COLLECTION_POINT_SLUG,
  COLLECTION_POINT_URI,
  DESTINATION_SLUG,
  DESTINATION_URI,
  SOURCE_SLUG,
  isClosedFormat,
  isSafeRequestId,
  normaliseForScreen,
  personalDataIn,
} from './personal-text';

describe('the screen for text kept in clear', () => {
  describe('finds email addresses', () => {
    it.each([
      ['plain', 'send it to ivan@example.com please'],
      ['full-width at-sign', 'send it to ivan＠example.com please'],
      ['small at-sign', 'ivan﹫example.com'],
      ['full-width everything', 'ｉｖａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ'],
      ['no TLD', 'ask ivan@example about it'],
      ['single-label host', 'deploy@bastion'],
      ['percent-encoded', 'ivan%40example.com'],
      ['HTML entity', 'ivan&#64;example.com'],
      ['named entity', 'ivan&commat;example.com'],
      ['(at)', 'ivan (at) example.com'],
      ['[at] glued', 'ivan[at]example'],
      ['spaces around @', 'ivan @ example.com'],
      ['zero-width space inside', 'ivan\u200B@\u200Bexample.com'],
      ['soft hyphen inside', 'iv\u00ADan@example.com'],
      ['Cyrillic', 'иван@пример.рф'],
      ['IP-literal domain', 'ivan@[10.0.0.1]'],
      ['domain starting with digits', 'ivan@1.2.3.example.com'],
      ['in a URI', 'mailto:ivan@example.com'],
    ])('%s: %s', (_, text) => {
      expect(personalDataIn(text)).toBe('email');
    });
  });

  describe('finds phone numbers', () => {
    it.each([
      ['international', 'call +7 916 123-45-67 tomorrow'],
      ['brackets', 'call 8 (916) 123-45-67'],
      ['underscores', '+7_916_123_45_67'],
      ['slashes with spaces', '916 / 123 / 45 / 67'],
      ['dots', '916.123.45.67'],
      ['dashes', '8-916-123-45-67'],
      ['one run', '79161234567'],
      ['full-width digits', '＋７ ９１６ １２３ ４５ ６７'],
      ['en dashes', '916–123–45–67'],
      ['non-breaking spaces', '916\u00A0123\u00A045\u00A067'],
      ['Arabic-Indic digits', '٩١٦١٢٣٤٥٦٧'],
      ['zero-width joiners between digits', '916\u200D123\u200D45\u200D67'],
      ['a date-shaped tail after digits', 'call 8 (916) 2024-05-17'],
      ['in a slug', 'form-79161234567'],
      ['in a tel: URI', 'tel:+79161234567'],
    ])('%s: %s', (_, text) => {
      expect(personalDataIn(text)).toBe('phone');
    });
  });

  describe('lets ordinary operational text through', () => {
    it.each([
      'Quarterly CRM sync for the spring campaign, approved by legal',
      'Upgraded nestjs-pino to 4.6.1 and node to v20.11.0; see release 2.10.3.1',
      'pinned lodash@4.17.21 and @nestjs/core@11.2.10',
      'Window 2024-05-01T10:20:30Z to 2024-05-01T12:00:00.123+03:00',
      'Started 2024-05-01 10:20, ended 2024-05-02 11:00:59',
      'Начало 01.05.2024 10:20, конец 02.05.2024 11:00',
      'US team noticed it on 05/01/2024 10:20',
      'on 2024-05-01 12 customers were exported',
      'request 3f0c1a2e-9b8d-4c7e-a6f5-1234567890ab failed',
      'run 01HV6Z3K8Q5W2X9Y7T4R1M0N3P, ULID 01J0000000000000000000000A',
      'commit 9fceb02d0ae598e95dc970b74767f1931234567890 reverted',
      'paged @oncall and (@dpo) at 10:15; meeting @ 3pm',
      'counts: 1,000,000,000 rows; 12 500 customers; 7 of 10',
      'ticket INC-2024-0042, phone field masked as +7 *** ***-45-67',
      '',
    ])('%s', (text) => {
      expect(personalDataIn(text)).toBeNull();
    });
  });

  it('reads the text as a person would', () => {
    expect(normaliseForScreen('a＠b%40c&#x40;d (at) e\u200Bf')).toBe('a@b@c@d @ ef');
  });

  it('stays fast on long hostile text', () => {
    const hostile = [
      '1 '.repeat(2000),
      'a@'.repeat(2000),
      '9-'.repeat(2000),
      'a'.repeat(4000),
      '2024-05-01 '.repeat(360),
      'f'.repeat(4000),
    ];
    const started = process.hrtime.bigint();
    for (const text of hostile) personalDataIn(text);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });
});

describe('closed formats', () => {
  it.each([
    ['signup-form-v3', COLLECTION_POINT_SLUG],
    ['shop/checkout-v2', COLLECTION_POINT_SLUG],
    ['ivr-menu-4', COLLECTION_POINT_SLUG],
    ['https://shop.example.com/signup/step-2', COLLECTION_POINT_URI],
    ['https://shop.example.com', COLLECTION_POINT_URI],
    ['web-signup', SOURCE_SLUG],
    ['crm-sandbox', DESTINATION_SLUG],
    ['sftp://partner.example/inbox', DESTINATION_URI],
    ['https://files.partner.example:8443/drop/2024-05', DESTINATION_URI],
  ])('accepts %s', (value, format) => {
    expect(isClosedFormat(value, format)).toBe(true);
  });

  it.each([
    ['form?email=ivan@example.com&tel=79161234567', COLLECTION_POINT_SLUG],
    ['form?ref=x', COLLECTION_POINT_SLUG],
    ['Signup-Form', COLLECTION_POINT_SLUG],
    ['signup form', COLLECTION_POINT_SLUG],
    ['form-79161234567', COLLECTION_POINT_SLUG],
    ['a%40b', COLLECTION_POINT_SLUG],
    ['https://shop.example.com/form?email=x', COLLECTION_POINT_URI],
    ['https://shop.example.com/form#ivan', COLLECTION_POINT_URI],
    ['https://ivan:pw@shop.example.com/form', COLLECTION_POINT_URI],
    ['https://shop.example.com/ivan%40example.com', COLLECTION_POINT_URI],
    ['https://shop.example.com/u/+7-916-123-45-67', COLLECTION_POINT_URI],
    ['https://shop.example.com/u/916.123.45.67', COLLECTION_POINT_URI],
    ['https://10.0.0.1/form', COLLECTION_POINT_URI],
    ['http://shop.example.com/form', COLLECTION_POINT_URI],
    ['sftp://shop.example.com/form', COLLECTION_POINT_URI],
    ['shop/web', SOURCE_SLUG],
    ['ivan@example', SOURCE_SLUG],
    ['79161234567', SOURCE_SLUG],
    ['a'.repeat(65), SOURCE_SLUG],
    ['mailto:ivan@example.com', DESTINATION_URI],
    ['mailto:ivan%40example.com', DESTINATION_URI],
    ['tel:+79161234567', DESTINATION_URI],
    ['sftp://ivan@partner.example/inbox', DESTINATION_URI],
    ['sftp://partner.example/ivan%40example.com', DESTINATION_URI],
    ['https://partner.example/inbox?to=ivan', DESTINATION_URI],
    ['ftp://partner.example/inbox', DESTINATION_URI],
    ['crm/sandbox', DESTINATION_SLUG],
    [42, DESTINATION_SLUG],
  ])('refuses %s', (value, format) => {
    expect(isClosedFormat(value, format)).toBe(false);
  });
});

describe('request ids a caller may choose', () => {
  it.each([
    '3f0c1a2e-9b8d-4c7e-a6f5-1234567890ab',
    '3F0C1A2E-9B8D-4C7E-A6F5-1234567890AB',
    '01HV6Z3K8Q5W2X9Y7T4R1M0N3P',
    'req-42',
    'checkout_run-2024-05',
    'a'.repeat(64),
  ])('keeps %s', (id) => {
    expect(isSafeRequestId(id)).toBe(true);
  });

  it.each([
    'ivan@example.com',
    'ivan＠example',
    'ivan%40example.com',
    '+79161234567',
    '79161234567',
    'req_916_123_45_67',
    '01234567890123456789012345',
    'a'.repeat(65),
    'has space',
    'dots.are.out',
    '',
    undefined,
  ])('replaces %s', (id) => {
    expect(isSafeRequestId(id)).toBe(false);
  });
});
