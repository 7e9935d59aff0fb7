// The reference for bench/upload: bare Fastify with @fastify/multipart reading
// the whole multipart body the way ocrflow's readUpload does (every part, the
// file into memory) and answering 202 with a small JSON body, as fast as
// Fastify goes. No auth, no checks, no storage.
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';

const app = Fastify();
await app.register(multipart, { limits: { fileSize: 20 * 1024 * 1024, files: 1 } });
app.get('/health', async () => ({ status: 'ok' }));
app.post('/jobs', async (request, reply) => {
  let bytes = 0;
  const fields = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') bytes = (await part.toBuffer()).length;
    else fields[part.fieldname] = String(part.value);
  }
  reply.code(202);
  return { id: randomUUID(), bytes, fields };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
