// What a hostile client tries at the HTTP edge: a path parameter too long, a
// NUL in a password, odd `$schema` values and a deeply nested custom schema,
// an event stream resumed after a finished job's last event, and a flood of
// /health calls. Prints each answer's status and code.
import sharp from 'sharp';

export default async function ({ base, client }) {
  const H = client.headers;
  const answer = async (name, res) => {
    const text = await res.text();
    let code;
    try {
      code = JSON.parse(text).code;
    } catch {}
    console.log(JSON.stringify({ probe: name, status: res.status, code, body: code ? undefined : text.slice(0, 120) }));
  };
  await answer('path parameter of 300 characters', await fetch(`${base}/jobs/${'a'.repeat(300)}`, { headers: H }));

  const png = await sharp({ create: { width: 400, height: 100, channels: 3, background: '#fff' } }).png().toBuffer();
  const form = new FormData();
  form.append('password', 'a\u0000b');
  form.append('file', new Blob([png]), 'a.png');
  await answer('NUL in the password field', await fetch(`${base}/jobs`, { method: 'POST', body: form, headers: H }));

  const id = await client.submit(png, 'a.png');
  await client.finished(id);
  const extract = (body) => fetch(`${base}/jobs/${id}/extract`, { method: 'POST', headers: { ...H, 'content-type': 'application/json' }, body });
  for (const $schema of ['http://example.com/x', 'https://json-schema.org/draft/2019-09/schema', 42]) {
    await answer(`$schema ${JSON.stringify($schema)}`, await extract(JSON.stringify({ schema: { $schema, type: 'object', properties: { total: { type: 'string' } } } })));
  }
  const deep = '{"type":"object","properties":{"a":'.repeat(5000) + '{"type":"string"}' + '}}'.repeat(5000);
  await answer('schema nested 5,000 levels', await extract(`{"schema":${deep}}`));

  const started = Date.now();
  const stream = await fetch(`${base}/jobs/${id}/events`, { headers: { ...H, 'last-event-id': '999' }, signal: AbortSignal.timeout(8_000) });
  const ended = await stream.text().then(() => true, () => false);
  console.log(JSON.stringify({ probe: 'events after the last one, finished job', ended, ms: Date.now() - started }));

  const flood = performance.now();
  const statuses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${base}/health`).then((r) => r.status)));
  console.log(JSON.stringify({ probe: '200 concurrent /health', ok: statuses.filter((s) => s === 200).length, ms: Math.round(performance.now() - flood) }));
}
