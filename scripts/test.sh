#!/usr/bin/env bash
# Runs the whole test suite: unit, integration (real PostgreSQL and Redis) and
# end-to-end (the built app over HTTP, real tesseract.js). Extra arguments go
# to Vitest, e.g. `bash scripts/test.sh src/config`.
set -euo pipefail
source "$(dirname "$0")/lib/bootstrap.sh"

ensure_node
ensure_deps
ensure_services
ensure_test_tools
log "building"
npm run --silent build
log "running tests"
report="$(mktemp)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain summary line that any CI log reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
rm -f "$report"
exit "$status"
