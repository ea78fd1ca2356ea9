import {
  emailProblem,
  isSupportedPhoneRegion,
  legacyLookupForms,
  legacyNormalizeEmail,
  legacyNormalizePhone,
  mixesScripts,
  normalizeEmail,
  normalizePhone,
} from './lookup-normal';

describe('normalizeEmail', () => {
  it.each([
    ['  Ada@Example.COM ', 'ada@example.com'],
    ['a.b+tag@mail.example.co.uk', 'a.b+tag@mail.example.co.uk'],
    ['ZOË@EXAMPLE.ORG', 'zoë@example.org'],
    // zero-width space, joiner, word joiner, BOM, soft hyphen, bidi mark: removed
    ['uni\u200bcode@example.com', 'unicode@example.com'],
    ['uni\u200dcode@exam\u2060ple.com', 'unicode@example.com'],
    ['\ufeffunicode@exa\u00admple.com\u200e', 'unicode@example.com'],
    // full-width letters and at-sign: NFKC
    ['ｕｎｉｃｏｄｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'unicode@example.com'],
    // decomposed and composed ë are one
    ['zoe\u0308@example.org', 'zoë@example.org'],
    // one script per label, whichever script
    ['Иван@Пример.РФ', 'иван@пример.рф'],
    ['user@xn--e1afmkfd.xn--p1ai', 'user@пример.рф'],
    ['taro@日本語.jp', 'taro@日本語.jp'],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it.each([
    '',
    'ada',
    '@example.com',
    'ada@',
    'ada@localhost',
    'ada@@example.com',
    'a@b@example.com',
    'ada lovelace@example.com',
    'ada@example.',
    'ada@.com',
    `${'a'.repeat(250)}@example.com`,
    42,
    null,
  ])('rejects %j', (input) => {
    expect(normalizeEmail(input)).toBeNull();
    expect(emailProblem(input)).toBe('is not a valid email address');
  });

  it.each([
    'unicode@ex\u0430mple.com', // Cyrillic а in a Latin label
    'unicode@\u0440aypal.com', // Cyrillic р
    'user@xn--exmple-4nf.com', // the same look-alike in ACE form
    'user@g\u03bfogle.com', // Greek omicron
  ])('refuses the mixed-script domain %j', (input) => {
    expect(normalizeEmail(input)).toBeNull();
    expect(emailProblem(input)).toMatch(/mixes alphabets/);
  });

  it('tells which labels mix scripts', () => {
    expect(mixesScripts('example')).toBe(false);
    expect(mixesScripts('пример')).toBe(false);
    expect(mixesScripts('ex-1')).toBe(false);
    expect(mixesScripts('ex\u0430mple')).toBe(true);
    expect(mixesScripts('日本語とカタカナ')).toBe(false);
    expect(mixesScripts('\u03b1\u0430')).toBe(true); // Greek with Cyrillic
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+79165551234', '+79165551234'],
    ['79165551234', '+79165551234'],
    ['89165551234', '+79165551234'],
    ['8 (916) 555-12-34', '+79165551234'],
    ['+7 916 555-12-34', '+79165551234'],
    ['+7\u200b916\u00a0555 12 34', '+79165551234'],
    ['＋７ ９１６ ５５５ １２ ３４', '+79165551234'],
    ['+44 20 7946 0958', '+442079460958'],
    ['0044 20 7946 0958', '+442079460958'],
    ['00442079460958', '+442079460958'],
    ['+44.20.7946.0958', '+442079460958'],
  ])('normalizes %j to %j in RU', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
    expect(normalizePhone(input, 'RU')).toBe(expected);
  });

  it('reads a number without a country code in the region given', () => {
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(normalizePhone('(202) 555-0143', 'US')).toBe('+12025550143');
    expect(normalizePhone('+79165551234', 'GB')).toBe('+79165551234');
  });

  it.each([
    '',
    '123456',
    '1234567',
    '+123456789012345',
    '+1234567890123456',
    '44+2079460958',
    '++442079460958',
    '0800-FLOWERS',
    '+44 20 7946 0958 ext 12',
    '12ab',
    42,
    undefined,
  ])('rejects %j', (input) => {
    expect(normalizePhone(input)).toBeNull();
  });

  it('knows the regions', () => {
    expect(isSupportedPhoneRegion('RU')).toBe(true);
    expect(isSupportedPhoneRegion('GB')).toBe(true);
    expect(isSupportedPhoneRegion('XX')).toBe(false);
    expect(isSupportedPhoneRegion('ru')).toBe(false);
  });
});

describe('legacy normal forms', () => {
  it('keeps the forms earlier versions indexed', () => {
    expect(legacyNormalizeEmail(' Uni\u200bCode@Example.com ')).toBe('uni\u200bcode@example.com');
    expect(legacyNormalizePhone('8 (916) 555-12-34')).toBe('89165551234');
    expect(legacyNormalizePhone('+123456789012345')).toBe('+123456789012345');
  });

  it('lists every legacy form a lookup must query for a phone, whichever way it is written', () => {
    const forms = [
      '+79165551234',
      '79165551234',
      '0079165551234',
      '89165551234',
      '9165551234',
    ].sort();
    for (const asked of ['+7 916 555-12-34', '89165551234', '8 (916) 555-12-34', '79165551234'])
      expect(legacyLookupForms('phone', asked).sort()).toEqual(forms);
    expect(legacyLookupForms('phone', '0044 20 7946 0958')).toEqual(
      expect.arrayContaining(['+442079460958', '00442079460958', '02079460958']),
    );
  });

  it('lists the legacy forms of an email as asked and as now normalised', () => {
    expect(legacyLookupForms('email', 'ｕｎｉ@ｅｘａｍｐｌｅ.ｃｏｍ').sort()).toEqual(
      ['uni@example.com', 'ｕｎｉ@ｅｘａｍｐｌｅ.ｃｏｍ'].sort(),
    );
    expect(legacyLookupForms('email', 'Ada@Example.com')).toEqual(['ada@example.com']);
  });
});
