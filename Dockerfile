# The quotewire image used by docker-compose.yml for `setup`, `worker` and `api`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first so code changes do not reinstall them (pyproject pins every version).
COPY pyproject.toml README.md ./
RUN mkdir -p pipeline && touch pipeline/__init__.py \
    && pip install --no-cache-dir . \
    && pip uninstall -y quotewire
# Editable install: config/ is read relative to the source tree, as in a clone.
COPY pipeline ./pipeline
COPY config ./config
RUN pip install --no-cache-dir --no-deps -e . \
    && useradd --system --uid 10001 quotewire
USER quotewire

CMD ["quotewire", "--help"]
