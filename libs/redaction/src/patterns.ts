/**
 * Detectors: each scans the text and yields candidate spans. Overlaps are resolved in redact.ts
 * (the customer's own values first, then validated patterns, then the name dictionary; within a
 * tier the longer span, then the higher rank).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { EntityType } from './redaction.types';
import {
  isAmbiguousName,
  isFirstNameForm,
  looksLikePatronymic,
  looksLikeRuSurname,
  nameKey,
} from './names';
import {
  digitsOf,
  isValidCard,
  isValidIban,
  isValidInn,
  isValidOgrn,
  isValidSnils,
} from './validators';

export type Source = 'known' | 'pattern' | 'dictionary';

export interface Candidate {
  readonly type: EntityType;
  readonly start: number;
  readonly end: number;
  readonly source: Source;
  /** Breaks ties between equally long spans of one tier: the higher wins. */
  readonly rank: number;
  /** The normalised value: equal keys of one type share a placeholder. */
  readonly key: string;
}

/** Whether `re` matches within `span` characters before `at`. */
const cueBefore = (text: string, at: number, re: RegExp, span = 40): boolean =>
  re.test(text.slice(Math.max(0, at - span), at));

/** A reference number's cue right before a number: "заказ № ", "ticket number is ", "item ". */
const NOT_AN_ID =
  /(?:заказ[а-яё]*|order|invoice|сч[её]т[а-яё]*|договор[а-яё]*|ticket|тикет[а-яё]*|обращени[а-яё]*|заявк[а-яё]*|трек[а-яё-]*|tracking|артикул[а-яё]*|item|sku|ean|штрихкод[а-яё]*|№|#)(?:\s*(?:number|номер|no\.?|#|№|is|:))*\s*$/i;

// ---------------------------------------------------------------- emails

const EMAIL = /[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

export function findEmails(text: string, out: Candidate[]): void {
  if (!text.includes('@')) return;
  for (const m of text.matchAll(EMAIL)) {
    const start = m.index;
    out.push({
      type: 'EMAIL',
      start,
      end: start + m[0].length,
      source: 'pattern',
      rank: 50,
      key: m[0].toLowerCase(),
    });
  }
}

// ---------------------------------------------------------------- phones

/** A run of digits with the separators phone numbers are written with. */
const PHONE_RUN = /(?<![\p{L}\d])\+?\s?\(?\d[\d\s().-]{5,24}\d(?![\p{L}\d])/gu;

/** E.164 of a phone-like string, or undefined; `strict` also asks the metadata for validity. */
export function phoneKey(s: string, strict: boolean): string | undefined {
  const digits = digitsOf(s);
  if (digits.length < 7 || digits.length > 15) return undefined;
  const p = parsePhoneNumberFromString(s, 'RU');
  if (!p) return undefined;
  if (strict && !p.isValid()) return undefined;
  return p.number;
}

/**
 * Phone numbers in `text`: runs of digits and separators, split at spaces where the whole run is
 * not one number (a date or a sum next to the number), each piece checked by libphonenumber-js
 * (default country RU; any international number with its +code). `match` decides which keys
 * count (all valid numbers for patterns, the customer's own for known values).
 */
export function scanPhones(
  text: string,
  out: Candidate[],
  accept: (piece: string, start: number) => Candidate | undefined,
): void {
  for (const m of text.matchAll(PHONE_RUN)) {
    const run = m[0];
    const base = m.index;
    // Pieces: maximal stretches between whitespace, with their offsets.
    const pieces: { s: number; e: number }[] = [];
    for (const g of run.matchAll(/\S+/g)) pieces.push({ s: g.index, e: g.index + g[0].length });
    let i = 0;
    while (i < pieces.length) {
      let taken = false;
      for (let j = pieces.length - 1; j >= i; j--) {
        const s = pieces[i].s;
        const e = pieces[j].e;
        let piece = run.slice(s, e);
        // Trim brackets or dots left hanging at the edges.
        const lead = piece.length - piece.replace(/^[.)-]+/, '').length;
        piece = piece.slice(lead).replace(/[.(-]+$/, '');
        const c = accept(piece, base + s + lead);
        if (c) {
          out.push(c);
          i = j + 1;
          taken = true;
          break;
        }
      }
      if (!taken) i++;
    }
  }
}

export function findPhones(text: string, out: Candidate[]): void {
  scanPhones(text, out, (piece, start) => {
    const digits = digitsOf(piece);
    // Without a +code only Russian national forms can be valid: 10 digits, or 11 after 7 or 8.
    if (
      !piece.startsWith('+') &&
      digits.length !== 10 &&
      !(digits.length === 11 && (digits[0] === '8' || digits[0] === '7'))
    ) {
      return undefined;
    }
    // A bare number after "заказ №" / "order #" is a reference, not a phone.
    if (!/[\s()+-]/.test(piece) && cueBefore(text, start, NOT_AN_ID, 20)) return undefined;
    const key = phoneKey(piece, true);
    if (!key) return undefined;
    return { type: 'PHONE', start, end: start + piece.length, source: 'pattern', rank: 40, key };
  });
}

// ---------------------------------------------------------------- numbered identifiers

const CARD_RUN =
  /(?<![\p{L}\d-])(?:(?:\d{4}[ -]){4}\d{1,3}|(?:\d{4}[ -]?){3}\d{1,7}|\d{4}[ -]\d{6}[ -]\d{5})(?![\p{L}\d])/gu;
const CARD_CUE = /(?:карт\w*|card|visa|mastercard|мир|maestro|amex|cc)\W*$/i;

/**
 * A run of digits that passes its checksum is the identifier unless, with no cue of its own
 * before it, it follows a reference cue (order, ticket, item…): then it is that reference.
 */
interface ChecksummedId {
  type: 'CARD' | 'INN' | 'OGRN';
  run: RegExp;
  key: (match: string) => string;
  valid: (key: string) => boolean;
  cue: RegExp;
  /** How far back (characters) a cue is looked for; the helper's default when absent. */
  cueReach?: number;
  notAnIdReach: number;
  rank: { cued: number; bare: number };
}

function findChecksummed(text: string, out: Candidate[], id: ChecksummedId): void {
  for (const m of text.matchAll(id.run)) {
    const key = id.key(m[0]);
    if (!id.valid(key)) continue;
    const cue = cueBefore(text, m.index, id.cue, id.cueReach);
    if (!cue && cueBefore(text, m.index, NOT_AN_ID, id.notAnIdReach)) continue;
    out.push({
      type: id.type,
      start: m.index,
      end: m.index + m[0].length,
      source: 'pattern',
      rank: cue ? id.rank.cued : id.rank.bare,
      key,
    });
  }
}

const CARD: ChecksummedId = {
  type: 'CARD',
  run: CARD_RUN,
  key: digitsOf,
  valid: isValidCard,
  cue: CARD_CUE,
  cueReach: 30,
  notAnIdReach: 30,
  rank: { cued: 80, bare: 60 },
};

export function findCards(text: string, out: Candidate[]): void {
  findChecksummed(text, out, CARD);
}

const IBAN_RUN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b/g;

export function findIbans(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(IBAN_RUN)) {
    if (!isValidIban(m[0])) continue;
    out.push({
      type: 'IBAN',
      start: m.index,
      end: m.index + m[0].length,
      source: 'pattern',
      rank: 90,
      key: m[0].replace(/\s+/g, '').toUpperCase(),
    });
  }
}

const SNILS_RUN = /(?<![\d-])\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}(?![\d-])/g;
const SNILS_CUE = /(?:снилс|snils|страхов\w*)\W*(?:\w+\W+){0,2}$/i;
const SNILS_SHAPE = /^\d{3}-\d{3}-\d{3}[ -]\d{2}$/;

export function findSnils(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(SNILS_RUN)) {
    const d = digitsOf(m[0]);
    if (!isValidSnils(d)) continue;
    const cue = cueBefore(text, m.index, SNILS_CUE);
    const shaped = SNILS_SHAPE.test(m[0]);
    if (!cue && !shaped) continue;
    out.push({
      type: 'SNILS',
      start: m.index,
      end: m.index + m[0].length,
      source: 'pattern',
      rank: cue ? 85 : 70,
      key: d,
    });
  }
}

