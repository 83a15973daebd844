# syntax=docker/dockerfile:1
# Switchboard service image. Two stages: the first installs production dependencies only from the
# lockfile; the second copies them beside the sources and runs as the unprivileged `node` user.
# The sources run through tsx (a production dependency), so there is no build step to drift.
#
# Run:   docker run -p 3000:3000 -v "$PWD/config/routing.yaml:/config/routing.yaml:ro" \
#          -e DATABASE_URL=postgres://… -e CRM=hubspot -e HUBSPOT_ACCESS_TOKEN=… switchboard
# Without DATABASE_URL the embedded PGlite keeps its data in the /data volume (one container only).

FROM node:20.20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    ROUTING_CONFIG=/config/routing.yaml \
    PGLITE_DIR=/data/pglite
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY schema ./schema
# The example config doubles as the default; mount your own file over /config/routing.yaml.
COPY config/routing.yaml /config/routing.yaml
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/switchboard.js", "serve"]
