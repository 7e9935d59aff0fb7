// Sums the V8 CPU profiles `node --cpu-prof` wrote for one service run (one
// file per thread: the main thread, each document reader, each tesseract.js
// engine) by thread and by component, so the stages' wall times can be told
// apart from the CPU each thread actually used.
//
//   node bench/documents/profile.mjs /tmp/prof/engines-2
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** First match wins: a frame belongs to the component its script URL matches. */
const COMPONENTS = [
  ['Tesseract (wasm)', /^wasm:/],
  ['tesseract.js glue', /tesseract\.js/],
  ['pdf.js', /pdfjs-dist/],
  ['canvas (PNG encode, raster)', /@napi-rs\/canvas/],
  ['sharp', /node_modules\/(sharp|@img)/],
  ['database (Prisma, pg)', /@prisma|generated\/prisma|node_modules\/(pg|pg-protocol|pg-pool)/],
  ['queue (BullMQ, ioredis)', /node_modules\/(bullmq|ioredis|@ioredis)/],
  ['Nest, Fastify, logging', /node_modules\/(@nestjs|fastify|@fastify|pino|nestjs-pino|sonic-boom)/],
  ['other dependencies', /node_modules\//],
  ['ocrflow', /\/dist\//],
  ['Node internals', /^node:|^internal\//],
];

/** Which thread wrote a profile, from the scripts it ran. */
function threadOf(urls) {
  if (urls.some((u) => /dist\/main\.js/.test(u))) return 'main (event loop)';
  if (urls.some((u) => /reader\.worker\.js/.test(u))) return 'document reader';
  if (urls.some((u) => /tesseract/.test(u))) return 'OCR engine (tesseract.js)';
  return 'other thread';
}

/** Self time per component of one profile, in ms; `idle` apart. */
function components(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totals = new Map();
  for (const [id, us] of self) {
    const node = byId.get(id);
    const name = node.callFrame.functionName;
    let component = name === '(idle)' ? 'idle' : name === '(garbage collector)' ? 'GC' : undefined;
    // Native frames count for the nearest caller with a script URL.
    for (let current = node; !component && current; current = byId.get(parents.get(current.id))) {
      const url = current.callFrame.url;
      if (url) component = COMPONENTS.find(([, pattern]) => pattern.test(url))?.[0] ?? 'other';
    }
    component ??= name === '(program)' ? 'V8/native (program)' : 'other';
    totals.set(component, (totals.get(component) ?? 0) + us / 1000);
  }
  return totals;
}

/** Prints, per thread kind, the busy CPU time and where it went. */
export function summarise(dir) {
  const threads = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const kind = threadOf(profile.nodes.map((n) => n.callFrame.url));
    const entry = threads.get(kind) ?? { count: 0, totals: new Map() };
    entry.count += 1;
    for (const [component, ms] of components(profile)) entry.totals.set(component, (entry.totals.get(component) ?? 0) + ms);
    threads.set(kind, entry);
  }
  for (const [kind, { count, totals }] of threads) {
    const busy = [...totals].filter(([c]) => c !== 'idle').reduce((s, [, ms]) => s + ms, 0);
    const top = [...totals]
      .filter(([c]) => c !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([c, ms]) => `${c} ${(ms / 1000).toFixed(2)} s`);
    console.log(`  ${kind} (${count} thread${count > 1 ? 's' : ''}): busy ${(busy / 1000).toFixed(2)} s; ${top.join(', ')}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error('usage: node bench/documents/profile.mjs <folder of .cpuprofile files>');
    process.exit(2);
  }
  summarise(process.argv[2]);
}
