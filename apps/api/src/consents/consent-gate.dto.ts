import { PURPOSE_ID_PATTERN } from '@custodian/platform';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, Matches } from 'class-validator';

export const MAX_GATE_IDS = 10_000;

export class ConsentGateDto {
  @Matches(PURPOSE_ID_PATTERN, {
    message: 'purposeId must be 2-64 lowercase letters, digits or "-"',
  })
  purposeId!: string;
  /** Checked one by one in the service (a fast regex beats 10,000 decorator runs). */
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(MAX_GATE_IDS) subjectIds!: unknown[];
}
