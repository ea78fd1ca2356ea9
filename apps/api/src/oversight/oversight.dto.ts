import {
  INCIDENT_RISKS,
  JURISDICTIONS,
  OBLIGATIONS,
  type IncidentRisk,
  type Jurisdiction,
  type Obligation,
} from '@custodian/domain';
import {
  MEASURES,
  ROLES,
  WINDOW_NAMES,
  type Measure,
  type Role,
  type WindowName,
} from '@custodian/policy';
import { ACTOR_ID_PATTERN } from '@custodian/platform';
import { Type } from 'class-transformer';
import {
  IsUUID,
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsoTimestamp } from '../shared/iso-timestamp';
import { OperationalText } from '../shared/operational-text';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class SuspendActorDto {
  @OperationalText(500, 10) reason!: string;
}

export class ReinstateActorDto {
  @OperationalText(500, 10) note!: string;
}

export class AnomalyRuleDto {
  @Matches(/^[a-z][a-z0-9-]{1,63}$/, {
    message: 'ruleId must be 2-64 lowercase letters, digits or "-"',
  })
  ruleId!: string;
  @OperationalText(300) description!: string;
  @IsIn(MEASURES) measure!: Measure;
  @IsIn(WINDOW_NAMES) window!: WindowName;
  @IsInt() @Min(1) @Max(10_000) threshold!: number;
  @IsIn(['alert', 'suspend']) action!: 'alert' | 'suspend';
  @IsOptional() @IsArray() @ArrayUnique() @IsIn(ROLES, { each: true }) roles?: Role[];
}

export class WorkingHoursDto {
  @IsString() @MaxLength(64) timeZone!: string;
  @IsArray()
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(7, { each: true })
  days!: number[];
  @Matches(HH_MM, { message: 'start must be HH:MM' }) start!: string;
  @Matches(HH_MM, { message: 'end must be HH:MM' }) end!: string;
}

export class AnomalyRulesDto {
  @IsDefined()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => AnomalyRuleDto)
  rules!: AnomalyRuleDto[];
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => WorkingHoursDto)
  workingHours!: WorkingHoursDto;
}

/** A candidate rule set, run over past events without side effects. */
export class EvaluateRulesDto extends AnomalyRulesDto {
  @IsOptional()
  @IsoTimestamp()
  from?: string;
  @IsOptional()
  @IsoTimestamp()
  to?: string;
}

export class OpenIncidentDto {
  @OperationalText(200, 5) title!: string;
  @IsOptional() @OperationalText(4000) description?: string;
  /** Open from an anomaly: its actor and window. */
  @IsOptional()
  @Matches(/^[0-9a-f-]{36}$/, { message: 'anomalyId must be an anomaly id' })
  anomalyId?: string;
  /** Or from an invalidated consent receipt: the reads and exports that relied on it. */
  @IsOptional()
  @IsUUID()
  receiptId?: string;
  /** Or by hand: whose access (empty: everyone's) and when. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ACTOR_ID_PATTERN, { each: true, message: 'each actorId must be an actor id' })
  actorIds?: string[];
  @IsOptional()
  @IsoTimestamp()
  from?: string;
  @IsOptional()
  @IsoTimestamp()
  to?: string;
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(JURISDICTIONS, { each: true })
  jurisdictions?: Jurisdiction[];
  /**
   * The risk to the affected customers (default low); high adds their notice (GDPR art. 34)
   * to the obligations.
   */
  @IsOptional()
  @IsIn(INCIDENT_RISKS)
  risk?: IncidentRisk;
  /**
   * When the operator learnt of it (default: now; from an anomaly: the anomaly's detection
   * time, and not given); the legal deadlines count from here.
   */
  @IsOptional()
  @IsoTimestamp()
  detectedAt?: string;
}

export class IncidentNoteDto {
  @OperationalText(4000) text!: string;
}

export class IncidentRiskDto {
  @IsIn(INCIDENT_RISKS) risk!: IncidentRisk;
  /** Why: what the investigation found about the risk to the customers. */
  @OperationalText(2000, 10) rationale!: string;
}

export class IncidentNotificationDto {
  @IsIn(OBLIGATIONS.map((o) => o.obligation)) obligation!: Obligation;
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._/#-]{0,127}$/, {
    message: "reference must be the authority's reference number (letters, digits, ._/#-)",
  })
  reference!: string;
}

/** An obligation the incident closes without, and why it was not needed. */
export class UnmetObligationDto {
  @IsIn(OBLIGATIONS.map((o) => o.obligation)) obligation!: Obligation;
  @OperationalText(1000, 10) reason!: string;
}

export class CloseIncidentDto {
  @OperationalText(4000, 10) remediation!: string;
  /** A reason for every obligation not notified; closing without one is refused (409). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(OBLIGATIONS.length)
  @ValidateNested({ each: true })
  @Type(() => UnmetObligationDto)
  unmet?: UnmetObligationDto[];
}
