# syntax=docker/dockerfile:1.12
# One image for every service; PACS_SERVICE (or the container's argument) picks which one starts:
#   gateway, stow, qido, wado, render, hl7, pacs (all in one, the default) or migrate (index migrations).
# Node 24 comes from the official image (the `node` npm devDependency is never used here). The tag must match
# package.json devDependencies.node (checked by scripts/deploy/check.sh); for a reproducible build pin the
# digest too: --build-arg NODE_IMAGE=node:24.21.0-trixie-slim@sha256:<digest> (images.yml does).
ARG NODE_IMAGE=node:24.21.0-trixie-slim

# --- build: every dependency, then swc compiles libs/ and services/ into dist/ (scripts/build.mjs).
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
ENV CI=true NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# `npm ci` refuses a lockfile without other platforms' optional binaries; `npm install` with the lockfile
# installs the same versions. No install scripts are needed to build (swc and prisma take their binaries
# from optional packages).
RUN --mount=type=cache,target=/root/.npm npm install --ignore-scripts --no-audit --no-fund
COPY .swcrc ./
COPY scripts/build.mjs scripts/build.mjs
COPY libs libs
COPY services services
# The base image's Node 24 runs the build script, not `npm run` (which would prefer node_modules/.bin/node).
RUN node scripts/build.mjs

# --- production dependencies only, for the target platform (sharp and codecs ship per-platform binaries).
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
ENV CI=true NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm install --omit=dev --ignore-scripts --no-audit --no-fund \
  && node -e "require('sharp')" \
  && rm -f package-lock.json

# --- the image: Node, production node_modules, dist/, two small scripts; owned by root, run as 10001.
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="pacs" \
      org.opencontainers.image.description="DICOMweb-only PACS: gateway, stow, qido, wado, render, hl7 services" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 pacs \
  && useradd --system --uid 10001 --gid pacs --home-dir /tmp --no-create-home --shell /usr/sbin/nologin pacs
WORKDIR /app
ENV NODE_ENV=production \
    PACS_SERVICE=pacs \
    PACS_HTTP_HOST=0.0.0.0 \
    PACS_HTTP_PORT=8080 \
    PACS_DATA_DIR=/tmp/pacs \
    HOME=/tmp
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY scripts/deploy/image/entrypoint.mjs scripts/deploy/image/healthcheck.mjs ./
# Read-only root filesystem: the only writable path is /tmp (an emptyDir in Kubernetes).
USER 10001:10001
EXPOSE 8080 2575
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/entrypoint.mjs"]
