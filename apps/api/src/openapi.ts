import { PUBLIC_ROUTE, REQUIRED_PERMISSION } from '@custodian/platform';
import { PERMISSIONS, type Permission } from '@custodian/policy';
import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: unknown;
};
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

// swagger-ui-dist ships no types: its one function, the directory of the UI's files.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getAbsoluteFSPath } = require('swagger-ui-dist') as { getAbsoluteFSPath(): string };

type Schema = Record<string, unknown>;

/** The error body every route shares (`HttpErrorFilter`). */
const ERROR_SCHEMA = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', example: 'Bad Request' },
    message: { type: 'string', example: 'invalid request: evidence.channel must be one of …' },
    details: {
      type: 'array',
      description: 'Each field at fault (bad input is a 400 and writes nothing)',
      items: {
        type: 'object',
        required: ['field', 'problem'],
        properties: {
          field: { type: 'string', example: 'evidence.channel' },
          problem: { type: 'string', example: 'must be one of the following values: web, …' },
        },
      },
    },
  },
} as const;

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * Builds the OpenAPI 3 document from what the app registered, so a new route or DTO is
 * documented without a list to keep: paths from the controllers (@nestjs/swagger), request
 * body schemas from the DTOs' class-validator rules (enums, patterns, nesting), the permission
 * each route needs from its @RequirePermission, and the shared error shape.
 */
export function buildApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Custodian API')
    .setDescription(
      'Consent ledger, audited reads of personal data, exports and oversight. Every /v1 route ' +
        'needs `Authorization: Bearer <API key or JWT>`; `x-permission` names the permission ' +
        "the caller's role needs (libs/policy/src/permissions.ts). Errors are " +
        '`{ statusCode, error, message, details?: [{ field, problem }] }`.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);

  // Body schemas from class-validator metadata (the DTOs carry no @ApiProperty).
  const schemas = validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    classTransformerMetadataStorage: defaultMetadataStorage as never,
  }) as Record<string, Schema>;
  for (const schema of Object.values(schemas)) toOpenApi30(schema);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...schemas, Error: ERROR_SCHEMA as Schema },
  };

  const access = routeAccess(app);
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const rule = access.get(operation.operationId ?? '');
      const body = operation.requestBody as
        { content?: Record<string, { schema?: Schema; example?: unknown }> } | undefined;
      const json = body?.content?.['application/json'];
      if (json?.schema) json.example = exampleOf(json.schema, document);
      operation.responses = {
        ...operation.responses,
        '400': errorResponse('Bad input: each field at fault in `details`; nothing is written'),
      };
      if (!rule || rule.public) {
        operation.security = [];
        continue;
      }
      const roles = rule.permission ? PERMISSIONS[rule.permission].join(', ') : 'no role';
      (operation as unknown as Record<string, unknown>)['x-permission'] = rule.permission ?? null;
      operation.security = [{ bearer: [] }];
      operation.description = [
        operation.description,
        `Permission: \`${rule.permission ?? 'none (refused to everyone)'}\` (roles: ${roles}).`,
      ]
        .filter(Boolean)
        .join('\n\n');
      operation.responses['401'] = errorResponse('No valid bearer token');
      operation.responses['403'] = errorResponse(
        "The caller's role lacks the permission, or the actor is suspended",
      );
    }
  }
  return document;
}

/** The Swagger UI files served from swagger-ui-dist (on disk, never a CDN), with their types. */
const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const UI_INIT = `window.onload = () => {
  window.ui = SwaggerUIBundle({
    url: '/docs/json',
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    deepLinking: true,
  });
};`;

const UI_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Custodian API</title>
  <link rel="stylesheet" type="text/css" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/swagger-init.js"></script>
</body>
</html>`;

/**
 * GET /docs/json (the document, built once on first request) via @nestjs/swagger, and the
 * Swagger UI at GET /docs from swagger-ui-dist's files on disk (a fixed list: no path from the
 * request reaches the file system). Public, like /health: it names routes, not data.
 */
export function setUpApiDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildApiDocument(app), {
    ui: false,
    raw: ['json'],
    jsonDocumentUrl: 'docs/json',
  });
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const dir = getAbsoluteFSPath();
  fastify.get('/docs', (_request, reply) => reply.type('text/html; charset=utf-8').send(UI_HTML));
  fastify.get('/docs/assets/swagger-init.js', (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(UI_INIT),
  );
  for (const [file, type] of Object.entries(UI_ASSETS)) {
    const path = join(dir, file);
    fastify.get(`/docs/assets/${file}`, async (_request, reply) =>
      reply
        .type(type)
        .header('cache-control', 'public, max-age=3600')
        .send(await readFile(path)),
    );
  }
}

/** `Controller_method` (the default operationId) → its permission, or public. */
function routeAccess(app: INestApplication) {
  const access = new Map<string, { public: boolean; permission?: Permission }>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[key];
        if (key === 'constructor' || typeof handler !== 'function') continue;
        const isPublic =
          Reflect.getMetadata(PUBLIC_ROUTE, handler) === true ||
          Reflect.getMetadata(PUBLIC_ROUTE, controller) === true;
        const permission = (Reflect.getMetadata(REQUIRED_PERMISSION, handler) ??
          Reflect.getMetadata(REQUIRED_PERMISSION, controller)) as Permission | undefined;
        access.set(`${controller.name}_${key}`, { public: isPublic, permission });
      }
    }
  }
  return access;
}

/**
 * class-validator-jsonschema writes JSON Schema; OpenAPI 3.0 has no `null` type (IsDefined
 * becomes `not: { type: 'null' }`, dropped: `required` says it) and ignores a `$ref`'s siblings.
 */
function toOpenApi30(schema: Schema): void {
  const not = schema.not as Schema | undefined;
  if (not && not.type === 'null') delete schema.not;
  if (typeof schema.$ref === 'string')
    for (const key of Object.keys(schema)) if (key !== '$ref') delete schema[key];
  for (const value of Object.values(schema)) {
    if (Array.isArray(value))
      value.forEach((v) => typeof v === 'object' && v && toOpenApi30(v as Schema));
    else if (typeof value === 'object' && value !== null) toOpenApi30(value as Schema);
  }
}

/** An example value from a schema: the first enum value, a value of the format, or a placeholder. */
function exampleOf(schema: Schema, document: OpenAPIObject, depth = 0): unknown {
  if (depth > 6) return undefined;
  const ref = schema.$ref as string | undefined;
  if (ref) {
    const target = document.components?.schemas?.[ref.split('/').pop() ?? ''] as Schema;
    return target ? exampleOf(target, document, depth + 1) : undefined;
  }
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const all = (schema.allOf ?? schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (all?.length) return exampleOf(all[0], document, depth + 1);
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(
        Object.entries(properties).map(([name, sub]) => [
          name,
          exampleOf(sub, document, depth + 1),
        ]),
      );
    }
    case 'array':
      return schema.items ? [exampleOf(schema.items as Schema, document, depth + 1)] : [];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    default:
      if (schema.format === 'uuid') return '7d9f6a3e-0b1c-4e5f-8a9b-0c1d2e3f4a5b';
      if (schema.format === 'date-time') return '2026-05-01T10:20:00Z';
      return 'string';
  }
}
