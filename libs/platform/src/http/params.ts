import { BadRequestException, Injectable, Param, type PipeTransform } from '@nestjs/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLUG = /^[a-z0-9][a-z0-9-]{1,63}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A route parameter that must be a UUID (subject ids, receipt ids); lowercased. */
@Injectable()
export class UuidParam implements PipeTransform<unknown, string> {
  constructor(private readonly field: string) {}
  transform(value: unknown): string {
    if (!isUuid(value)) throw badParam(this.field, 'must be a UUID');
    return value.toLowerCase();
  }
}

/** A purpose id: 2-64 lowercase letters, digits and "-". */
@Injectable()
export class PurposeIdParam implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !SLUG.test(value)) {
      throw badParam(
        'purposeId',
        'must be 2-64 lowercase letters, digits or "-", starting with a letter or digit',
      );
    }
    return value;
  }
}

export const PURPOSE_ID_PATTERN = SLUG;

export function badParam(field: string, problem: string): BadRequestException {
  return new BadRequestException({
    message: `invalid request: ${field} ${problem}`,
    details: [{ field, problem }],
  });
}

/** The `:subjectId` route parameter, checked to be a UUID. */
export const SubjectIdParam = (): ParameterDecorator =>
  Param('subjectId', new UuidParam('subjectId'));
