// Sums a V8 CPU profile's self time by component (Prisma, pg, BullMQ, sharp, ...),
// so two runs on a noisy machine can be compared by where the time went rather
// than by requests per second. Prints the top functions too.
//
//   BENCH_CPU_PROF=/tmp/prof node bench/upload/run.mjs
//   node bench/upload/profile.mjs /tmp/prof/<file>.cpuprofile [top=25] [from-s] [to-s]
// from-s and to-s keep only the samples in that window of the process's life
// (run.mjs prints the window of the POST /jobs load), leaving start-up out.
import { readFileSync } from 'node:fs';

/** First match wins: a function belongs to the component whose pattern its script URL matches. */
const COMPONENTS = [
  ['Prisma', /@prisma|generated\/prisma|\/prisma\//],
  ['pg', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-)/],
  ['BullMQ', /node_modules\/bullmq/],
  ['ioredis', /node_modules\/(ioredis|@ioredis|redis-parser|cluster-key-slot|denque)/],
  ['rate limiters', /node_modules\/(rate-limiter-flexible|@fastify\/rate-limit)/],
  ['sharp', /node_modules\/(sharp|@img)/],
  ['multipart/busboy', /node_modules\/(@fastify\/multipart|@fastify\/busboy|busboy|@fastify\/deepmerge)/],
  ['auth (passport, jsonwebtoken)', /node_modules\/(passport|passport-jwt|jsonwebtoken|jws|jwa|jose)/],
  ['logging (pino)', /node_modules\/(pino|nestjs-pino|pino-http|sonic-boom|fast-redact|thread-stream)/],
  ['Nest', /node_modules\/@nestjs/],
  ['Fastify', /node_modules\/(fastify|@fastify|find-my-way|light-my-request|avvio|fast-json-stringify|secure-json-parse|@fastify\/helmet|helmet)/],
  ['zod', /node_modules\/zod/],
  ['rxjs', /node_modules\/rxjs/],
  ['other dependencies', /node_modules\//],
  ['ocrflow', /\/dist[^/]*\//],  // dist/, or a copy of it kept for A/B runs (bench/results/dist-before)
];

const [path, topArg, fromArg, toArg] = process.argv.slice(2);
if (!path) {
  console.error('usage: node bench/upload/profile.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(path, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map(profile.nodes.map((node) => [node.id, 0]));
// Each sample is one interval spent in the node it names; sample times are µs since the profile began.
const [from, to] = [Number(fromArg ?? 0) * 1e6, Number(toArg ?? Infinity) * 1e6];
let at = 0;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  if (at >= from && at <= to) self.set(id, self.get(id) + (profile.timeDeltas[i] ?? 0));
});

const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

const NODE = /^node:|^internal\//;

/**
 * Native frames and Node's own code count for the nearest caller outside Node
 * (a socket write made for pg is pg's cost); what Node does on its own (timers,
 * the HTTP parser's callbacks) stays "Node internals".
 */
function componentOf(node) {
  const name = node.callFrame.functionName;
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'V8/native (program)';
  let inNode = false;
  for (let current = node; current; current = byId.get(parents.get(current.id))) {
    const url = current.callFrame.url;
    if (!url) continue;
    if (NODE.test(url)) inNode = true;
    else return COMPONENTS.find(([, pattern]) => pattern.test(url))?.[0] ?? 'other';
  }
  return inNode ? 'Node internals' : 'V8/native (program)';
}

const totals = new Map();
const functions = new Map();
let all = 0;
let busy = 0;
for (const node of profile.nodes) {
  const us = self.get(node.id);
  if (us === 0) continue;
  const component = componentOf(node);
  totals.set(component, (totals.get(component) ?? 0) + us);
  all += us;
  if (component !== 'idle') busy += us;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
}

const pct = (us, of) => `${((100 * us) / of).toFixed(1).padStart(5)} %`;
console.log(`${(all / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy; share of busy time (idle: share of all):`);
for (const [component, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${component.padEnd(32)} ${component === 'idle' ? pct(us, all) : pct(us, busy)}  ${(us / 1e3).toFixed(0).padStart(7)} ms`);
}
console.log(`top self-time functions (share of busy time):`);
for (const [key, us] of [...functions].filter(([key]) => !key.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25))) {
  console.log(`  ${pct(us, busy)}  ${key}`);
}
