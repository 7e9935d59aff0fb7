#!/usr/bin/env bash
# Quick start: installs what is missing, then runs ocrflow in MODE=all with
# local defaults (copied from .env.example into .env on first run).
set -euo pipefail
source "$(dirname "$0")/lib/bootstrap.sh"

ensure_node
ensure_deps
ensure_services
ensure_tesseract
[ -f .env ] || { cp .env.example .env; log "created .env from .env.example"; }
log "migrating the database"
npm run --silent db:migrate
log "building"
npm run --silent build
log "starting ocrflow on http://127.0.0.1:${PORT:-3000} (open it in a browser for the UI; Ctrl-C stops it)"
exec npm run --silent start
