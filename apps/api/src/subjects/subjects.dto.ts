import {
  ERASURE_CHANNELS,
  ERASURE_REASONS,
  type ErasureChannel,
  type ErasureReason,
} from '@custodian/domain';
import { SOURCE_SLUG } from '@custodian/policy';
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
import { ClosedFormat } from '../shared/closed-format';
import { OperationalText } from '../shared/operational-text';

/**
 * Asks for a separate record although another customer holds the same email or phone: that
 * customer's id (as the 409 named it) and why. The reason is kept in the event, in clear.
 */
export class DuplicateOfDto {
  @IsUUID('all', { message: 'subjectId must be the UUID of the customer the 409 named' })
  subjectId!: string;
  @OperationalText(500, 10) reason!: string;
}

export class RegisterSubjectDto {
  /** Checked field by field against the catalogue (its keys are not fixed). */
  @IsDefined() @IsObject() profile!: Record<string, unknown>;
  @ClosedFormat(
    '1-64 lowercase letters, digits, ".", "_" or "-", with no phone number in it',
    SOURCE_SLUG,
  )
  source!: string;
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DuplicateOfDto)
  duplicateOf?: DuplicateOfDto;
}

export class UpdateProfileDto {
  @IsDefined() @IsObject() profile!: Record<string, unknown>;
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DuplicateOfDto)
  duplicateOf?: DuplicateOfDto;
}

export class ErasureRequestDto {
  @IsIn(ERASURE_REASONS.filter((r) => r !== 'retention')) reason!: Exclude<
    ErasureReason,
    'retention'
  >;
  @IsIn(ERASURE_CHANNELS.filter((c) => c !== 'system')) requestedVia!: Exclude<
    ErasureChannel,
    'system'
  >;
}

export class ApproveErasureDto {
  @IsOptional() @OperationalText(1000) note?: string;
}

export class DeclareFieldDto {
  @Matches(/^[a-z][A-Za-z0-9]{1,39}$/, {
    message: 'name must be 2-40 letters or digits in camelCase',
  })
  name!: string;
  @IsIn(['contact', 'identity', 'financial', 'special', 'behavioural', 'location', 'technical'])
  category!:
    'contact' | 'identity' | 'financial' | 'special' | 'behavioural' | 'location' | 'technical';
  @Matches(/^.{1,500}$/s, { message: 'description must be 1-500 characters' })
  description!: string;
}
