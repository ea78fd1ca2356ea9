import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import { memoiseValidationMetadata } from './validation-metadata-memo';

/** Every field at fault, by its path in the body (`evidence.channel`, `subjectIds.3`). */
export function fieldProblems(
  errors: ValidationError[],
  parent = '',
): Array<{ field: string; problem: string }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      // class-validator starts each message with the property name; the field says it already.
      problem:
        rule === 'whitelistValidation'
          ? 'is not a field of this request'
          : message.startsWith(`${error.property} `)
            ? message.slice(error.property.length + 1)
            : message,
    }));
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}

/**
 * Request bodies and queries are validated against their DTOs; unknown fields are refused
 * rather than silently dropped, and every problem is reported with its field.
 */
export function createValidationPipe(): ValidationPipe {
  // Each DTO's rules looked up once, not on every request (validation-metadata-memo.ts).
  memoiseValidationMetadata();
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = fieldProblems(errors);
      return new BadRequestException({
        message: `invalid request: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`,
        details,
      });
    },
  });
}
