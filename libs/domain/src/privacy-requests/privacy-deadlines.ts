import { addRuWorkingDays, dayString, MOSCOW_OFFSET_MS } from './ru-working-days';

export const PRIVACY_JURISDICTIONS = ['ru', 'eu'] as const;
export type PrivacyJurisdiction = (typeof PRIVACY_JURISDICTIONS)[number];

/**
 * How long the controller has to answer a data subject's request, and by how much it may
 * extend that once — one table, one row per jurisdiction:
 * - `ru`, 152-FZ art. 14 §3, art. 20, art. 21: 10 working days from receipt, extendable once by
 *   5 working days with a reasoned notice to the data subject. Russian working days (the
 *   official holidays and transfers, `ru-working-days.ts`), days ending at midnight in Moscow.
 * - `eu`, GDPR art. 12(3): one month from receipt, extendable by two further months (the data
 *   subject told why within the first month). A month ends on the same day number of the next
 *   month, or that month's last day when it has none (Regulation 1182/71 art. 3); days end at
 *   midnight UTC. The end is not moved off a weekend or holiday: the earlier day is kept.
 */
export const PRIVACY_DEADLINES: Readonly<
  Record<
    PrivacyJurisdiction,
    {
      law: string;
      answer: { workingDays: number } | { months: number };
      extension: { workingDays: number } | { months: number };
    }
  >
> = {
  ru: {
    law: '152-FZ art. 14 §3, art. 20 (10 working days, +5 once with a reasoned notice)',
    answer: { workingDays: 10 },
    extension: { workingDays: 5 },
  },
  eu: {
    law: 'GDPR art. 12(3) (one month, +2 months)',
    answer: { months: 1 },
    extension: { months: 2 },
  },
};

export interface PrivacyDeadline {
  /** The last moment the answer is on time. */
  dueAt: string;
  /** The day it falls on, in the jurisdiction's time (Moscow for ru, UTC for eu). */
  dueDay: string;
  /** A Russian calendar year it spans is not yet confirmed by its decree. */
  provisional: boolean;
}

const DAY_MS = 86_400_000;

/** The last millisecond of a day in a zone `offsetMs` ahead of UTC. */
const endOfDay = (day: number, offsetMs: number) =>
  new Date((day + 1) * DAY_MS - offsetMs - 1).toISOString();

/** `months` after the day, same day number or the month's last day. */
function addMonths(day: number, months: number): number {
  const [y, m, d] = dayString(day).split('-').map(Number);
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return target.getTime() / DAY_MS;
}

/** The day a moment falls on in the zone. */
const localDay = (at: Date, offsetMs: number) => Math.floor((at.getTime() + offsetMs) / DAY_MS);

/** When the answer to a request received at `receivedAt` is due. */
export function answerDeadline(
  jurisdiction: PrivacyJurisdiction,
  receivedAt: Date,
): PrivacyDeadline {
  return deadline(jurisdiction, receivedAt, 'answer');
}

/** The deadline once extended (counted from receipt, like the answer's, plus the extension). */
export function extendedDeadline(
  jurisdiction: PrivacyJurisdiction,
  receivedAt: Date,
): PrivacyDeadline {
  return deadline(jurisdiction, receivedAt, 'extended');
}

function deadline(
  jurisdiction: PrivacyJurisdiction,
  receivedAt: Date,
  which: 'answer' | 'extended',
): PrivacyDeadline {
  const rule = PRIVACY_DEADLINES[jurisdiction];
  if (jurisdiction === 'ru') {
    const received = localDay(receivedAt, MOSCOW_OFFSET_MS);
    const answer = addRuWorkingDays(received, (rule.answer as { workingDays: number }).workingDays);
    const due =
      which === 'answer'
        ? answer
        : addRuWorkingDays(answer.day, (rule.extension as { workingDays: number }).workingDays);
    return {
      dueAt: endOfDay(due.day, MOSCOW_OFFSET_MS),
      dueDay: dayString(due.day),
      provisional: answer.provisional || due.provisional,
    };
  }
  const received = localDay(receivedAt, 0);
  const months =
    (rule.answer as { months: number }).months +
    (which === 'answer' ? 0 : (rule.extension as { months: number }).months);
  const day = addMonths(received, months);
  return { dueAt: endOfDay(day, 0), dueDay: dayString(day), provisional: false };
}