const INN_RUN = /(?<![\d-])(?:\d{12}|\d{10})(?![\d-])/g;
const INN_CUE = /(?:инн|inn|tin|налог\w*)\W*(?:\w+\W+){0,2}$/i;

const INN: ChecksummedId = {
  type: 'INN',
  run: INN_RUN,
  key: (match) => match,
  valid: isValidInn,
  cue: INN_CUE,
  notAnIdReach: 20,
  rank: { cued: 85, bare: 30 },
};

export function findInns(text: string, out: Candidate[]): void {
  findChecksummed(text, out, INN);
}

const OGRN_RUN = /(?<![\d-])(?:\d{15}|\d{13})(?![\d-])/g;
const OGRN_CUE = /(?:огрн\w*|ogrn\w*|psrn|регистрац\w*)\W*(?:\w+\W+){0,2}$/i;

const OGRN: ChecksummedId = {
  type: 'OGRN',
  run: OGRN_RUN,
  key: (match) => match,
  valid: isValidOgrn,
  cue: OGRN_CUE,
  notAnIdReach: 20,
  rank: { cued: 85, bare: 35 },
};

export function findOgrns(text: string, out: Candidate[]): void {
  findChecksummed(text, out, OGRN);
}

const PASSPORT_RUN = /(?<![\d-])(\d{2}) ?(\d{2})(?: ?(?:№|N|номер|no\.?)? ?)(\d{6})(?![\d-])/gi;
const PASSPORT_CUE = /(?:паспорт\w*|passport|серия|серии|удостоверени\w*|пасп\.)[^.!?\n]{0,30}$/i;
const PASSPORT_SHAPE = /^\d{2} \d{2} \d{6}$/;

