/**
 * Russian working days, as data: the official non-working days of each year (public holidays,
 * Labour Code art. 112, and the days off the Government moves by decree) and the weekend days a
 * decree made working days. A day is a working day when it is Monday to Friday and not listed
 * in `daysOff`, or when it is listed in `workingWeekends`.
 *
 * Sources (check a new year against the decree itself, http://publication.pravo.gov.ru):
 * - 2025: Government Decree No. 1335 of 4 October 2024 "On the transfer of days off in 2025":
 *   4 Jan → 2 May, 5 Jan → 31 Dec, 23 Feb → 8 May, 8 Mar → 13 Jun, Sat 1 Nov → Mon 3 Nov
 *   (Saturday 1 November a working day).
 * - 2026: Government Decree No. 1466 of 24 September 2025 "On the transfer of days off in 2026":
 *   3 Jan → 9 Jan, 4 Jan → 31 Dec; 8 Mar (Sunday) and 9 May (Saturday) move to the next
 *   working day under art. 112 (9 Mar, 11 May). No working Saturdays.
 * - 2027: PROVISIONAL. No decree for 2027 had been checked when this table was written: the
 *   days below are art. 112's holidays with the weekend ones moved to the next working day
 *   (1 May → 3 May, 9 May → 10 May, 12 Jun → 14 Jun); the decree's transfer of 2 and 3 January
 *   (a Saturday and Sunday) is not in. Replace the entry with the decree's days when it is out.
 *
 * To add a year: copy the decree's list of non-working days that fall Monday to Friday into
 * `daysOff`, any weekend day it makes a working day into `workingWeekends`, cite the decree in
 * `source`, and run `npx jest libs/domain/src/privacy-requests` (the data checks refuse a
 * weekend in `daysOff` or a weekday in `workingWeekends`). A year missing from the table is
 * counted by art. 112's rule alone and marked provisional in every deadline it touches.
 */
export interface RuCalendarYear {
  source: string;
  /** Monday-to-Friday days that are not working days (YYYY-MM-DD). */
  daysOff: readonly string[];
  /** Saturdays or Sundays a decree made working days. */
  workingWeekends: readonly string[];
  /** True while the year's decree is not in the table. */
  provisional: boolean;
}

export const RU_CALENDAR: Readonly<Record<number, RuCalendarYear>> = {
  2025: {
    source: 'Government Decree No. 1335 of 4 October 2024',
    daysOff: [
      '2025-01-01',
      '2025-01-02',
      '2025-01-03',
      '2025-01-06',
      '2025-01-07',
      '2025-01-08',
      '2025-05-01',
      '2025-05-02',
      '2025-05-08',
      '2025-05-09',
      '2025-06-12',
      '2025-06-13',
      '2025-11-03',
      '2025-11-04',
      '2025-12-31',
    ],
    workingWeekends: ['2025-11-01'],
    provisional: false,
  },
  2026: {
    source: 'Government Decree No. 1466 of 24 September 2025',
    daysOff: [
      '2026-01-01',
      '2026-01-02',
      '2026-01-05',
      '2026-01-06',
      '2026-01-07',
      '2026-01-08',
      '2026-01-09',
      '2026-02-23',
      '2026-03-09',
      '2026-05-01',
      '2026-05-11',
      '2026-06-12',
      '2026-11-04',
      '2026-12-31',
    ],
    workingWeekends: [],
    provisional: false,
  },
  2027: {
    source: 'Labour Code art. 112 only (the 2027 decree not yet entered)',
    daysOff: [
      '2027-01-01',
      '2027-01-04',
      '2027-01-05',
      '2027-01-06',
      '2027-01-07',
      '2027-01-08',
      '2027-02-23',
      '2027-03-08',
      '2027-05-03',
      '2027-05-10',
      '2027-06-14',
      '2027-11-04',
    ],
    workingWeekends: [],
    provisional: true,
  },
};

/** Labour Code art. 112: the non-working public holidays (month, day). */
const ART_112_HOLIDAYS: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [1, 2],
  [1, 3],
  [1, 4],
  [1, 5],
  [1, 6],
  [1, 7],
  [1, 8],
  [2, 23],
  [3, 8],
  [5, 1],
  [5, 9],
  [6, 12],
  [11, 4],
];

const DAY_MS = 86_400_000;
/** Moscow time: UTC+3 all year since 26 October 2014. */
export const MOSCOW_OFFSET_MS = 3 * 3_600_000;

/** `YYYY-MM-DD` of a day counted in whole days since 1970-01-01. */
export const dayString = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const dayNumber = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
const weekend = (day: number) => {
  const weekday = new Date(day * DAY_MS).getUTCDay();
  return weekday === 0 || weekday === 6;
};

/** A year missing from the table: art. 112's holidays, a weekend one moved to the next working day (January's excepted: the decree places those). */
function ruleYear(year: number): { daysOff: Set<string>; workingWeekends: Set<string> } {
  const daysOff = new Set<string>();
  for (const [month, date] of ART_112_HOLIDAYS) {
    let day = dayNumber(
      `${year}-${String(month).padStart(2, '0')}-${String(date).padStart(2, '0')}`,
    );
    if (!weekend(day)) daysOff.add(dayString(day));
    else if (month !== 1) {
      while (weekend(day) || daysOff.has(dayString(day))) day++;
      daysOff.add(dayString(day));
    }
  }
  return { daysOff, workingWeekends: new Set() };
}

const years = new Map<number, { daysOff: Set<string>; workingWeekends: Set<string> }>();
function yearOf(year: number) {
  let entry = years.get(year);
  if (!entry) {
    const listed = RU_CALENDAR[year];
    entry = listed
      ? { daysOff: new Set(listed.daysOff), workingWeekends: new Set(listed.workingWeekends) }
      : ruleYear(year);
    years.set(year, entry);
  }
  return entry;
}

/** Whether the year's days come from a decree in the table (false: provisional). */
export function ruYearConfirmed(year: number): boolean {
  return RU_CALENDAR[year]?.provisional === false;
}

/** Whether a day (counted since 1970-01-01) is a working day in Russia. */
export function isRuWorkingDay(day: number): boolean {
  const iso = dayString(day);
  const { daysOff, workingWeekends } = yearOf(Number(iso.slice(0, 4)));
  if (workingWeekends.has(iso)) return true;
  return !weekend(day) && !daysOff.has(iso);
}

/**
 * The `count`-th working day after `day` (the day itself not counted: a period in days begins
 * the day after the event that starts it, Civil Code art. 191), and whether any year it spans
 * is provisional.
 */
export function addRuWorkingDays(
  day: number,
  count: number,
): { day: number; provisional: boolean } {
  let provisional = !ruYearConfirmed(Number(dayString(day).slice(0, 4)));
  let left = count;
  while (left > 0) {
    day++;
    if (!ruYearConfirmed(Number(dayString(day).slice(0, 4)))) provisional = true;
    if (isRuWorkingDay(day)) left--;
  }
  return { day, provisional };
}
