# The quotewire image used by docker-compose.yml for `setup`, `worker` and `api`: the built wheel,
# installed as a user would install it (config/ inside it as package data; no checkout in the image).

# --- build: the wheel from the source tree ---------------------------------------------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY config ./config
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

# --- runtime ---------------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The pinned dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml /tmp/pyproject.toml
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/pyproject.toml /tmp/requirements.txt
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir --no-deps /tmp/dist/quotewire-*.whl \
    && rm -rf /tmp/dist \
    && useradd --system --create-home --uid 10001 quotewire
USER quotewire
WORKDIR /home/quotewire

CMD ["quotewire", "--help"]
