import { answerDeadline, extendedDeadline } from './privacy-deadlines';
import { dayNumber, isRuWorkingDay, RU_CALENDAR } from './ru-working-days';

const weekday = (iso: string) => new Date(`${iso}T00:00:00Z`).getUTCDay();

describe('the Russian calendar table', () => {
  it.each(Object.entries(RU_CALENDAR))(
    '%s lists weekdays off and weekend working days only',
    (year, entry) => {
      for (const day of entry.daysOff) {
        expect(day.startsWith(`${year}-`)).toBe(true);
        expect([0, 6]).not.toContain(weekday(day));
      }
      for (const day of entry.workingWeekends) expect([0, 6]).toContain(weekday(day));
    },
  );

  it('has the 2026 decree days off (1-9 January, 23 February, 9 March, 1 and 11 May, 12 June, 4 November, 31 December)', () => {
    const off = [
      '2026-01-02',
      '2026-01-09',
      '2026-02-23',
      '2026-03-09',
      '2026-05-01',
      '2026-05-11',
      '2026-06-12',
      '2026-11-04',
      '2026-12-31',
    ];
    for (const day of off) expect(isRuWorkingDay(dayNumber(day))).toBe(false);
    expect(isRuWorkingDay(dayNumber('2026-01-12'))).toBe(true);
    // Saturday 1 November 2025 was a working day (Decree No. 1335).
    expect(isRuWorkingDay(dayNumber('2025-11-01'))).toBe(true);
  });
});

describe('deadlines', () => {
  it('ru: 10 working days from the day after receipt, Moscow time, across the New Year holidays', () => {
    // Received Tuesday 29 December 2026, 10:00 Moscow: 30 Dec is day 1; 31 Dec - 10 Jan are off
    // (2027 provisional: 1, 4-8 January off); 11 Jan onwards are days 2-10 → 21 January 2027.
    const due = answerDeadline('ru', new Date('2026-12-29T07:00:00Z'));
    expect(due).toEqual({
      dueAt: '2027-01-21T20:59:59.999Z',
      dueDay: '2027-01-21',
      provisional: true,
    });
  });

  it('ru: across 1 May and 11 May 2026, and the extension by 5 working days', () => {
    // Received Thursday 30 April 2026: working days 4-8 May (5), 12-15 May (4), 18 May (10th).
    expect(answerDeadline('ru', new Date('2026-04-30T09:00:00Z')).dueDay).toBe('2026-05-18');
    expect(extendedDeadline('ru', new Date('2026-04-30T09:00:00Z')).dueDay).toBe('2026-05-25');
  });

  it('ru: a request received late in the evening Moscow time counts from the Moscow day', () => {
    // 22:30 UTC on 10 June is 01:30 on 11 June in Moscow.
    expect(answerDeadline('ru', new Date('2026-06-10T22:30:00Z')).dueDay).toBe('2026-06-26');
  });

  it('eu: one month, clamped to the end of a shorter month; extended by two more', () => {
    expect(answerDeadline('eu', new Date('2026-01-31T12:00:00Z'))).toEqual({
      dueAt: '2026-02-28T23:59:59.999Z',
      dueDay: '2026-02-28',
      provisional: false,
    });
    expect(extendedDeadline('eu', new Date('2026-01-31T12:00:00Z')).dueDay).toBe('2026-04-30');
  });
});
