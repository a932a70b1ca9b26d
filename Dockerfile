# One image, both commands: `operator` and `callback-api` (the entry point dispatches on the first
# argument). Node 24 runs the TypeScript sources directly (type stripping), so there is no build
# step and what runs is what the repository holds.
#
#   docker build -t callback-operator .
#   docker run --read-only -v cb-data:/var/lib/callback-api -v ./config:/etc/callback-api:ro \
#     callback-operator callback-api --service-name demo --config-dir /etc/callback-api \
#     --data-dir /var/lib/callback-api

FROM node:24-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; no install scripts (PGlite ships its WASM in the package).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production \
    NODE_OPTIONS="--disable-warning=ExperimentalWarning"
WORKDIR /app
COPY --from=dependencies --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root src ./src
# Embedded PGlite keeps its data here; mount a volume (the root filesystem is read-only).
RUN mkdir -p /var/lib/callback-api && chown 1000:1000 /var/lib/callback-api
VOLUME ["/var/lib/callback-api"]
# The `node` user of the base image; files stay root-owned, so the process cannot change its code.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "/app/bin/callback-operator.js"]
CMD ["--help"]
