import { ACCESS_VIAS } from '@custodian/domain';
import { ACTOR_ID_PATTERN, PURPOSE_ID_PATTERN } from '@custodian/platform';
import { ROLES } from '@custodian/policy';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsObject,
  IsOptional,
  IsUUID,
  Matches,
  ValidateNested,
} from 'class-validator';
import { IsoTimestamp } from '../shared/iso-timestamp';
import { OperationalText } from '../shared/operational-text';

export const AUDIT_OUTCOMES = ['read', 'refused'] as const;
/** Every `via` a read's event may hold, and `export` for exports. */
export const AUDIT_VIAS = [...ACCESS_VIAS, 'export'] as const;
export const EXPORT_STATUSES = [
  'awaiting_approval',
  'generating',
  'completed',
  'rejected',
  'failed',
] as const;

const LIMIT = /^(?:[1-9]\d{0,2}|1000)$/;
const CURSOR = /^[A-Za-z0-9_-]{1,400}$/;

/** Paging shared by the lists: `limit` 1-1000 (default 100), `cursor` from the previous page. */
class PageQueryDto {
  @IsOptional()
  @Matches(LIMIT, { message: 'limit must be an integer from 1 to 1000' })
  limit?: string;
  @IsOptional()
  @Matches(CURSOR, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
  /** Inclusive. */
  @IsOptional() @IsoTimestamp() from?: string;
  /** Exclusive. */
  @IsOptional() @IsoTimestamp() to?: string;
}

/** The filters of one customer's access log (every filter of the audit list but the customer). */
export class AccessLogQueryDto extends PageQueryDto {
  @IsOptional()
  @Matches(ACTOR_ID_PATTERN, { message: 'actorId must be an actor id (letters, digits, ._:-)' })
  actorId?: string;
  @IsOptional() @IsIn([...ROLES]) role?: string;
  @IsOptional()
  @Matches(PURPOSE_ID_PATTERN, { message: 'purposeId must be a purpose id' })
  purposeId?: string;
  @IsOptional() @IsIn(AUDIT_OUTCOMES) outcome?: (typeof AUDIT_OUTCOMES)[number];
  @IsOptional() @IsIn(AUDIT_VIAS) via?: (typeof AUDIT_VIAS)[number];
  /** Reads and exports that relied on this consent receipt. */
  @IsOptional() @IsUUID() affectedBy?: string;
}

/** `GET /v1/audit/reads`: reads, exports and refusals across customers. */
export class AuditReadsQueryDto extends AccessLogQueryDto {
  @IsOptional() @IsUUID() subjectId?: string;
}

/** `GET /v1/exports`: every export, by request time. */
export class ExportsQueryDto extends PageQueryDto {
  @IsOptional() @IsIn(EXPORT_STATUSES) status?: (typeof EXPORT_STATUSES)[number];
  @IsOptional()
  @Matches(ACTOR_ID_PATTERN, { message: 'requesterId must be an actor id' })
  requesterId?: string;
  @IsOptional()
  @Matches(ACTOR_ID_PATTERN, { message: 'approverId must be an actor id' })
  approverId?: string;
  @IsOptional()
  @Matches(PURPOSE_ID_PATTERN, { message: 'purposeId must be a purpose id' })
  purposeId?: string;
}

export class InvalidateReceiptDto {
  /** Why the receipt is unsound (forged proof, wrong notice…): stored in clear in the log. */
  @OperationalText(2000, 5) reason!: string;
}

/** A candidate role policy: `roles` as `POST /v1/policy/roles` takes it. */
export class CandidatePolicyDto {
  @IsObject() roles!: Record<string, unknown>;
}

export class EvaluateRolePolicyDto {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => CandidatePolicyDto)
  policy!: CandidatePolicyDto;
  @IsoTimestamp() from!: string;
  @IsoTimestamp() to!: string;
}
