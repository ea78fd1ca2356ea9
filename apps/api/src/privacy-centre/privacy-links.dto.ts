import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  CENTRE_JURISDICTIONS,
  CENTRE_LANGUAGES,
  LINK_TTL_MINUTES,
  type CentreJurisdiction,
  type CentreLanguage,
} from './centre-tokens';

/** A signed link to a customer's privacy centre. */
export class IssuePrivacyLinkDto {
  /** The pages' language (default: the browser's, from Accept-Language). */
  @IsOptional() @IsIn(CENTRE_LANGUAGES) language?: CentreLanguage;
  /** Whose law sets the deadline of a request opened from the centre (default `ru`, 152-FZ). */
  @IsOptional() @IsIn(CENTRE_JURISDICTIONS) jurisdiction?: CentreJurisdiction;
  /** How long the link stays valid, in minutes (default one day, at most seven). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(LINK_TTL_MINUTES.min)
  @Max(LINK_TTL_MINUTES.max)
  validForMinutes?: number;
}
