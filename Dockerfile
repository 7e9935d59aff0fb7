# ocrflow: one image, three roles (MODE=api | worker | all).
# The build stage runs the same steps as scripts/test.sh: install, generate, build.
# scripts/image-smoke.sh replays these steps without Docker in CI; keep the two in step.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --no-save rather than `npm ci`: see ensure_deps in scripts/lib/bootstrap.sh.
RUN npm install --no-save --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    MODE=all \
    ARTIFACT_STORE_PATH=/app/data/artifacts
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/db ./scripts/db
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000 3001
# Liveness only: a database outage should not get healthy containers restarted.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "const p=process.env.MODE==='worker'?(process.env.WORKER_PORT||3001):(process.env.PORT||3000);fetch('http://127.0.0.1:'+p+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Run `node scripts/db/migrate.mjs` once per deploy (a release task) before starting new containers.
CMD ["node", "--enable-source-maps", "dist/main.js"]
