import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiResponse, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { schemaComponents } from './openapi.schemas.js';

/** A `$ref` to one of the components in `openapi.schemas.ts`. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The problem+json answers a route documents besides its success. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(...statuses.map((status) => problem(status, 'Problem details (RFC 9457)')));
}

const problem = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'application/problem+json': { schema: ref('Problem') } } });

/** A route behind the bearer token: the scope it needs, and 401/403/429. */
export function ApiScoped(scope: string) {
  return applyDecorators(
    ApiBearerAuth(),
    ApiProduces('application/json'),
    ApiProblems(401, 429),
    problem(403, `FORBIDDEN: the token lacks the \`${scope}\` scope (or \`admin\`)`),
  );
}

/**
 * Serves the OpenAPI document on `/docs/json` and Swagger UI on `/docs`. Both
 * are Fastify routes of their own, outside Nest's guards, so they need no token.
 */
export function mountOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('ocrflow')
    .setDescription('Document OCR jobs. Scopes: jobs:read (GET routes), jobs:write (uploads), admin (everything).')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...schemaComponents() } };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
}