export function findPassports(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(PASSPORT_RUN)) {
    const cue = cueBefore(text, m.index, PASSPORT_CUE);
    if (!cue && !PASSPORT_SHAPE.test(m[0])) continue;
    if (m[1] === '00') continue;
    out.push({
      type: 'PASSPORT',
      start: m.index,
      end: m.index + m[0].length,
      source: 'pattern',
      rank: cue ? 88 : 45,
      key: m[1] + m[2] + m[3],
    });
  }
}

// ---------------------------------------------------------------- dates of birth

const MONTHS_RU =
  'января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|янв\\.?|фев\\.?|мар\\.?|апр\\.?|июн\\.?|июл\\.?|авг\\.?|сен\\.?|сент\\.?|окт\\.?|ноя\\.?|дек\\.?';
const MONTHS_EN =
  'January|February|March|April|May|June|July|August|September|October|November|December|Jan\\.?|Feb\\.?|Mar\\.?|Apr\\.?|Jun\\.?|Jul\\.?|Aug\\.?|Sep\\.?|Sept\\.?|Oct\\.?|Nov\\.?|Dec\\.?';
const DATE = new RegExp(
  [
    '(?<!\\d)\\d{1,2}[./-]\\d{1,2}[./-](?:19|20)?\\d{2}(?!\\d)',
    '(?<!\\d)(?:19|20)\\d{2}-\\d{2}-\\d{2}(?!\\d)',
    `(?<!\\d)\\d{1,2}\\s(?:${MONTHS_RU})\\s(?:19|20)\\d{2}(?:\\s?(?:г\\.|года|г(?![а-яё])))?`,
    `(?<!\\d)\\d{1,2}(?:st|nd|rd|th)?\\s(?:of\\s)?(?:${MONTHS_EN}),?\\s(?:19|20)\\d{2}(?!\\d)`,
    `\\b(?:${MONTHS_EN})\\s\\d{1,2}(?:st|nd|rd|th)?,?\\s(?:19|20)\\d{2}(?!\\d)`,
  ].join('|'),
  'gi',
);
const BIRTH_CUE =
  /(?:родил(?:ся|ась|ись)?|рожд[её]н\w*|рождени\w*|д\.\s?р\.?|д\/р|(?<![а-яё])др(?![а-яё])|г\.\s?р\.|born|dob|d\.o\.b\.?|birth\w*|b\.?\s?day)[^.!?\n]{0,25}$/i;
const BIRTH_CUE_AFTER = /^\s?(?:г\.\s?р\.|г\/р|года рождения|г\.р)/i;

export function findBirthDates(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(DATE)) {
    const end = m.index + m[0].length;
    const cue =
      cueBefore(text, m.index, BIRTH_CUE, 45) || BIRTH_CUE_AFTER.test(text.slice(end, end + 20));
    if (!cue) continue;
    out.push({
      type: 'BIRTHDATE',
      start: m.index,
      end,
      source: 'pattern',
      rank: 50,
      key: m[0].toLowerCase().replace(/\s+/g, ' '),
    });
  }
}

// ---------------------------------------------------------------- street addresses

