/**
 * The redaction engine: finds personal data in free text and replaces each item with a typed,
 * numbered placeholder (`[NAME_1]`, `[PHONE_2]`). Pure: no I/O, no keys, no logging.
 */
import { knownNameForms, nameKey } from './names';
import {
  type Candidate,
  type Source,
  findAddresses,
  findBirthDates,
  findCards,
  findDictionaryNames,
  findEmails,
  findIbans,
  findInns,
  findOgrns,
  findPassports,
  findPhones,
  findSnils,
  phoneKey,
  scanPhones,
  wordsOf,
} from './patterns';
import type {
  EntityType,
  KnownValues,
  RedactOptions,
  RedactedEntity,
  RedactionResult,
} from './redaction.types';
import { digitsOf } from './validators';

const TIER: Record<Source, number> = { known: 3, pattern: 2, dictionary: 1 };

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The customer's own values: name forms, emails, phones and other stored values. */
function findKnown(
  text: string,
  known: KnownValues,
  words: ReturnType<typeof wordsOf>,
  out: Candidate[],
): void {
  // Names: every word that is a form of a part of a stored name; neighbours merge into one span.
  const forms = new Set<string>();
  for (const n of known.names ?? []) for (const f of knownNameForms(n)) forms.add(f);
  if (forms.size > 0) {
    let i = 0;
    while (i < words.length) {
      if (words[i].text.length < 2 || !forms.has(nameKey(words[i].text))) {
        i++;
        continue;
      }
      let j = i;
      while (
        j + 1 < words.length &&
        forms.has(nameKey(words[j + 1].text)) &&
        /^[ \t]+$/.test(text.slice(words[j].end, words[j + 1].start))
      ) {
        j++;
      }
      const start = words[i].start;
      let end = words[j].end;
      const initials = /^\s?(?:\p{Lu}\.\s?){1,2}/u.exec(text.slice(end, end + 6));
      if (initials) end += initials[0].trimEnd().length;
      out.push({
        type: 'NAME',
        start,
        end,
        source: 'known',
        rank: 100,
        key: nameKey(text.slice(start, end)).replace(/\s+/g, ' '),
      });
      i = j + 1;
    }
  }
  // Emails: case-insensitive.
  const lower = text.toLowerCase();
  for (const e of known.emails ?? []) {
    const needle = e.trim().toLowerCase();
    if (needle.length < 3) continue;
    for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + 1)) {
      out.push({
        type: 'EMAIL',
        start: at,
        end: at + needle.length,
        source: 'known',
        rank: 100,
        key: needle,
      });
    }
  }
  // Phones: any formatting; compared as E.164 (8 and +7 prefixes are the same number).
  const phoneKeys = new Set<string>();
  const tails = new Set<string>();
  let everyPhoneHasTail = true;
  for (const p of known.phones ?? []) {
    const k = phoneKey(p, false);
    if (k) phoneKeys.add(k);
    const d = digitsOf(p);
    if (d.length >= 10) tails.add(d.slice(-10));
    else everyPhoneHasTail = false;
  }
  if (phoneKeys.size > 0 || tails.size > 0) {
    scanPhones(text, out, (piece, start) => {
      const d = digitsOf(piece);
      // Cheap test first: every stored phone has its last ten digits in `tails`.
      if (everyPhoneHasTail && (d.length < 10 || !tails.has(d.slice(-10)))) return undefined;
      const k = phoneKey(piece, false);
      const hit =
        (k !== undefined && phoneKeys.has(k)) ||
        (d.length >= 10 && d.length <= 12 && tails.has(d.slice(-10)));
      if (!hit) return undefined;
      return {
        type: 'PHONE',
        start,
        end: start + piece.length,
        source: 'known',
        rank: 100,
        key: k ?? d.slice(-10),
      };
    });
  }
  // Other stored values: verbatim, case-insensitive, any whitespace.
  for (const o of known.other ?? []) {
    const value = o.value.trim();
    if (value.length < 3) continue;
    const re = new RegExp(value.split(/\s+/).map(escapeRe).join('\\s+'), 'giu');
    for (const m of text.matchAll(re)) {
      out.push({
        type: o.type,
        start: m.index,
        end: m.index + m[0].length,
        source: 'known',
        rank: 100,
        key: value.toLowerCase().replace(/\s+/g, ' '),
      });
    }
  }
}

/** Every candidate span, unresolved. Exposed for the bench and tests. */
export function detect(text: string, options: RedactOptions = {}): Candidate[] {
  const out: Candidate[] = [];
  const words = wordsOf(text);
  if (options.known) findKnown(text, options.known, words, out);
  findEmails(text, out);
  findIbans(text, out);
  findCards(text, out);
  findSnils(text, out);
  findInns(text, out);
  findOgrns(text, out);
  findPassports(text, out);
  findPhones(text, out);
  findBirthDates(text, out);
  findAddresses(text, out);
  findDictionaryNames(text, words, out);
  return out;
}

/**
 * Resolves overlaps: the customer's own values beat validated patterns, which beat the name
 * dictionary; within a tier the longer span wins, then the higher rank, then the earlier one.
 */
export function resolve(candidates: readonly Candidate[], length: number): Candidate[] {
  const sorted = [...candidates].sort(
    (a, b) =>
      TIER[b.source] - TIER[a.source] ||
      b.end - b.start - (a.end - a.start) ||
      b.rank - a.rank ||
      a.start - b.start,
  );
  // Which characters a taken span covers: the check costs the span's length, not the count.
  const covered = new Uint8Array(length);
  const taken: Candidate[] = [];
  for (const c of sorted) {
    if (c.end <= c.start) continue;
    if (covered.subarray(c.start, c.end).includes(1)) continue;
    covered.fill(1, c.start, c.end);
    taken.push(c);
  }
  return taken.sort((a, b) => a.start - b.start);
}

/**
 * Replaces the personal data in `text` by placeholders `[TYPE_n]`, numbered per type in order of
 * first appearance; the same value (after normalisation: case, phone formatting, separators in
 * numbers) gets the same placeholder.
 */
export function redact(text: string, options: RedactOptions = {}): RedactionResult {
  const spans = resolve(detect(text, options), text.length);
  const byKey = new Map<string, string>();
  const next: Partial<Record<EntityType, number>> = {};
  const mapping: Record<string, string> = {};
  const entities: RedactedEntity[] = [];
  let out = '';
  let at = 0;
  for (const s of spans) {
    const value = text.slice(s.start, s.end);
    const k = `${s.type}\u0000${s.key}`;
    let placeholder = byKey.get(k);
    if (!placeholder) {
      const n = (next[s.type] ?? 0) + 1;
      next[s.type] = n;
      placeholder = `[${s.type}_${n}]`;
      byKey.set(k, placeholder);
      mapping[placeholder] = value;
    }
    entities.push({
      placeholder,
      type: s.type,
      value,
      start: s.start,
      end: s.end,
      source: s.source,
    });
    out += text.slice(at, s.start) + placeholder;
    at = s.end;
  }
  out += text.slice(at);
  return { text: out, entities, counts: { ...next }, mapping };
}

const PLACEHOLDER = /\[[A-Z]+_\d+\]/g;

/** Puts the values of `mapping` back in place of their placeholders; unknown ones stay as is. */
export function restore(text: string, mapping: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (p) =>
    Object.prototype.hasOwnProperty.call(mapping, p) ? mapping[p] : p,
  );
}
