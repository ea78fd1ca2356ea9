import { createHash } from 'node:crypto';

/**
 * Stand-ins for personal values in "sandbox" exports (training, testing): they keep the shape
 * and format of a real record, so software and people can work with them, but hold nothing of
 * the real value except its layout. An email becomes a same-length address at a domain reserved
 * by RFC 2606 (it reaches nobody), a phone keeps its country code and separators, a birth date
 * and a name or address are drawn afresh, and anything else keeps its letter/digit pattern.
 *
 * `random` returns floats in [0, 1); pass `seededRandom(seed)` for repeatable output. A draw
 * that equals the real value, or that would repeat part of it (an email's local part, four or
 * more digits of a phone number past its country code), is drawn again.
 */
export function sandboxValue(field: string, real: string, random: () => number): string {
  for (let attempt = 0; attempt < MAX_DRAWS; attempt++) {
    const candidate = draw(field, real, random);
    if (!leaks(field, real, candidate)) return candidate;
  }
  // Only a random source that barely varies gets here; the value is not quoted.
  throw new Error(`could not draw a sandbox ${field} different from the real value`);
}

/**
 * A deterministic PRNG (sfc32) seeded from the SHA-256 of `seed`, returning floats in [0, 1).
 * Repeatable sandboxes only: it is not a cryptographic generator.
 */
export function seededRandom(seed: string): () => number {
  const digest = createHash('sha256').update(seed, 'utf8').digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Mix the seed through the state before the first value is used.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Enough for any real random source; a constant one fails loudly instead of looping. */
const MAX_DRAWS = 1000;

const RESERVED_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;
const LOCAL_PART_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LATIN_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LATIN_LOWER = 'abcdefghijklmnopqrstuvwxyz';
const CYRILLIC_UPPER = 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ';
const CYRILLIC_LOWER = 'абвгдеёжзийклмнопрстуфхцчшщъыьэюя';
/** The country code as written: 1–3 digits after "+", then a space, "(" or "-". */
const COUNTRY_CODE = /^\s*\+\d{1,3}(?=[\s(-])/;
const FIRST_BIRTH_DAY = Date.UTC(1940, 0, 1);
const LAST_BIRTH_DAY = Date.UTC(2006, 11, 31);
const DAY_MS = 24 * 60 * 60 * 1000;

/** Names and places in the script of the real value, so a Cyrillic record stays Cyrillic. */
interface Vocabulary {
  firstNames: readonly string[];
  lastNames: readonly string[];
  streets: readonly string[];
  cities: readonly string[];
}

const LATIN: Vocabulary = {
  firstNames: words(`
    Adam Alina Clara Daniel David Elena Emma Felix Hugo Irene John Julia Laura Lena Leon
    Lucas Maria Martin Michael Mila Nina Olga Oscar Peter Sofia Thomas Vera Victor`),
  lastNames: words(`
    Baker Berg Brown Carter Costa Dubois Fischer Foster Grant Hill Horvat Hughes Jansen
    Keller Lang Larsen Meyer Miller Moreau Novak Parker Reed Rossi Silva Turner Vogel
    Walker Weber`),
  streets: phrases(`
    Birch Street, Cedar Lane, Elm Road, Garden Street, Hill Street, Lake Road, Maple
    Street, Oak Avenue, Park Avenue, Pine Avenue, River Lane, Willow Way`),
  cities: phrases(`
    Brookfield, Clearwater, Fairview, Greenville, Lakeside, Millbrook, Oakdale, Riverton,
    Springfield, Westfield`),
};

const CYRILLIC: Vocabulary = {
  firstNames: words(`
    Алиса Андрей Анна Борис Вера Глеб Дарья Денис Егор Елена Жанна Захар Ирина Кирилл
    Ксения Лев Лидия Максим Марина Никита Нина Олег Полина Роман Светлана Тимур Ульяна
    Юлия`),
  lastNames: words(`
    Антонов Белов Быкова Власов Волкова Громова Гусев Ершов Жукова Зайцева Зуев Карпова
    Козлов Лаптев Лебедева Медведева Морозов Никитин Новикова Орлов Осипова Павлова Рябов
    Сафонова Соколов Тихонова Фролов Чернова`),
  streets: phrases(`
    Берёзовая улица, Лесная улица, Луговая улица, Парковая улица, Полевая улица, Речная
    улица, Садовая улица, Солнечная улица, Центральная улица, Школьная улица`),
  cities: phrases(`
    Зареченск, Каменск, Лесногорск, Новоречинск, Озёрск, Приречный, Светлоград, Тихорецк,
    Южноград`),
};

/** Whitespace-separated words of a template literal. */
function words(text: string): readonly string[] {
  return text.trim().split(/\s+/);
}

/** Comma-separated phrases of a template literal. */
function phrases(text: string): readonly string[] {
  return text.split(',').map((phrase) => phrase.trim().replace(/\s+/g, ' '));
}

function draw(field: string, real: string, random: () => number): string {
  switch (field) {
    case 'email':
      return sandboxEmail(real, random);
    case 'phone':
      return sandboxPhone(real, random);
    case 'birthDate':
      return sandboxBirthDate(random);
    case 'name':
      return sandboxName(real, random);
    case 'address':
      return sandboxAddress(real, random);
    default:
      return sandboxOther(real, random);
  }
}

function leaks(field: string, real: string, candidate: string): boolean {
  if (candidate === real) return true;
  if (field === 'email') {
    const local = localPart(real).toLowerCase();
    return local.length > 0 && localPart(candidate).includes(local);
  }
  if (field === 'phone') {
    const realDigits = nationalDigits(real);
    const digits = nationalDigits(candidate);
    for (let i = 0; i + 4 <= realDigits.length; i++) {
      if (digits.includes(realDigits.slice(i, i + 4))) return true;
    }
  }
  return false;
}

/** Same length as the real local part (3 to 64 characters), at a reserved domain. */
function sandboxEmail(real: string, random: () => number): string {
  const length = Math.min(64, Math.max(3, [...localPart(real)].length));
  let local = '';
  for (let i = 0; i < length; i++) local += pick(random, LOCAL_PART_CHARS);
  return `${local}@${pick(random, RESERVED_DOMAINS)}`;
}

function localPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at);
}

