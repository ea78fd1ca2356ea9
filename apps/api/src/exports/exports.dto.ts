import { PURPOSE_ID_PATTERN } from '@custodian/platform';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  Matches,
} from 'class-validator';
import { DESTINATION_SLUG, DESTINATION_URI } from '@custodian/policy';
import { ClosedFormat } from '../shared/closed-format';
import { OperationalText } from '../shared/operational-text';

export const FIELD_NAME = /^[a-z][A-Za-z0-9]{0,39}$/;

export class RequestExportDto {
  @Matches(PURPOSE_ID_PATTERN, {
    message: 'purposeId must be 2-64 lowercase letters, digits or "-"',
  })
  purposeId!: string;
  /** Why the data must leave the system; kept in the audit log. */
  @OperationalText(1000, 10) justification!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(FIELD_NAME, { each: true, message: 'each field must be a field name' })
  fields!: string[];
  /** `{ source?, registeredAfter?, registeredBefore?, fields?: { <field>: { present: boolean } } }` */
  @IsOptional() @IsObject() filter?: Record<string, unknown>;
  /** `real` (default) or `sandbox`: the same shape and formats with synthetic values. */
  @IsOptional() @IsIn(['real', 'sandbox']) mode?: 'real' | 'sandbox';
  /**
   * Where the file is going (recorded in the audit log in clear): `download` (default), the
   * name of a destination (`crm-sandbox`), or an `https://` or `sftp://` URI with no userinfo,
   * query, fragment or percent-encoding, so no person's address (mailto:, tel:, user@host,
   * %40) lands in the log.
   */
  @IsOptional()
  @ClosedFormat(
    '"download", a destination name of 1-64 lowercase letters, digits, ".", "_" or "-" (such as crm-sandbox), or an https:// or sftp:// URI with no userinfo, query, fragment or percent-encoding (such as sftp://partner.example/inbox)',
    DESTINATION_SLUG,
    DESTINATION_URI,
  )
  destination?: string;
}

export class ApproveExportDto {
  @IsOptional() @OperationalText(1000) note?: string;
}

export class RejectExportDto {
  @OperationalText(1000, 10) reason!: string;
}
