import {
  isValidCard,
  isValidIban,
  isValidInn,
  isValidOgrn,
  isValidSnils,
  snilsCheck,
} from './validators';

describe('redaction validators', () => {
  it('cards: Luhn over 13–19 digits', () => {
    expect(isValidCard('4111111111111111')).toBe(true);
    expect(isValidCard('5555555555554444')).toBe(true);
    expect(isValidCard('378282246310005')).toBe(true); // 15-digit Amex
    expect(isValidCard('4111111111111112')).toBe(false);
    expect(isValidCard('411111111111')).toBe(false); // 12 digits
    expect(isValidCard('00000000000000000')).toBe(false); // one digit repeated
  });

  it('IBAN: mod 97 with letters moved and mapped', () => {
    expect(isValidIban('DE89370400440532013000')).toBe(true);
    expect(isValidIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isValidIban('GB82WEST12345698765433')).toBe(false);
    expect(isValidIban('DE8937040044')).toBe(false); // too short
  });

  it('INN: 10 and 12 digits with their check digits', () => {
    expect(isValidInn('7707083893')).toBe(true);
    expect(isValidInn('7707083894')).toBe(false);
    expect(isValidInn('500100732259')).toBe(true);
    expect(isValidInn('500100732258')).toBe(false);
    expect(isValidInn('50010073225')).toBe(false); // 11 digits
  });

  it('SNILS: the check number of the first nine digits', () => {
    expect(isValidSnils('11223344595')).toBe(true);
    expect(isValidSnils('11223344596')).toBe(false);
    expect(snilsCheck('000000001')).toBe(1); // below 100: the sum itself
    expect(snilsCheck('000000000')).toBe(0);
    expect(isValidSnils('1122334459')).toBe(false);
  });

  it('OGRN (13) and OGRNIP (15) check digits', () => {
    expect(isValidOgrn('1027700132195')).toBe(true);
    expect(isValidOgrn('1027700132196')).toBe(false);
    expect(isValidOgrn('304500116000157')).toBe(true);
    expect(isValidOgrn('304500116000158')).toBe(false);
    expect(isValidOgrn('10277001321')).toBe(false);
  });
});
