# syntax=docker/dockerfile:1
#
# mcp-gateway image: docker build -t mcp-gateway .
#   docker run --init -p 127.0.0.1:4000:4000 \
#     -v "$PWD/mcp-gateway.yml:/app/mcp-gateway.yml:ro" -e GATEWAY_API_KEY mcp-gateway
#
# No Docker engine runs where this project is developed and tested, so the build
# below is the same commands test/ship/package.test.ts runs on every `npm test`
# (test/ship/image-steps.ts lists them; test/ship/docker.test.ts checks this file
# still says them): npm ci, npm run build, npm pack --ignore-scripts, unpack the
# tarball, npm ci --omit=dev --offline with the project's lockfile. That test also
# starts the result with this file's WORKDIR, ENV and CMD and runs its HEALTHCHECK.
#
# A glibc base (Debian bookworm), so the native uWebSockets.js build loads on
# linux/amd64; where no build loads (e.g. linux/arm64) the gateway serves on
# node:http, the same behaviour.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json README.md LICENSE ./
COPY src ./src
COPY workers ./workers
COPY dashboard ./dashboard
COPY docs ./docs
RUN npm run build && npm pack --ignore-scripts --pack-destination /tmp/pack
# The package exactly as npm would publish it, plus its production dependencies
# pinned by the lockfile and taken from the cache the first npm ci filled.
WORKDIR /app
RUN tar -xzf /tmp/pack/mcp-gateway-*.tgz --strip-components=1 \
 && cp /src/package-lock.json ./ \
 && npm ci --omit=dev --offline --no-audit --no-fund

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="mcp-gateway" \
      org.opencontainers.image.description="One observable, secure endpoint in front of many MCP servers" \
      org.opencontainers.image.licenses="MIT"
# Listen on every interface of the container (publish the port as you need it).
# Anyone who can reach the port can use every tool unless the config sets
# auth.strategy: configure auth (see README, "Authentication, access and limits").
# The port is set here, not in the config file, so the HEALTHCHECK knows it;
# override either with -e (MCP_GATEWAY_PORT, MCP_GATEWAY_HOST, MCP_GATEWAY_LOG_LEVEL,
# MCP_GATEWAY_CONFIG).
ENV NODE_ENV=production \
    MCP_GATEWAY_HOST=0.0.0.0 \
    MCP_GATEWAY_PORT=4000
# Owned by root, run by the unprivileged "node" user (uid 1000) of the base image:
# the gateway cannot modify its own code. The config is read from
# /app/mcp-gateway.yml (mount yours there); without one it runs the bundled demo server.
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 4000
# node's own fetch: the slim image has no curl. 200 while the gateway serves
# (a down upstream shows in the body, not here); 503 while it stops.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MCP_GATEWAY_PORT || 4000) + '/api/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs the gateway directly, not through npm or npx (they run a bin through
# `sh -c`, which does not pass SIGTERM on), so `docker stop` is a graceful stop.
# Run with --init (compose: init: true) so orphans of stdio upstreams are reaped.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/cli/main.js", "start"]
