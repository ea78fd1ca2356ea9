import {
  ERASURE_CHANNELS,
  ERASURE_REASONS,
  type ErasureChannel,
  type ErasureReason,
} from '@custodian/domain';
import { SOURCE_SLUG } from '@custodian/policy';
import { IsDefined, IsIn, IsObject, IsOptional, Matches } from 'class-validator';
import { ClosedFormat } from '../shared/closed-format';
import { OperationalText } from '../shared/operational-text';

export class RegisterSubjectDto {
  /** Checked field by field against the catalogue (its keys are not fixed). */
  @IsDefined() @IsObject() profile!: Record<string, unknown>;
  @ClosedFormat(
    '1-64 lowercase letters, digits, ".", "_" or "-", with no phone number in it',
    SOURCE_SLUG,
  )
  source!: string;
}

export class UpdateProfileDto {
  @IsDefined() @IsObject() profile!: Record<string, unknown>;
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
