// The reference for bench/upload: bare Fastify with @fastify/multipart, reading
// the uploaded file into memory and answering 202, as fast as Fastify goes.
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';

const app = Fastify();
await app.register(multipart, { limits: { fileSize: 20 * 1024 * 1024, files: 1 } });
app.get('/health', async () => ({ status: 'ok' }));
app.post('/jobs', async (request, reply) => {
  const file = await request.file();
  const data = await file.toBuffer();
  reply.code(202);
  return { id: randomUUID(), bytes: data.length };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
