import {
  DATA_CATEGORIES,
  LEGAL_BASES,
  type DataCategory,
  type LegalBasis,
} from '@custodian/domain';
import { PURPOSE_ID_PATTERN } from '@custodian/platform';
import { ROLES, type Role } from '@custodian/policy';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

export class PurposeFlagsDto {
  @IsBoolean() marketing!: boolean;
  @IsBoolean() profiling!: boolean;
  @IsBoolean() saleOrShare!: boolean;
  @IsBoolean() aiProcessing!: boolean;
  /** Customers' data trains or fine-tunes AI models (needs aiProcessing); absent: false. */
  @IsOptional() @IsBoolean() aiTraining?: boolean;
}

/** The privacy-by-design check: short answers, all required. */
export class PurposeAssessmentDto {
  @IsString() @IsNotEmpty() @MaxLength(2000) necessity!: string;
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  minimumFields!: string[];
  @IsString() @IsNotEmpty() @MaxLength(2000) retentionJustification!: string;
  @IsString() @IsNotEmpty() @MaxLength(2000) access!: string;
  @IsString() @IsNotEmpty() @MaxLength(2000) thirdParties!: string;
  @IsString() @IsNotEmpty() @MaxLength(2000) withdrawal!: string;
  @IsString() @IsNotEmpty() @MaxLength(2000) mainRisk!: string;
}

/** Fields kept under their own key for a period after the basis ends (see README, "Legal holds"). */
export class LegalHoldDto {
  @Matches(ISO_DURATION, {
    message: 'holdAfterBasisEnds must be an ISO-8601 duration such as P5Y',
  })
  holdAfterBasisEnds!: string;
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  fields!: string[];
}

export class RegisterPurposeDto {
  @Matches(PURPOSE_ID_PATTERN, {
    message: 'purposeId must be 2-64 lowercase letters, digits or "-"',
  })
  purposeId!: string;
  @IsString() @IsNotEmpty() @MaxLength(200) title!: string;
  @IsString() @IsNotEmpty() @MaxLength(4000) description!: string;
  @IsIn(LEGAL_BASES) legalBasis!: LegalBasis;
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(DATA_CATEGORIES, { each: true })
  dataCategories!: DataCategory[];
  @Matches(ISO_DURATION, { message: 'retention must be an ISO-8601 duration such as P2Y or P6M' })
  retention!: string;
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  recipients!: string[];
  @IsArray() @ArrayNotEmpty() @IsIn(ROLES, { each: true }) allowedRoles!: Role[];
  @IsDefined() @IsObject() @ValidateNested() @Type(() => PurposeFlagsDto) flags!: PurposeFlagsDto;
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => PurposeAssessmentDto)
  assessment!: PurposeAssessmentDto;
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LegalHoldDto)
  legalHold?: LegalHoldDto;
}

export class PublishNoticeDto {
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, {
    message: 'version must be 1-32 letters, digits, ".", "_" or "-"',
  })
  version!: string;
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, {
    message: 'language must be a BCP 47 tag such as en or ru-RU',
  })
  language!: string;
  @Matches(/^https?:\/\/[^\s]{1,2040}$/, { message: 'url must be an http(s) URL' })
  url!: string;
  @Matches(/^[0-9a-f]{64}$/, { message: 'textSha256 must be 64 lowercase hex digits' })
  textSha256!: string;
  @IsBoolean() requiresReconsent!: boolean;
}
