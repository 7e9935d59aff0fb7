# Shared by scripts/local.sh, scripts/test.sh and .ci/run (sourced, not run).
# Brings a fresh machine of the development kind (Debian, root, npm registry
# reachable) to the point where the service builds and runs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NODE_MAJOR_WANTED=24

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Puts Node 24 first on PATH when the machine's Node is older than 22,
# installing it from the npm registry (package node-linux-<arch>) into .tools/.
ensure_node() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  [ "$major" -ge 22 ] && return 0
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "no Node $NODE_MAJOR_WANTED package for $(uname -m); install Node $NODE_MAJOR_WANTED yourself" >&2; return 1 ;;
  esac
  local dir="$ROOT/.tools/node$NODE_MAJOR_WANTED"
  local bin="$dir/node_modules/node-linux-$arch/bin"
  if [ ! -x "$bin/node" ]; then
    log "installing Node $NODE_MAJOR_WANTED into .tools/ (machine has $(node --version 2>/dev/null || echo none))"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node-linux-$arch@$NODE_MAJOR_WANTED" >/dev/null
  fi
  export PATH="$bin:$PATH"
  log "using Node $(node --version)"
}

# Installs the versions the lockfile pins, unless node_modules already matches it.
# Not `npm ci`: the registry this project is developed against serves no macOS or
# Windows builds, so the lockfile lacks those optional platform packages
# (@swc/core-darwin-*, …) and `npm ci` refuses it as out of sync. `npm install`
# with --no-save installs the same locked versions and leaves the lockfile alone.
ensure_deps() {
  cd "$ROOT"
  if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json .tools/installed.lock; then
    log "installing dependencies"
    npm install --no-save --no-audit --no-fund --loglevel=error
    mkdir -p .tools && cp package-lock.json .tools/installed.lock
  fi
}

# Starts the local PostgreSQL and Redis when they are not answering.
ensure_services() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if [ ! -d /etc/postgresql ]; then
      log "installing PostgreSQL"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    wait_for "PostgreSQL" pg_isready -q -h 127.0.0.1 -p 5432
  fi
  # Both binaries even when a Redis already answers: tests start their own
  # servers (redis-server) and build a Redis Cluster from them (redis-cli).
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    log "installing Redis"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for "Redis" redis-cli -h 127.0.0.1 -p 6379 ping
  fi
}

# Debian tools the tests drive: qpdf encrypts the generated PDFs of the password tests;
# tesseract-ocr is the native OCR engine (OCR_ENGINE=native), tested against tesseract.js;
# openssl makes the certificates of the TLS Redis Cluster test; chromium runs the browser UI's test.
# The Debian packages of Tesseract and of OCR_LANGS's default models (English
# comes with tesseract-ocr) that are not installed, one a line.
missing_tesseract() {
  command -v tesseract >/dev/null || echo tesseract-ocr
  for lang in deu fra; do
    [ -n "$(find /usr/share/tesseract-ocr -name "$lang.traineddata" 2>/dev/null)" ] || echo "tesseract-ocr-$lang"
  done
}

# Tesseract for the native engine OCR_ENGINE=auto picks; without apt (or root)
# the service reads with tesseract.js, and says so.
ensure_tesseract() {
  local missing
  mapfile -t missing < <(missing_tesseract)
  [ "${#missing[@]}" -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null || [ "$(id -u)" -ne 0 ]; then
    log "Tesseract is not installed: reading with tesseract.js (apt-get install ${missing[*]} for the faster native engine)"
    return 0
  fi
  log "installing ${missing[*]} (the native OCR engine)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    log "could not install ${missing[*]}: reading with tesseract.js"
}

ensure_test_tools() {
  local missing
  mapfile -t missing < <(missing_tesseract) # the native engine is tested, not skipped
  command -v qpdf >/dev/null || missing+=(qpdf)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v xmllint >/dev/null || missing+=(libxml2-utils) # hOCR well-formedness, ALTO schema validation
  command -v pdftotext >/dev/null || missing+=(poppler-utils) # searchable PDFs' text layer, extracted again
  command -v chromium >/dev/null || missing+=(chromium) # the browser UI's test drives it (playwright-core downloads no browser)
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]} (tests)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

wait_for() {
  local name="$1"
  shift
  for _ in $(seq 1 60); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "$name did not come up" >&2
  return 1
}
