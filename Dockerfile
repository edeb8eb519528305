# syntax=docker/dockerfile:1
#
# Confide's image: `docker build -t confide .` from the repository root.
#
# Three stages: the web app (node), the locked Python environment (compilers, uv), and the
# final image, which gets only the built environment: no compiler, no node, no uv, no pip
# cache. It runs as an unprivileged user and writes only to /data (its volume) and /tmp, so
# it works with a read-only root filesystem (`docker run --read-only --tmpfs /tmp ...`).
# See docs/operations.md and deploy/docker-compose.yml.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# --- the web app, built into src/confide/static/app ----------------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- the locked environment, in /opt/confide ------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv==0.13.9
# llama-cpp-python compiles here: a portable build (the native one crashes on CPUs that report
# AMX they cannot use). Modules are compiled to bytecode now: the root filesystem is read-only
# at run time, and a server that compiles ~900 modules at every start starts a second slower.
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF" \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/confide
WORKDIR /src
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src/ src/
COPY --from=web /src/src/confide/static/app/ src/confide/static/app/
RUN uv sync --frozen --no-dev --no-editable

# --- the image ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# The C++ and OpenMP runtimes the local model's library (llama.cpp) loads: no compiler.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 libstdc++6 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 confide \
    && useradd --system --uid 10001 --gid confide --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin confide \
    && install -d -m 0700 -o confide -g confide /data
COPY --from=build /opt/confide /opt/confide
ENV PATH=/opt/confide/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    CONFIDE_DATA_DIR=/data \
    CONFIDE_PORT=8080
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Liveness: it stays up while the replica drains for shutdown (load balancers read /readyz).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CONFIDE_PORT', '8080'), timeout=2)"]
CMD ["confide", "serve", "--host", "0.0.0.0"]
