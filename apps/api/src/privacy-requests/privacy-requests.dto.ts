import {
  PRIVACY_JURISDICTIONS,
  PRIVACY_REQUEST_CHANNELS,
  PRIVACY_REQUEST_KINDS,
  type PrivacyJurisdiction,
  type PrivacyRequestChannel,
  type PrivacyRequestKind,
} from '@custodian/domain';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { IsoTimestamp } from '../shared/iso-timestamp';
import { OperationalText } from '../shared/operational-text';

/** A data subject's request, as received (by the DPO, or forwarded by the CRM or the privacy centre). */
export class OpenPrivacyRequestDto {
  @IsUUID('all', { message: 'subjectId must be the UUID of a registered customer' })
  subjectId!: string;
  @IsIn(PRIVACY_REQUEST_KINDS) kind!: PrivacyRequestKind;
  /** Whose law sets the deadline: `ru` (152-FZ) or `eu` (GDPR). */
  @IsIn(PRIVACY_JURISDICTIONS) jurisdiction!: PrivacyJurisdiction;
  @IsIn(PRIVACY_REQUEST_CHANNELS) receivedVia!: PrivacyRequestChannel;
  /** When it reached the controller (default: now); the deadline counts from here. */
  @IsOptional()
  @IsoTimestamp()
  receivedAt?: string;
}

/** The reasoned notice an extension or a refusal sends (stored in clear: no personal values). */
export class PrivacyRequestReasonDto {
  @OperationalText(2000, 10) reason!: string;
}

export class VerifyPrivacyRequestDto {}

export class CompletePrivacyRequestDto {
  /** What was done, in a few words (stored in clear: no personal values). */
  @IsOptional() @OperationalText(2000) outcome?: string;
  /** The receipt that shows it: for an erasure, the erasure receipt's `eventId`. */
  @IsOptional()
  @IsUUID('all', { message: 'receiptId must be a receipt id (a UUID)' })
  receiptId?: string;
}
