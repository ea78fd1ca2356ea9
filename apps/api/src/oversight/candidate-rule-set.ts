import { invalid } from '@custodian/domain';
import { isTimeZone, WINDOWS, type AnomalyRuleSet } from '@custodian/policy';
import type { AnomalyRulesDto } from './oversight.dto';

/** A whole rule set as sent, checked (time zone, hours, unique rule ids, windows) and in a fixed shape. */
export function candidateRuleSet(dto: AnomalyRulesDto): Omit<AnomalyRuleSet, 'version'> {
  if (!isTimeZone(dto.workingHours.timeZone))
    throw invalid('workingHours.timeZone', 'must be an IANA time zone such as Europe/Moscow');
  if (dto.workingHours.start >= dto.workingHours.end)
    throw invalid('workingHours.end', 'must be after start');
  const ids = new Set<string>();
  dto.rules.forEach((rule, i) => {
    if (ids.has(rule.ruleId)) throw invalid(`rules.${i}.ruleId`, 'is used by another rule');
    ids.add(rule.ruleId);
    if (!(rule.window in WINDOWS)) throw invalid(`rules.${i}.window`, 'is not a window');
  });
  return {
    rules: dto.rules.map((r) => ({
      ruleId: r.ruleId,
      description: r.description,
      measure: r.measure,
      window: r.window,
      threshold: r.threshold,
      action: r.action,
      roles: r.roles ?? [],
    })),
    workingHours: {
      timeZone: dto.workingHours.timeZone,
      days: [...dto.workingHours.days].sort(),
      start: dto.workingHours.start,
      end: dto.workingHours.end,
    },
  };
}
