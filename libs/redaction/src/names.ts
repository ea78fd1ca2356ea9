/**
 * People's names: Russian case forms (declension) by `petrovich` (MIT, rules for first, middle
 * and last names), diminutives from names-data.ts, and the dictionary of first names used to
 * find other people's names.
 */
import petrovich from 'petrovich';
import { AMBIGUOUS, EN_FIRST, RU_FEMALE, RU_MALE } from './names-data';

const CASES = [
  'nominative',
  'genitive',
  'dative',
  'accusative',
  'instrumental',
  'prepositional',
] as const;
type Gender = 'male' | 'female';
type Role = 'first' | 'middle' | 'last';

/** Lower case with ё folded to е: the key every name comparison uses. */
export const nameKey = (s: string): string => s.toLowerCase().replace(/ё/g, 'е');

const CYRILLIC = /[а-яё]/i;

/** Every case form of `name` in the role and gender given (Cyrillic only; others as is). */
export function caseForms(name: string, role: Role, gender: Gender): string[] {
  if (!CYRILLIC.test(name)) return [name];
  const forms = new Set<string>([name]);
  for (const c of CASES) {
    try {
      // Double-barrelled names decline part by part.
      forms.add(
        name
          .split('-')
          .map((part) => petrovich[gender][role][c](part))
          .join('-'),
      );
    } catch {
      // petrovich has no rule for this name: keep the forms found so far.
    }
  }
  return [...forms];
}

interface FirstNameEntry {
  readonly gender: Gender;
  readonly full: string;
  readonly diminutives: readonly string[];
}

function parseRu(table: string, gender: Gender): FirstNameEntry[] {
  return table
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [full, dims = ''] = line.split(':');
      return { gender, full: full.trim(), diminutives: dims.split(',').filter(Boolean) };
    });
}

const RU_ENTRIES = [...parseRu(RU_MALE, 'male'), ...parseRu(RU_FEMALE, 'female')];
const BY_FULL = new Map<string, FirstNameEntry[]>();
for (const e of RU_ENTRIES) {
  for (const key of [nameKey(e.full), ...e.diminutives.map(nameKey)]) {
    const list = BY_FULL.get(key) ?? [];
    list.push(e);
    BY_FULL.set(key, list);
  }
}

/** Whether `word` is a known Russian first name or diminutive (nominative). */
export const isRuFirstName = (word: string): boolean => BY_FULL.has(nameKey(word));

/** Every case form of every first name and diminutive, and of the English names (key → true). */
const FIRST_NAME_FORMS = new Map<string, boolean>();
for (const e of RU_ENTRIES) {
  for (const n of [e.full, ...e.diminutives]) {
    for (const f of caseForms(n, 'first', e.gender)) FIRST_NAME_FORMS.set(nameKey(f), true);
  }
}
for (const n of EN_FIRST.split(/\s+/).filter(Boolean)) FIRST_NAME_FORMS.set(nameKey(n), true);

/** Whether `word` (any case form) is in the first-name dictionary. */
export const isFirstNameForm = (word: string): boolean => FIRST_NAME_FORMS.has(nameKey(word));
const AMBIGUOUS_FORMS = new Set<string>();
for (const a of AMBIGUOUS) {
  for (const g of ['male', 'female'] as const) {
    for (const f of caseForms(a.charAt(0).toUpperCase() + a.slice(1), 'first', g)) {
      AMBIGUOUS_FORMS.add(nameKey(f));
    }
  }
}
/** Whether `word` is a first name (any case) that is also a common word: needs a neighbour. */
export const isAmbiguousName = (word: string): boolean => AMBIGUOUS_FORMS.has(nameKey(word));

const PATRONYMIC = /(?:вич|вна|чна|ична|инична|ич)$/;
const PATRONYMIC_FORM = /(?:вич(?:а|у|ем|е)?|[вч]н(?:а|ы|е|у|ой)|ич(?:а|у|ем|е)?)$/i;
const FEMALE_LAST = /(?:ова|ева|ёва|ина|ына|ая|яя|ская|цкая)$/;

/** Whether a capitalised word looks like a Russian patronymic in any case. */
export const looksLikePatronymic = (word: string): boolean => PATRONYMIC_FORM.test(word);

const SURNAME_FORM =
  /(?:ов|ев|ёв|ин|ын|ский|цкий|ской|цкой|ова|ева|ина|ына|ская|цкая|енко|ко|юк|ук|ян|дзе|швили|их|ых|ман|берг|штейн)(?:а|у|ым|ом|е|ой|ую|ого|ому|им|их|ы)?$/i;
/** Whether a capitalised Cyrillic word has a common Russian surname ending, in any case. */
export const looksLikeRuSurname = (word: string): boolean =>
  CYRILLIC.test(word) && word.length > 3 && SURNAME_FORM.test(word);

/**
 * Every written form of a customer's stored full name's parts: each part in each case (roles
 * guessed: a patronymic by its ending, a first name by the dictionary, the rest as surnames),
 * and the first name's diminutives in each case. Returned as name keys (see nameKey).
 */
export function knownNameForms(fullName: string): ReadonlySet<string> {
  const cached = FORMS_CACHE.get(fullName);
  if (cached) return cached;
  const forms = computeKnownNameForms(fullName);
  if (FORMS_CACHE.size >= FORMS_CACHE_SIZE) FORMS_CACHE.clear();
  FORMS_CACHE.set(fullName, forms);
  return forms;
}

/**
 * Recent names' forms, so a caller redacting many texts of one customer declines the name once.
 * Holds names only while the process runs, like the engine's callers hold them for one call.
 */
const FORMS_CACHE = new Map<string, ReadonlySet<string>>();
const FORMS_CACHE_SIZE = 256;

function computeKnownNameForms(fullName: string): Set<string> {
  const parts = fullName
    .normalize('NFC')
    .split(/[\s,]+/)
    .map((p) => p.replace(/^[^\p{L}]+|[^\p{L}-]+$/gu, ''))
    .filter((p) => p.length > 1);
  const forms = new Set<string>();
  const middle = parts.find((p) => PATRONYMIC.test(nameKey(p)));
  let gender: Gender | undefined;
  if (middle) {
    const g = petrovich.detect_gender(middle);
    if (g !== 'androgynous') gender = g;
  }
  const firstEntry = parts.map((p) => BY_FULL.get(nameKey(p))).find((e) => e !== undefined);
  if (!gender && firstEntry) gender = firstEntry[0].gender;
  if (!gender) gender = parts.some((p) => FEMALE_LAST.test(nameKey(p))) ? 'female' : 'male';
  for (const part of parts) {
    const key = nameKey(part);
    const entries = BY_FULL.get(key)?.filter((e) => e.gender === gender);
    let role: Role = 'last';
    if (part === middle) role = 'middle';
    else if (entries && entries.length > 0) role = 'first';
    for (const f of caseForms(part, role, gender)) forms.add(nameKey(f));
    if (role === 'first' && entries) {
      for (const e of entries) {
        for (const n of [e.full, ...e.diminutives]) {
          for (const f of caseForms(n, 'first', gender)) forms.add(nameKey(f));
        }
      }
    }
  }
  return forms;
}
