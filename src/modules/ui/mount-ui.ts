import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../../config/config.js';
import { DEFAULT_OUTPUTS, OUTPUTS } from '../../outputs/outputs.js';

/** The page's own files (copied next to the compiled module by `npm run build`). */
const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url));
/** eventsource-parser's browser-ready ES modules: the UI reads job events with fetch, which, unlike EventSource, can send the token. */
const EVENTSOURCE_PARSER = dirname(createRequire(import.meta.url).resolve('eventsource-parser'));

/**
 * The UI's policy, stricter than helmet's default for the API: its own
 * scripts and styles only (no inline ones, no other origin, so no CDN and no
 * web font), page images from blob: URLs (fetched with the token), DOM writes
 * only through the DOM (Trusted Types: document text never becomes markup).
 * No `upgrade-insecure-requests`: a self-hosted service is often reached over
 * plain http on a LAN, where upgrading would break every file of the page.
 */
const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/**
 * Serves the browser UI (`ENABLE_UI`): the page on `GET /`, its files under
 * `/ui/`, and `/ui/settings.json`, what the page needs to know of this
 * deployment. All without a token, like `/docs`: the page asks for one and
 * sends it with its API calls. One route per file (no wildcard), so every
 * other path stays the API's 404.
 */
export async function mountUi(app: NestFastifyApplication, config: Readonly<AppConfig>): Promise<void> {
  const settings = {
    devTokens: config.devTokens,
    outputs: OUTPUTS,
    defaultOutputs: DEFAULT_OUTPUTS,
    maxUploadBytes: config.limits.maxUploadBytes,
  };
  await app.getHttpAdapter().getInstance().register(async (scope) => {
    // After the root's helmet hook: the same headers, this policy in place of its CSP.
    scope.addHook('onRequest', (_request, reply, done) => {
      reply.raw.setHeader('Content-Security-Policy', UI_CSP);
      done();
    });
    await scope.register(fastifyStatic, { root: PUBLIC, prefix: '/ui/', wildcard: false, index: false });
    await scope.register(fastifyStatic, {
      root: EVENTSOURCE_PARSER,
      prefix: '/ui/vendor/eventsource-parser/',
      wildcard: false,
      decorateReply: false,
      globIgnore: ['**/*.d.ts', '**/*.map'],
    });
    scope.get('/', (_request, reply) => reply.sendFile('index.html'));
    scope.get('/ui/settings.json', () => settings);
  });
}
