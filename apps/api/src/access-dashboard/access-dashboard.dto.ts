import { IsOptional, Matches } from 'class-validator';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ZONE = /^[A-Za-z0-9_+\-/]{1,64}$/;

/** A range of local days: `from` and `to` inclusive (YYYY-MM-DD), `tz` an IANA zone (default UTC). */
export class DashboardRangeQueryDto {
  /** First local day (default: 29 days before `to`). */
  @IsOptional()
  @Matches(DAY, { message: 'from must be a calendar day, YYYY-MM-DD' })
  from?: string;
  /** Last local day, inclusive (default: today in `tz`). */
  @IsOptional()
  @Matches(DAY, { message: 'to must be a calendar day, YYYY-MM-DD' })
  to?: string;
  /** IANA time zone the days are counted in, e.g. Europe/Moscow (default UTC). */
  @IsOptional()
  @Matches(ZONE, { message: 'tz must be an IANA time zone, e.g. Europe/Moscow or UTC' })
  tz?: string;
}

/** The range, and how many top actors to list (1-100, default 10). */
export class ActorVolumesQueryDto extends DashboardRangeQueryDto {
  @IsOptional()
  @Matches(/^(?:[1-9]\d?|100)$/, { message: 'limit must be an integer from 1 to 100' })
  limit?: string;
}
