# syntax=docker/dockerfile:1
# The timetap-sync worker image. Two stages: `build` installs everything (dev dependencies
# included), generates the Prisma client and compiles src/ to dist/; `runtime` holds only the
# production dependencies, dist/ (the generated Prisma client is compiled into dist/generated)
# and the migration files that `migrate` reads. No Prisma CLI, no compiler at run time.
# test/integration/compose.test.ts runs the same install and build commands on every CI run.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency runs an install script (as under npm 11's default); the
# project's own build step runs explicitly below.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY src ./src
# prisma generate (offline) + tsc -> dist/
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=1, as in package.json's `start` (docs/worker-memory.md): one malloc arena for
# all threads, so that what V8's background compilers free goes back to the system instead of
# staying in an arena of their own. Only the environment can set it: glibc reads it before node
# runs any JavaScript (about 15 MB of the idle worker's RSS).
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=3000 \
    MALLOC_ARENA_MAX=1
WORKDIR /app
COPY package.json package-lock.json ./
# @prisma/client declares the Prisma CLI (and through it TypeScript) as peer dependencies, so npm
# installs them even with --omit=dev; nothing imports them at run time, so they go (~130 MB).
# The npm cache lives in a build cache mount, not in the image.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/prisma node_modules/@prisma/dev node_modules/@prisma/studio-core \
              node_modules/typescript node_modules/.bin/prisma node_modules/.bin/tsc node_modules/.bin/tsserver
COPY --from=build /app/dist ./dist
COPY prisma/migrations ./prisma/migrations
# The official image's unprivileged user; the application files stay root-owned and read-only to it.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# V8's heap sizing for a small, long-lived service, as in package.json's `start`
# (src/heap-settings.ts, docs/worker-memory.md): an old generation that grows by 50% of what
# survives a full collection instead of up to 4x, so that a large sync does not leave the worker
# holding garbage it had no reason to collect. The young generation the worker sizes itself:
# held small while it idles, free to grow while a job runs.
ENTRYPOINT ["node", "--heap-growing-percent=50", "dist/main.js"]
CMD ["worker"]