/** `+7 912 345-45-67` → `+7 ### ###-##-##`: country code and separators kept, digits drawn. */
function sandboxPhone(real: string, random: () => number): string {
  const code = COUNTRY_CODE.exec(real)?.[0] ?? '';
  const rest = real.slice(code.length);
  // Nothing past the country code to replace: treat it like any other value.
  if (!/\p{Nd}/u.test(rest)) return sandboxOther(real, random);
  return code + rest.replace(/\p{Nd}/gu, () => randomDigit(random));
}

function nationalDigits(phone: string): string {
  const code = COUNTRY_CODE.exec(phone)?.[0] ?? '';
  return phone.slice(code.length).replace(/\P{Nd}/gu, '');
}

/** A calendar date from 1940-01-01 to 2006-12-31, as YYYY-MM-DD. */
function sandboxBirthDate(random: () => number): string {
  const days = (LAST_BIRTH_DAY - FIRST_BIRTH_DAY) / DAY_MS + 1;
  return new Date(FIRST_BIRTH_DAY + randomInt(random, days) * DAY_MS).toISOString().slice(0, 10);
}

/** As many words as the real name (at least one): first names, then a last name. */
function sandboxName(real: string, random: () => number): string {
  const { firstNames, lastNames } = vocabularyFor(real);
  const words = Math.max(1, real.split(/\s+/).filter(Boolean).length);
  const names = Array.from({ length: words }, (_, i) =>
    pick(random, i === words - 1 && words > 1 ? lastNames : firstNames),
  );
  return names.join(' ');
}

/** `<street> <number>, <city>`. */
function sandboxAddress(real: string, random: () => number): string {
  const { streets, cities } = vocabularyFor(real);
  return `${pick(random, streets)} ${1 + randomInt(random, 199)}, ${pick(random, cities)}`;
}

function vocabularyFor(real: string): Vocabulary {
  return /\p{Script=Cyrillic}/u.test(real) ? CYRILLIC : LATIN;
}

/**
 * Letters by random letters of the same case (Cyrillic by Cyrillic, any other script by
 * Latin), digits by random digits, everything else kept. A value with no letter or digit holds
 * nothing personal, but must still differ, so it becomes random letters of its length (at
 * least one).
 */
function sandboxOther(real: string, random: () => number): string {
  const chars = [...real];
  if (!chars.some((char) => /[\p{L}\p{Nd}]/u.test(char))) {
    return Array.from({ length: Math.max(1, chars.length) }, () => pick(random, LATIN_LOWER)).join(
      '',
    );
  }
  return chars.map((char) => replaceChar(char, random)).join('');
}

function replaceChar(char: string, random: () => number): string {
  if (/\p{Nd}/u.test(char)) return randomDigit(random);
  if (!/\p{L}/u.test(char)) return char;
  const upper = /[\p{Lu}\p{Lt}]/u.test(char);
  if (/\p{Script=Cyrillic}/u.test(char)) {
    return pick(random, upper ? CYRILLIC_UPPER : CYRILLIC_LOWER);
  }
  return pick(random, upper ? LATIN_UPPER : LATIN_LOWER);
}

function randomDigit(random: () => number): string {
  return String(randomInt(random, 10));
}

function pick<T>(random: () => number, items: ArrayLike<T>): T {
  return items[randomInt(random, items.length)]!;
}

/** 0 to n - 1. Refuses values outside [0, 1), which would otherwise fall off the lists. */
function randomInt(random: () => number, n: number): number {
  const value = random();
  if (!(value >= 0 && value < 1)) throw new RangeError('random() must return a number in [0, 1)');
  return Math.floor(value * n);
}
