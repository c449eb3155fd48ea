# syntax=docker/dockerfile:1
# One image for every Eventyard process (collectors, Houston, each Airflow component); the compose
# file and the Helm chart pick the command. Built once: `docker compose build` builds the
# `eventyard` service and every other service runs the same tag (docs/deploy.md).
#
# Stage 1 installs the pinned JavaScript packages and builds our device-mode plugins; stage 2
# builds a virtualenv from the runtime pins (requirements.txt: no test tools, no linters) plus
# Eventyard's wheel, its intake compiled there by mypyc; the final stage is slim Python with that venv and the built browser files,
# running as an unprivileged user. Nothing is downloaded when a container starts.

FROM node:22.12-bookworm-slim AS browser
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY browser ./browser
RUN npm run build

FROM python:3.11.11-slim-bookworm AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A C compiler and mypy (mypyc) compile the collector's intake into the wheel (setup.py, decision
# 0042); they stay in this stage, in a build venv of their own, and never reach the image.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-build.txt /tmp/
RUN python -m venv /opt/build \
 && /opt/build/bin/pip install -r /tmp/requirements-build.txt -c /tmp/requirements.txt setuptools
RUN python -m venv /opt/eventyard
RUN /opt/eventyard/bin/pip install -r /tmp/requirements.txt
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY include ./include
COPY dags ./dags
COPY plugins ./plugins
COPY warehouse_sql ./warehouse_sql
# setup.py packages the analytics.js bundle into the wheel when it is there.
COPY --from=browser /src/node_modules/@segment/analytics-next/dist/umd ./node_modules/@segment/analytics-next/dist/umd
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation -w /tmp/dist . \
 && /opt/eventyard/bin/pip install --no-deps /tmp/dist/eventyard-*.whl \
 && /opt/eventyard/bin/python -W error -c \
    "from eventyard.collector.compiled import implementation; assert implementation() == 'mypyc'"

FROM python:3.11.11-slim-bookworm
ARG UID=50000
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/eventyard/bin:$PATH \
    EVENTYARD_HOME=/var/lib/eventyard
RUN useradd --uid "${UID}" --gid 0 --home-dir /var/lib/eventyard --no-create-home eventyard \
 && mkdir -p /var/lib/eventyard/spool /var/lib/eventyard/airflow/logs \
 && chown -R eventyard:0 /var/lib/eventyard && chmod -R g+rwX /var/lib/eventyard
COPY --from=wheel /opt/eventyard /opt/eventyard
# The collector serves our plugins and Segment's browser destinations, Houston its offline
# explorer, from node_modules/ and build/browser/ under the working directory.
WORKDIR /app
COPY --from=browser /src/build/browser ./build/browser
COPY --from=browser /src/node_modules ./node_modules
USER eventyard
VOLUME ["/var/lib/eventyard"]
EXPOSE 8000 8080
CMD ["eventyard", "--help"]
