#!/usr/bin/env bash
# Replays Dockerfile and Dockerfile.worker without Docker (this machine has no engine).
# It reads the Dockerfiles themselves, so what it checks is what they say:
#   - both share one build stage, replayed once: its COPY lines (honouring
#     .dockerignore) and RUN lines, except that `npm install` hard-links the
#     checkout's node_modules when they already match the lockfile (the same locked
#     versions the image would install; otherwise, or with IMAGE_SMOKE_INSTALL=1,
#     it runs the Dockerfile's install);
#   - each runtime stage's COPY lines into a directory of its own, its ENV, its CMD;
#   - a migration from the api image's file set (the release step), then the api
#     image in MODE=api and the worker image as its ENV sets it, each answering
#     /health/ready and passing its own HEALTHCHECK command.
# Not replayed: the runtime stages' ARG and RUN lines (apt-get install tini, and
# tesseract-ocr on request; mkdir/chown of /app/data) and the tini ENTRYPOINT; they are printed so nobody thinks otherwise.
set -euo pipefail
source "$(dirname "$0")/lib/bootstrap.sh"
ensure_node

work="$(mktemp -d)"
db="ocrflow_image_smoke_$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/replay.mjs" <<'EOF'
// Reads a Dockerfile and replays one of its stages into a directory.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function instructions(file) {
  const text = readFileSync(file, 'utf8').replace(/\\\r?\n/g, ' ');
  const stages = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, rest] = line.match(/^(\S+)\s*(.*)$/);
    if (op.toUpperCase() === 'FROM') stages.push({ from: rest, name: rest.split(/\s+as\s+/i)[1], steps: [] });
    else stages.at(-1).steps.push({ op: op.toUpperCase(), args: rest.replace(/\s+#.*$/, '').trim() });
  }
  return stages;
}

function dockerignore(ctx) {
  const file = path.join(ctx, '.dockerignore');
  if (!existsSync(file)) return () => false;
  const patterns = readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('.dockerignore: exceptions (!) are not replayed');
  const res = patterns.map((p) => new RegExp(`^${p.replace(/\/+$/, '').split(/(\*\*\/|\*|\?)/).map((part) =>
    part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('')}$`));
  // A path is left out when it or one of its parent directories matches.
  return (rel) => rel.split('/').some((_, i, parts) => res.some((re) => re.test(parts.slice(0, i + 1).join('/'))));
}

const words = (s) => (s.startsWith('[') ? JSON.parse(s) : s.split(/\s+/));

/** The checkout's node_modules hold every locked package at its locked version. */
function depsCurrent(ctx) {
  const hidden = path.join(ctx, 'node_modules/.package-lock.json');
  if (!existsSync(hidden)) return false;
  const want = JSON.parse(readFileSync(path.join(ctx, 'package-lock.json'), 'utf8')).packages;
  const have = JSON.parse(readFileSync(hidden, 'utf8')).packages;
  return Object.entries(want).every(([key, p]) => key === '' || (have[key] ? have[key].version === p.version : p.optional === true));
}

function copy(step, { ctx, dir, workdir, stageDirs, ignored }) {
  const parts = words(step.args);
  const from = parts.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const args = parts.filter((w) => !w.startsWith('--'));
  const dest = args.pop();
  const target = path.join(dir, path.posix.relative(workdir, path.posix.resolve(workdir, dest)));
  for (const src of args) {
    if (from && !stageDirs[from]) throw new Error(`COPY --from=${from}: no such stage`);
    const source = from ? path.join(stageDirs[from].dir, path.posix.relative(stageDirs[from].workdir, src)) : path.join(ctx, src);
    if (!from && ignored(src)) throw new Error(`COPY ${src}: excluded by .dockerignore`);
    if (!existsSync(source)) throw new Error(`COPY ${src}: not found`);
    const isDir = statSync(source).isDirectory();
    // Docker copies a directory's contents into the destination, a file into it or as it.
    const to = isDir || !(dest.endsWith('/') || args.length > 1) ? target : path.join(target, path.basename(src));
    mkdirSync(isDir ? to : path.dirname(to), { recursive: true });
    if (from) execFileSync('cp', ['-al', isDir ? `${source}/.` : source, to]); // hard links: fast, read-only use
    else cpSync(source, to, { recursive: true, filter: (p) => !ignored(path.relative(ctx, p).split(path.sep).join('/')) });
  }
}

// build-stage FILE | build FILE CONTEXT DIR LOG | runtime FILE CONTEXT DIR BUILD_DIR (writes DIR.json)
const [command, dockerfile, ctx, dir, extra] = process.argv.slice(2);
const stages = instructions(dockerfile);
if (command === 'build-stage') {
  // Prints the first stage's text, to compare the two Dockerfiles' build stages.
  console.log(JSON.stringify(stages[0]));
} else if (command === 'build') {
  const ignored = dockerignore(ctx);
  let workdir = '/';
  mkdirSync(dir, { recursive: true });
  for (const step of stages[0].steps) {
    if (step.op === 'WORKDIR') workdir = step.args;
    else if (step.op === 'COPY') copy(step, { ctx, dir, workdir, stageDirs: {}, ignored });
    else if (step.op === 'RUN' && /^npm (install|ci)\b/.test(step.args) && process.env.IMAGE_SMOKE_INSTALL !== '1' && depsCurrent(ctx)) {
      execFileSync('cp', ['-al', path.join(ctx, 'node_modules'), dir]);
      // npm rewrites this file in place: give the copy its own, not a link to the checkout's.
      const hidden = path.join(dir, 'node_modules/.package-lock.json');
      rmSync(hidden);
      copyFileSync(path.join(ctx, 'node_modules/.package-lock.json'), hidden);
      console.error(`    RUN ${step.args}: node_modules already match the lockfile; hard-linked, not reinstalled`);
    } else if (step.op === 'RUN') {
      console.error(`    RUN ${step.args}`);
      execFileSync('/bin/sh', ['-c', `(${step.args}) >>"${extra}" 2>&1`], { cwd: dir, stdio: 'inherit' });
    } else if (step.op !== 'ENV' && step.op !== 'ARG') throw new Error(`build stage: ${step.op} is not replayed`);
  }
} else if (command === 'runtime') {
  const stage = stages.at(-1);
  const plan = { env: {}, workdir: '/', cmd: [], entrypoint: [], healthcheck: null, user: null, expose: [] };
  // Only the one build stage exists: a --from path is read relative to its WORKDIR.
  const buildWorkdir = stages[0].steps.find((s) => s.op === 'WORKDIR')?.args ?? '/';
  const stageDirs = Object.fromEntries(stages.slice(0, -1).filter((s) => s.name).map((s) => [s.name, { dir: extra, workdir: buildWorkdir }]));
  mkdirSync(dir, { recursive: true });
  for (const step of stage.steps) {
    if (step.op === 'WORKDIR') plan.workdir = step.args;
    else if (step.op === 'COPY') copy(step, { ctx, dir, workdir: plan.workdir, stageDirs, ignored: dockerignore(ctx) });
    else if (step.op === 'ENV') for (const [, k, v] of step.args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) plan.env[k] = v.replace(/^"|"$/g, '');
    else if (step.op === 'CMD' || step.op === 'ENTRYPOINT') plan[step.op.toLowerCase()] = JSON.parse(step.args);
    else if (step.op === 'HEALTHCHECK') plan.healthcheck = step.args.replace(/^(--\S+\s+)*CMD\s+/, '');
    else if (step.op === 'USER') plan.user = step.args;
    else if (step.op === 'EXPOSE') plan.expose = step.args.split(/\s+/).map(Number);
    else if (step.op === 'RUN' || step.op === 'ARG') console.error(`    not replayed: ${step.op} ${step.args.replace(/\s+/g, ' ')}`);
    else throw new Error(`runtime stage: ${step.op} is not replayed`);
  }
  if (plan.entrypoint.length) console.error(`    not replayed: ENTRYPOINT ${JSON.stringify(plan.entrypoint)}`);
  if (!plan.user || plan.user === 'root') throw new Error(`${dockerfile}: the runtime stage must not run as root`);
  if (!plan.healthcheck) throw new Error(`${dockerfile}: no HEALTHCHECK`);
  writeFileSync(`${dir}.json`, JSON.stringify(plan));
}
EOF
replay() { node "$work/replay.mjs" "$@"; }
plan() { node -e 'const p=require(process.argv[1]); const v=eval("p"+process.argv[2]); console.log(typeof v==="string"?v:JSON.stringify(v))' "$work/$1.json" "$2"; }

cd "$ROOT"
if [ "$(replay build-stage Dockerfile)" != "$(replay build-stage Dockerfile.worker)" ]; then
  echo "Dockerfile and Dockerfile.worker have different build stages; this script replays one" >&2
  exit 1
fi

log "image smoke: build stage (shared by Dockerfile and Dockerfile.worker)"
replay build Dockerfile "$ROOT" "$work/build" "$work/build.log" || { tail -30 "$work/build.log" >&2; exit 1; }

log "image smoke: runtime stages"
replay runtime Dockerfile "$ROOT" "$work/api" "$work/build"
replay runtime Dockerfile.worker "$ROOT" "$work/worker" "$work/build"
for model in eng/4.0.0_best_int/eng.traineddata.gz deu/4.0.0_best_int/deu.traineddata.gz fra/4.0.0_best_int/fra.traineddata.gz osd/4.0.0/osd.traineddata.gz; do
  test -f "$work/worker/node_modules/@tesseract.js-data/$model" || { echo "worker image lacks @tesseract.js-data/$model" >&2; exit 1; }
done

# Starts one runtime stage with its image's ENV (paths under /app moved into its
# directory) plus the given overrides, waits for /health/ready, then runs its HEALTHCHECK.
start() {
  local name="$1" port="$2"
  shift 2
  local dir="$work/$name" envs=()
  mapfile -t envs < <(node -e '
    const p = require(process.argv[1]);
    for (const [k, v] of Object.entries(p.env)) console.log(`${k}=${v.replace(/^\/app(?=\/|$)/, process.argv[2])}`);
  ' "$work/$name.json" "$dir")
  local cmd=()
  mapfile -t cmd < <(node -e 'for (const a of require(process.argv[1]).cmd) console.log(a)' "$work/$name.json")
  mkdir -p "$dir/data/artifacts"
  (cd "$dir" && exec env "${envs[@]}" "${common[@]}" "$@" "${cmd[@]}") >"$work/$name.log" 2>&1 &
  pids+=($!)
  if ! wait_for "$name on port $port" curl -fsS "http://127.0.0.1:$port/health/ready"; then
    tail -20 "$work/$name.log" >&2
    exit 1
  fi
  if ! (cd "$dir" && env "${envs[@]}" "${common[@]}" "$@" /bin/sh -c "$(plan "$name" .healthcheck)"); then
    echo "$name: the image's HEALTHCHECK fails against a healthy process" >&2
    exit 1
  fi
  log "image smoke: $name image answers /health/ready on $port and passes its HEALTHCHECK"
}

common=(
  "DATABASE_URL=postgresql://postgres@127.0.0.1:5432/$db"
  "JWT_SECRET=image-smoke-secret-0123456789abcdef"
  "QUEUE_PREFIX=image-smoke-$$" HOST=127.0.0.1 OCR_WORKERS=1
)
log "image smoke: migration from the api image's file set"
(cd "$work/api" && env "${common[@]}" node scripts/db/migrate.mjs)
start api 3901 MODE=api PORT=3901
test "$(plan worker .env.MODE)" = worker || { echo "Dockerfile.worker must set MODE=worker" >&2; exit 1; }
start worker 3902 WORKER_PORT=3902
