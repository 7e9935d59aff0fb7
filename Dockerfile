# ocrflow: one image, three roles (MODE=api | worker | all; all by default, for a
# single host). Dockerfile.worker builds the same code with worker defaults and a
# smaller file set. The build stage runs the same steps as scripts/test.sh: install,
# generate, build. scripts/image-smoke.sh replays both Dockerfiles without Docker in CI
# (it reads their COPY, ENV, HEALTHCHECK and CMD lines); keep the build stages identical.
#
#   docker build -t ocrflow .
#   docker run --rm --env-file ocrflow.env ocrflow node scripts/db/migrate.mjs   # release step
#   docker run --env-file ocrflow.env -e MODE=api -p 3000:3000 ocrflow
#
# No secret is baked in: .dockerignore keeps .env files and keys out of the context,
# and every secret (DATABASE_URL, REDIS_URL, JWT_SECRET) comes from the environment
# or a NAME_FILE mount at run time.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --no-save rather than `npm ci`: see ensure_deps in scripts/lib/bootstrap.sh.
RUN npm install --no-save --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
# Production dependencies only from here on. The OCR language data ships inside
# them (@tesseract.js-data/eng, /deu, /fra and /osd), so the image never downloads a model.
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# tini as PID 1 forwards SIGTERM to node, so running jobs finish within
# SHUTDOWN_TIMEOUT_MS, and reaps any zombie process (like `docker run --init`).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
# glibc keeps memory freed by ended threads (document readers, recycled OCR
# engines) in per-thread arenas; two arenas give 100-125 MB back after large pages.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MODE=all \
    ARTIFACT_STORE_PATH=/app/data/artifacts
WORKDIR /app
# Owned by root, run as `node`: the application cannot rewrite its own code.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The OCR model tesseract.js loads (OCR_MODEL=fast); never downloaded at run time.
COPY models ./models
COPY package.json prisma.config.ts ./
# Migrations and their runner, for the release step (`node scripts/db/migrate.mjs`).
COPY prisma ./prisma
COPY scripts/db ./scripts/db
RUN mkdir -p /app/data/artifacts && chown -R node:node /app/data
USER node
EXPOSE 3000 3001
# Liveness only: a database outage should not get healthy containers restarted.
# The port follows the mode: PORT for api and all, WORKER_PORT for worker.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "const p=process.env.MODE==='worker'?(process.env.WORKER_PORT||3001):(process.env.PORT||3000);fetch('http://127.0.0.1:'+p+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
