import {
  CONSENT_CHANNELS,
  CONSENT_METHODS,
  type ConsentChannel,
  type ConsentMethod,
} from '@custodian/domain';
import { PURPOSE_ID_PATTERN } from '@custodian/platform';
import { COLLECTION_POINT_SLUG, COLLECTION_POINT_URI } from '@custodian/policy';
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
import { IsoTimestamp } from '../shared/iso-timestamp';

/**
 * The evidence of a decision. A grant needs all of it but the proof; a revocation only the
 * channel (withdrawing is as easy as giving, GDPR art. 7(3)): what else it carries is recorded.
 */
export class ConsentEvidenceDto {
  @IsIn(CONSENT_CHANNELS) channel!: ConsentChannel;
  /** Where the consent was collected: a slug or a plain https URL (kept in clear in the log). */
  @IsOptional()
  @ClosedFormat(
    'a slug of 1-100 lowercase letters, digits, ".", "_", "-" or "/" (such as signup-form-v3), or an https:// URL with no userinfo, query, fragment or percent-encoding, with no email address or phone number in it',
    COLLECTION_POINT_SLUG,
    COLLECTION_POINT_URI,
  )
  collectionPoint?: string;
  @IsOptional() @IsIn(CONSENT_METHODS) method?: ConsentMethod;
  @IsOptional()
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, {
    message: 'language must be a BCP 47 tag such as en or ru-RU',
  })
  language?: string;
  @IsOptional()
  @Matches(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, {
    message: 'jurisdiction must be an ISO 3166 code such as RU, DE or US-CA',
  })
  jurisdiction?: string;
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'proofSha256 must be 64 lowercase hex digits' })
  proofSha256?: string;
}

/** A proof document's digest to compare with what a consent recorded. */
export class ProofCheckDto {
  @IsUUID()
  receiptId!: string;
  @Matches(/^[0-9a-f]{64}$/, { message: 'proofSha256 must be 64 lowercase hex digits' })
  proofSha256!: string;
}

export class RecordConsentDto {
  @Matches(PURPOSE_ID_PATTERN, {
    message: 'purposeId must be 2-64 lowercase letters, digits or "-"',
  })
  purposeId!: string;
  @IsIn(['grant', 'revoke']) action!: 'grant' | 'revoke';
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, {
    message: 'noticeVersion must be a published notice version',
  })
  noticeVersion?: string;
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ConsentEvidenceDto)
  evidence!: ConsentEvidenceDto;
  @IsOptional()
  @IsoTimestamp()
  expiresAt?: string;
}
