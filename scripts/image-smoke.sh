#!/usr/bin/env bash
# Replays the Dockerfile's steps without Docker (this machine has no engine):
# the build stage's install, build and prune, then the runtime stage's file
# set, a migration and a start in each mode, checked through /health. Keep the
# COPY lists here and in the Dockerfile in step.
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

log "image smoke: build stage"
mkdir -p "$work/build" "$work/app/scripts" "$work/app/data"
cd "$ROOT"
cp package.json package-lock.json tsconfig.json tsconfig.build.json nest-cli.json prisma.config.ts "$work/build/"
cp -r prisma scripts src "$work/build/"
rm -rf "$work/build/src/generated"
cd "$work/build"
npm install --no-save --no-audit --no-fund --loglevel=error >/dev/null
npm run --silent build >/dev/null
npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null

log "image smoke: runtime stage"
cp -r node_modules dist package.json prisma.config.ts prisma "$work/app/"
cp -r scripts/db "$work/app/scripts/"
cd "$work/app"
export DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$db"
export JWT_SECRET="image-smoke-secret-0123456789abcdef"
export ARTIFACT_STORE_PATH="$work/app/data/artifacts" QUEUE_PREFIX="image-smoke-$$" HOST=127.0.0.1
node scripts/db/migrate.mjs
MODE=api PORT=3901 node dist/main.js >"$work/api.log" 2>&1 &
pids+=($!)
MODE=worker WORKER_PORT=3902 node dist/main.js >"$work/worker.log" 2>&1 &
pids+=($!)
for port in 3901 3902; do
  if ! wait_for "port $port" curl -fsS "http://127.0.0.1:$port/health"; then
    tail -20 "$work/api.log" "$work/worker.log" >&2
    exit 1
  fi
done
log "image smoke: api and worker built from the image's file set answer /health"
