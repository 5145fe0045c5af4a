# The production image: `python -m bot serve` on 0.0.0.0:8000, migrating the database first.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1

RUN pip install --no-cache-dir uv
# The documents' Chinese font, embedded (subset) in every PDF: see DOCUMENT_FONT in the README.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so code changes reuse the cached layer.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-cache --python /usr/local/bin/python3.11

COPY . .
RUN useradd --create-home --uid 10001 offboard \
    && mkdir -p /app/var \
    && chown offboard /app/var

USER offboard
# The embedded default keeps its SQLite file in a writable directory (mount a volume there);
# docker-compose.yml points DATABASE_URL at PostgreSQL instead. The signing key and archive
# live in DATA_DIR whichever database is used.
ENV PATH="/app/.venv/bin:$PATH" \
    DATABASE_URL="sqlite+aiosqlite:////app/var/offboard.db" \
    DATA_DIR=/app/var \
    HOST=0.0.0.0 \
    PORT=8000

EXPOSE 8000
# No curl in slim images: ask /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"

CMD ["sh", "-c", "python -m bot db upgrade && exec python -m bot serve --host 0.0.0.0"]