const RU_WORD = '[А-ЯЁ0-9][А-ЯЁа-яё0-9-]*';
const RU_STREET_MARK =
  'ул\\.|ул(?=\\s)|улиц[аеуы]|пр-т|пр-кт|просп\\.|проспект[аеу]?|пер\\.|переул(?:ок|ке)|бул\\.|б-р|бульвар[аеу]?|ш\\.|шоссе|наб\\.|набережн(?:ая|ой)|пл\\.|площад[ьи]|мкр\\.?|микрорайон[аеу]?|проезд[аеу]?|тупик';
const RU_TAIL =
  '(?:,?\\s?(?:д\\.|дом|д(?=\\s?\\d))\\s?\\d+[а-яА-Я]?(?:/\\d+)?)?(?:,?\\s?(?:корп\\.|корпус|к\\.|стр\\.|строение)\\s?\\d+[а-я]?)?(?:,?\\s?(?:кв\\.|квартира|кв|оф\\.|офис)\\s?\\d+)?';
const RU_CITY = '(?:(?:г\\.|город|гор\\.)\\s?[А-ЯЁ][а-яё-]+,?\\s)?';
const RU_ADDRESS = new RegExp(
  [
    // г. Москва, ул. Ленина, д. 5, кв. 12 / улица Малая Садовая 3
    `${RU_CITY}(?<![А-ЯЁа-яё])(?:${RU_STREET_MARK})\\s?(?:${RU_WORD}\\s){0,2}${RU_WORD}${RU_TAIL}`,
    // Ленинский проспект, д. 5
    `${RU_CITY}${RU_WORD}(?:\\s${RU_WORD})?\\s(?:ул\\.|улица|проспект|пр-т|переулок|бульвар|шоссе|набережная|пер\\.|ш\\.)${RU_TAIL}`,
  ].join('|'),
  'g',
);
const EN_ADDRESS =
  /\b\d{1,5}[A-Za-z]?\s(?:[A-Z][a-z]+\.?\s){1,3}(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Dr\.?|Way|Court|Ct\.?|Place|Pl\.?|Square|Sq\.?|Terrace|Close|Crescent)(?![a-z])(?:,?\s?(?:Apt\.?|Apartment|Suite|Unit|Flat|#)\s?[A-Za-z0-9-]+)?/g;

/** A cheap test that a street marker may be present before running the long expression. */
const RU_ADDRESS_HINT = new RegExp(
  `(?:${RU_STREET_MARK}|\\s(?:ул\\.|улица|проспект|пр-т|переулок|бульвар|шоссе|набережная|пер\\.|ш\\.))`,
);

export function findAddresses(text: string, out: Candidate[]): void {
  const push = (m: RegExpMatchArray & { index: number }) => {
    const value = m[0].replace(/[\s,]+$/, '');
    if (!/\d/.test(value) && !/(?:ул\.|улиц|проспект|пр-т|street|avenue|road)/i.test(value)) return;
    out.push({
      type: 'ADDRESS',
      start: m.index,
      end: m.index + value.length,
      source: 'pattern',
      rank: 20,
      key: value.toLowerCase().replace(/\s+/g, ' '),
    });
  };
  if (RU_ADDRESS_HINT.test(text)) for (const m of text.matchAll(RU_ADDRESS)) push(m);
  if (/\d/.test(text)) for (const m of text.matchAll(EN_ADDRESS)) push(m);
}

// ---------------------------------------------------------------- names

/** A word: letters, with inner hyphens ("Римский-Корсаков"). */
export const WORD = /\p{L}+(?:-\p{L}+|['’]\p{L}{2,})*/gu;
export interface Word {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}
export function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  for (const m of text.matchAll(WORD)) {
    words.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return words;
}

const isCapitalised = (w: string): boolean =>
  w.length > 1 && /^\p{Lu}(?:\p{Ll}|['’]\p{Lu})/u.test(w) && !/^\p{Lu}+$/u.test(w);
/** Only spaces (no punctuation, no line break) between two words. */
const adjacent = (text: string, a: Word, b: Word): boolean =>
  /^[ \t]+$/.test(text.slice(a.end, b.start));
/** An initial after a name: " И.", " И. П.", " J." */
const INITIALS = /^\s?(?:\p{Lu}\.\s?){1,2}/u;
const TITLE =
  /(?:\b(?:mr|mrs|ms|miss|dr|prof|sir|madam)\.?|(?<![а-яё])ип|г-н|г-жа|господин\w*|госпож\w*|тов\.)\s$/i;
const SENTENCE_START = /(?:^|[.!?…:\n]\s*|[«"(]\s*)$/;
const NOT_NAMES = new Set(
  [
    'москва',
    'россия',
    'петербург',
    'санкт-петербург',
    'ростов',
    'иваново',
    'королев',
    'пушкин',
    'саратов',
    'тамбов',
    'псков',
    'кашин',
    'рублев',
    'отдел',
    'онлайн',
    'клиентов',
    'менеджеров',
    'сотрудников',
    'вопросов',
    'платежей',
    'заказов',
    'товаров',
    'документов',
    'сервисов',
    'номеров',
    'дней',
    'часов',
    'рублей',
    'готов',
    'готова',
    'здоров',
    'здорова',
    'должна',
  ].map(nameKey),
);

/**
 * Other people's names: a first name from the dictionary (any case form), extended over the
 * capitalised surname or patronymic beside it; a capitalised word with a Russian surname ending
 * that does not start a sentence; a capitalised word after a title (Mr, Mrs, г-н).
 */
export function findDictionaryNames(text: string, words: readonly Word[], out: Candidate[]): void {
  const used = new Uint8Array(words.length);
  const emit = (from: number, to: number, rank: number) => {
    const start = words[from].start;
    let end = words[to].end;
    const initials = INITIALS.exec(text.slice(end, end + 6));
    if (initials) end += initials[0].trimEnd().length;
    for (let k = from; k <= to; k++) used[k] = 1;
    out.push({
      type: 'NAME',
      start,
      end,
      source: 'dictionary',
      rank,
      key: nameKey(text.slice(start, end)).replace(/\s+/g, ' '),
    });
  };
  for (let i = 0; i < words.length; i++) {
    if (used[i]) continue;
    const w = words[i];
    if (!isCapitalised(w.text)) continue;
    const titled = TITLE.test(text.slice(Math.max(0, w.start - 10), w.start));
    if (isFirstNameForm(w.text)) {
      let from = i;
      let to = i;
      // Surname before ("Кузнецова Ольга") or after ("Ольга Кузнецова", "Ольга Сергеевна").
      while (
        to + 1 < words.length &&
        to - i < 2 &&
        isCapitalised(words[to + 1].text) &&
        adjacent(text, words[to], words[to + 1]) &&
        !NOT_NAMES.has(nameKey(words[to + 1].text))
      ) {
        to++;
      }
      if (
        from > 0 &&
        !used[from - 1] &&
        isCapitalised(words[from - 1].text) &&
        adjacent(text, words[from - 1], words[from]) &&
        (looksLikeRuSurname(words[from - 1].text) || !isFirstNameForm(words[from - 1].text)) &&
        !SENTENCE_START.test(
          text.slice(Math.max(0, words[from - 1].start - 3), words[from - 1].start),
        ) &&
        !NOT_NAMES.has(nameKey(words[from - 1].text))
      ) {
        from--;
      }
      if (from === to && isAmbiguousName(w.text) && !titled) continue;
      emit(from, to, to > from ? 20 : 10);
      i = to;
      continue;
    }
    // An unknown first name followed by a patronymic: "Эльвире Рашидовне".
    if (
      i + 1 < words.length &&
      /[а-яё]/i.test(w.text) &&
      isCapitalised(words[i + 1].text) &&
      adjacent(text, w, words[i + 1]) &&
      looksLikePatronymic(words[i + 1].text) &&
      !NOT_NAMES.has(nameKey(w.text))
    ) {
      let to = i + 1;
      if (
        to + 1 < words.length &&
        isCapitalised(words[to + 1].text) &&
        adjacent(text, words[to], words[to + 1]) &&
        looksLikeRuSurname(words[to + 1].text)
      ) {
        to++;
      }
      emit(i, to, 18);
      i = to;
      continue;
    }
    const atStart = SENTENCE_START.test(text.slice(Math.max(0, w.start - 3), w.start));
    if (titled || (!atStart && looksLikeRuSurname(w.text) && !NOT_NAMES.has(nameKey(w.text)))) {
      let to = i;
      while (
        to + 1 < words.length &&
        to - i < 2 &&
        isCapitalised(words[to + 1].text) &&
        adjacent(text, words[to], words[to + 1]) &&
        (looksLikePatronymic(words[to + 1].text) || looksLikeRuSurname(words[to + 1].text))
      ) {
        to++;
      }
      emit(i, to, titled ? 15 : 5);
      i = to;
    }
  }
}
