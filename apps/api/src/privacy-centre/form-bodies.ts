import { BodyRefusedError } from '@custodian/platform';
import type { FastifyInstance } from 'fastify';

/** The largest form the centre accepts (its forms hold a few short fields). */
export const FORM_BODY_LIMIT = 8 * 1024;

/**
 * HTML form posts (`application/x-www-form-urlencoded`), for the privacy centre's and the
 * compliance console's pages only:
 * parsed into an object without a prototype (no inherited names), the first value of each
 * field kept. Any other route refuses the type (415), as it did before.
 */
export function acceptCentreForms(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (request, body, done) => {
      if (!request.url.startsWith('/privacy/') && !request.url.startsWith('/console/')) {
        done(
          new BodyRefusedError(415, 'must be JSON (application/json)', 'content-type'),
          undefined,
        );
        return;
      }
      const fields = Object.create(null) as Record<string, string>;
      for (const [name, value] of new URLSearchParams(body as string))
        if (!(name in fields)) fields[name] = value;
      done(null, fields);
    },
  );
}
