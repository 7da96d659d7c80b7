# syntax=docker/dockerfile:1
# PipelineOps CLI image: `pipelineops` with dbt-core, dbt-duckdb and dbt-snowflake at the versions pinned in
# requirements/runtime.txt, plus the reference dbt project (dbt/) and pipelineops.yml for `pipelineops demo`.
#
#   docker build -t pipelineops .
#   docker run --rm pipelineops --help
#   docker compose up          # the local-parity stack: `pipelineops demo` on a named warehouse volume
#
# Built and smoke-run in .github/workflows/docker.yml. The base image is pinned to an exact Python patch
# release; pin its digest too (python:3.11.16-slim-trixie@sha256:...) once it is resolved by a registry.

ARG PYTHON_IMAGE=python:3.11.16-slim-trixie

# --- builder: every runtime dependency as a wheel, and the pipelineops wheel ------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements/runtime.txt requirements/runtime.txt
# Exact pins (==) for the whole closure: the same lock file the composite actions install from.
RUN pip wheel --no-cache-dir --wheel-dir /wheels --requirement requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY src/ src/
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# --- runtime: no compilers, no build stage leftovers, a numeric non-root user --------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="pipelineops" \
      org.opencontainers.image.description="CI/CD for dbt + Snowflake: Slim CI, blue/green deploys, rollback" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false
RUN groupadd --gid 10001 pipelineops \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/pipelineops \
       --shell /usr/sbin/nologin pipelineops
# Install from the builder's wheels only (--no-index): nothing is fetched or compiled in this stage, and the
# wheels are bind-mounted, so they never become a layer of the final image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements/runtime.txt,target=/tmp/runtime.txt \
    pip install --no-cache-dir --no-index --find-links /wheels --requirement /tmp/runtime.txt \
    && pip install --no-cache-dir --no-index --no-deps /wheels/pipelineops-*.whl \
    && pip check
WORKDIR /app
COPY pipelineops.yml ./
COPY dbt/ dbt/
# The only writable paths: the local warehouse (a volume in docker-compose.yml) and dbt's target/ and logs/.
RUN mkdir -p /app/.pipelineops /app/dbt/target /app/dbt/logs \
    && chown 10001:10001 /app/.pipelineops /app/dbt/target /app/dbt/logs
VOLUME ["/app/.pipelineops"]
USER 10001:10001
# No HEALTHCHECK: the image runs one pipelineops command and exits (a CI job, not a service). There is no
# long-running process to probe; the exit code is the health signal.
HEALTHCHECK NONE
ENTRYPOINT ["pipelineops"]
CMD ["--help"]
