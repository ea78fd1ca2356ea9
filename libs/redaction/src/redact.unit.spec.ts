import { redact, restore } from './index';

describe('redact', () => {
  it("finds the customer's own name in Russian case forms, diminutives and any order", () => {
    const known = { names: ['Иванова Мария Петровна'] };
    const r = redact(
      'Звонила Мария Иванова. Передайте Марии Петровне ответ; Маше можно писать. Ивановой М. П. звонить.',
      { known },
    );
    expect(r.text).toBe(
      'Звонила [NAME_1]. Передайте [NAME_2] ответ; [NAME_3] можно писать. [NAME_4] звонить.',
    );
    expect(r.entities.every((e) => e.source === 'known')).toBe(true);
  });

  it("finds the customer's email in any case and phone in any formatting", () => {
    const known = { emails: ['Maria.Ivanova@mail.ru'], phones: ['+7 916 123-45-67'] };
    const r = redact('пишите MARIA.IVANOVA@MAIL.RU или 8(916)1234567, или +79161234567', {
      known,
    });
    expect(r.text).toBe('пишите [EMAIL_1] или [PHONE_1], или [PHONE_1]');
    expect(r.mapping['[PHONE_1]']).toBe('8(916)1234567');
    expect(r.counts).toEqual({ EMAIL: 1, PHONE: 1 });
  });

  it('numbers placeholders per type in order of first appearance; equal values share one', () => {
    const r = redact(
      'a@x.io, b@y.io, A@X.io; +44 20 7946 0958 and card 4111 1111 1111 1111 / 4111-1111-1111-1111',
    );
    expect(r.text).toBe('[EMAIL_1], [EMAIL_2], [EMAIL_1]; [PHONE_1] and card [CARD_1] / [CARD_1]');
    expect(r.counts).toEqual({ EMAIL: 2, PHONE: 1, CARD: 1 });
  });

  it('validated identifiers: only valid checksums are replaced', () => {
    const r = redact(
      'ИНН 7707083893, ИНН 7707083894; СНИЛС 112-233-445 95 и 112-233-445 96; ' +
        'ОГРН 1027700132195; IBAN DE89 3704 0044 0532 0130 00; карта 4111 1111 1111 1112',
    );
    expect(r.text).toBe(
      'ИНН [INN_1], ИНН 7707083894; СНИЛС [SNILS_1] и 112-233-445 96; ' +
        'ОГРН [OGRN_1]; IBAN [IBAN_1]; карта 4111 1111 1111 1112',
    );
  });

  it('passports, birth dates by cue, addresses; order numbers, sums and other dates stay', () => {
    const r = redact(
      'Паспорт 4506 123456, родилась 12.03.1987, живёт: г. Москва, ул. Ленина, д. 5, кв. 12. ' +
        'Заказ № 4512345678 от 01.02.2024 на 12 500 руб.',
    );
    expect(r.text).toBe(
      'Паспорт [PASSPORT_1], родилась [BIRTHDATE_1], живёт: [ADDRESS_1]. ' +
        'Заказ № 4512345678 от 01.02.2024 на 12 500 руб.',
    );
  });

  it("other people's names from the dictionary, with surname and patronymic", () => {
    const r = redact('Менеджер Ольга Сергеевна Кузнецова передала дело; John Brown agreed.');
    expect(r.text).toBe('Менеджер [NAME_1] передала дело; [NAME_2] agreed.');
    expect(r.entities.map((e) => e.source)).toEqual(['dictionary', 'dictionary']);
  });

  it('the known value wins over an overlapping pattern or dictionary match', () => {
    const r = redact('Ольга Кузнецова, olga@k.ru', {
      known: { names: ['Кузнецова Ольга'], emails: ['olga@k.ru'] },
    });
    expect(r.entities.map((e) => [e.type, e.source])).toEqual([
      ['NAME', 'known'],
      ['EMAIL', 'known'],
    ]);
  });

  it('restore puts the values back and leaves unknown placeholders', () => {
    const text = 'Звонила Мария Иванова с +7 916 123-45-67 по заказу.';
    const r = redact(text, { known: { names: ['Мария Иванова'], phones: ['89161234567'] } });
    expect(restore(r.text, r.mapping)).toBe(text);
    expect(restore('[NAME_1] просит перезвонить на [PHONE_1], [CARD_9]', r.mapping)).toBe(
      'Мария Иванова просит перезвонить на +7 916 123-45-67, [CARD_9]',
    );
  });

  it('text without personal data comes back unchanged', () => {
    const text = 'Заказ 1234 отгружен 05.06.2025, сумма 3 400 руб., доставка в понедельник.';
    const r = redact(text);
    expect(r.text).toBe(text);
    expect(r.entities).toEqual([]);
  });
});

describe('redact on a long text', () => {
  it('handles thousands of items in one text and keeps one placeholder per value', () => {
    const line = 'Звонила Ольга Кузнецова с +7 916 123-45-67 по заказу № 123456.\n';
    const text = line.repeat(5000);
    const r = redact(text);
    expect(r.counts).toEqual({ NAME: 1, PHONE: 1 });
    expect(r.entities).toHaveLength(10000);
    expect(restore(r.text, r.mapping)).toBe(text);
  });
});
