# One image for every Eventyard process (collector, houston, airflow); docker-compose.yaml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 EVENTYARD_HOME=/var/lib/eventyard
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.txt
COPY package*.json ./
RUN if [ -f package.json ]; then npm ci --omit=dev --no-audit --no-fund; fi
COPY browser ./browser
RUN npm run build
COPY include ./include
COPY api ./api
COPY dags ./dags
COPY plugins ./plugins
COPY warehouse_sql ./warehouse_sql
RUN pip install --no-cache-dir --no-deps -e .
VOLUME ["/var/lib/eventyard"]
EXPOSE 8000 8080
CMD ["eventyard", "--help"]
