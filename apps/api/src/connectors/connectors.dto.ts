import {
  CONNECTOR_KINDS,
  CONNECTOR_ROLES,
  WEBHOOK_EVENT_TYPES,
  type ConnectorKind,
  type ConnectorRole,
  type WebhookEventType,
} from '@custodian/domain';
import { PURPOSE_ID_PATTERN } from '@custodian/platform';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { OperationalText } from '../shared/operational-text';

export const CONNECTOR_ID_PATTERN = PURPOSE_ID_PATTERN;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export class ConnectorWebhookDto {
  /** The one destination deliveries go to; checked against the destination rules. */
  @IsString() @MaxLength(2048) url!: string;
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events!: WebhookEventType[];
}

/** What an AI connector does with the text it receives: analysis, training, or both. */
export class ConnectorAiDto {
  @IsBoolean() analysis!: boolean;
  @IsBoolean() training!: boolean;
}

export class RegisterConnectorDto {
  @Matches(CONNECTOR_ID_PATTERN, {
    message: 'connectorId must be 2-64 lowercase letters, digits or "-"',
  })
  connectorId!: string;
  @OperationalText(200) name!: string;
  @IsIn(CONNECTOR_KINDS) kind!: ConnectorKind;
  /** The team or staff id who answers for the connector. */
  @OperationalText(200) owner!: string;
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @Matches(PURPOSE_ID_PATTERN, { each: true, message: 'each of purposes must be a purpose id' })
  purposes!: string[];
  @IsArray()
  @ArrayMaxSize(200)
  @ArrayUnique()
  @Matches(FIELD_NAME, { each: true, message: 'each of fields must be a field name' })
  fields!: string[];
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as DE' })
  country!: string;
  @IsIn(CONNECTOR_ROLES) role!: ConnectorRole;
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorWebhookDto)
  webhook?: ConnectorWebhookDto;
  /** AI use of what it receives (issue 17); redaction checks it against the purpose. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorAiDto)
  ai?: ConnectorAiDto;
}

export class ConnectorReasonDto {
  @OperationalText(500, 10) reason!: string;
}

/** One event again (`eventId`), or every event of a range of the connector's outbox. */
export class RedeliveryDto {
  @IsOptional()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: 'eventId must be a UUID',
  })
  eventId?: string;
  /** A feed cursor (or the `position` of a delivery): from this one, inclusive. */
  @IsOptional()
  @IsString()
  @Matches(/^\d{20}(\/\d{20})?$/, {
    message: 'fromPosition must be a position from a delivery or the feed',
  })
  fromPosition?: string;
  @IsOptional()
  @IsString()
  @Matches(/^\d{20}(\/\d{20})?$/, {
    message: 'toPosition must be a position from a delivery or the feed',
  })
  toPosition?: string;
}

export class PageQueryDto {
  @IsOptional() @IsInt() @Min(1) limit?: number;
}
