import { sandboxValue, seededRandom } from './sandbox-values';

const EMAIL = /^[a-z0-9]{3,64}@example\.(com|org|net)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isCalendarDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** Random real-looking inputs of each field, from a PRNG independent of the sandbox one. */
function realValues(field: string, count: number): string[] {
  const random = seededRandom(`inputs:${field}`);
  const digit = () => String(Math.floor(random() * 10));
  const digits = (n: number) => Array.from({ length: n }, digit).join('');
  const letters = (n: number) =>
    Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 26)]).join(
      '',
    );
  return Array.from({ length: count }, (_, i) => {
    switch (field) {
      case 'email':
        return `${letters(1 + (i % 12))}@mail.example`;
      case 'phone':
        return i % 2
          ? `+7 ${digits(3)} ${digits(3)}-${digits(2)}-${digits(2)}`
          : `+49 (${digits(2)}) ${digits(7)}`;
      case 'birthDate':
        return `19${digits(2)}-0${1 + (i % 9)}-1${i % 10}`;
      // Values the built-in lists can produce, so a collision is likely without the redraw.
      case 'name':
        return ['Nina', 'Nina Novak', 'Нина Орлов'][i % 3]!;
      case 'address':
        return `Oak Avenue ${1 + (i % 199)}, Oakdale`;
      default:
        return `${letters(1 + (i % 5))}-${digits(i % 4)}`;
    }
  });
}

describe('sandbox values', () => {
  const random = () => seededRandom('formats');

  it('draws an email of the same local-part length at a reserved domain', () => {
    const email = sandboxValue('email', 'ivan.petrov@gmail.com', random());
    expect(email).toMatch(EMAIL);
    expect(email.split('@')[0]).toHaveLength('ivan.petrov'.length);
    expect(sandboxValue('email', 'a@b.ru', random()).split('@')[0]).toHaveLength(3);
  });

  it.each([
    ['+7 912 345-45-67', /^\+7 \d{3} \d{3}-\d{2}-\d{2}$/],
    ['+49 (30) 1234567', /^\+49 \(\d{2}\) \d{7}$/],
    ['+1-202-555-0143', /^\+1-\d{3}-\d{3}-\d{4}$/],
    ['89123454567', /^\d{11}$/],
  ])('keeps the layout and country code of the phone %s', (phone, format) => {
    expect(sandboxValue('phone', phone, random())).toMatch(format);
  });

  it('draws a valid birth date from 1940 to 2006', () => {
    const next = random();
    for (let i = 0; i < 500; i++) {
      const date = sandboxValue('birthDate', '1990-04-01', next);
      expect(date).toMatch(DATE);
      expect(isCalendarDate(date)).toBe(true);
      expect(date >= '1940-01-01' && date <= '2006-12-31').toBe(true);
    }
  });

  it('draws a name with as many words as the real one, in its script', () => {
    expect(sandboxValue('name', 'Ivan', random())).toMatch(/^[A-Z][a-z]+$/);
    expect(sandboxValue('name', 'Ivan Petrov', random())).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    expect(sandboxValue('name', 'Anna Maria Smirnova', random()).split(' ')).toHaveLength(3);
    expect(sandboxValue('name', 'Иван Петров', random())).toMatch(/^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+$/);
  });

  it('draws an address as "<street> <number>, <city>"', () => {
    expect(sandboxValue('address', 'Lenina 1, Moscow', random())).toMatch(
      /^[A-Z][a-z]+ [A-Z][a-z]+ \d{1,3}, [A-Z][a-z]+$/,
    );
    expect(sandboxValue('address', 'ул. Ленина 1, Москва', random())).toMatch(
      /^[А-ЯЁ][а-яё]+ улица \d{1,3}, [А-ЯЁ][а-яё]+$/,
    );
  });

  it('keeps the letter/digit pattern of any other field', () => {
    expect(sandboxValue('passport', 'AB-1234 cd', random())).toMatch(/^[A-Z]{2}-\d{4} [a-z]{2}$/);
    expect(sandboxValue('city', 'Санкт-Петербург', random())).toMatch(
      /^[А-ЯЁ][а-яё]{4}-[А-ЯЁ][а-яё]{8}$/,
    );
    expect(sandboxValue('note', 'Müller, 12 ½', random())).toMatch(/^[A-Z][a-z]{5}, \d{2} ½$/);
  });

  it('still changes a value with nothing to replace', () => {
    expect(sandboxValue('note', '—', random())).toMatch(/^[a-z]$/);
    expect(sandboxValue('note', '', random())).toMatch(/^[a-z]$/);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const fields = ['email', 'phone', 'birthDate', 'name', 'address', 'note'];
    const reals = [
      'ivan@mail.ru',
      '+7 912 345-45-67',
      '1990-04-01',
      'Ivan Petrov',
      'Lenina 1',
      'x1',
    ];
    const run = (seed: string) => {
      const next = seededRandom(seed);
      return fields.map((field, i) => sandboxValue(field, reals[i]!, next));
    };
    expect(run('customer-42')).toEqual(run('customer-42'));
    expect(run('customer-42')).not.toEqual(run('customer-43'));
    const a = seededRandom('a');
    const b = seededRandom('b');
    const first = Array.from({ length: 5 }, a);
    expect(first).not.toEqual(Array.from({ length: 5 }, b));
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it.each(['email', 'phone', 'birthDate', 'name', 'address', 'note'])(
    'never returns the real %s or repeats part of it',
    (field) => {
      const next = seededRandom(`never:${field}`);
      const national = (phone: string) => phone.replace(/^\+\d+[ (-]/, '').replace(/\D/g, '');
      const leaks: string[] = [];
      for (const real of realValues(field, 3000)) {
        const sandbox = sandboxValue(field, real, next);
        if (sandbox === real) leaks.push(sandbox);
        if (
          field === 'email' &&
          (!EMAIL.test(sandbox) || sandbox.split('@')[0]!.includes(real.split('@')[0]!))
        ) {
          leaks.push(sandbox);
        }
        if (field === 'phone') {
          const realDigits = national(real);
          for (let i = 0; i + 4 <= realDigits.length; i++) {
            if (national(sandbox).includes(realDigits.slice(i, i + 4))) leaks.push(sandbox);
          }
        }
      }
      expect(leaks).toEqual([]);
    },
  );

  it('fails instead of looping when the random source cannot produce a different value', () => {
    expect(() => sandboxValue('note', 'aaa', () => 0)).toThrow(/different from the real value/);
    expect(() => sandboxValue('note', 'abc', () => 1)).toThrow(RangeError);
  });
});
