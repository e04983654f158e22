# hubplan's planner server in a container (docs/deployment.md).
#
#   docker build -t hubplan .
#   docker run -p 127.0.0.1:8050:8050 -v hubplan-data:/var/lib/hubplan hubplan
#
# Installs exactly the tested versions: uv (pinned with hashes, tools/uv.txt) runs
# `uv sync --locked` on uv.lock, as `make setup` does, without the test extras.
# The Python is the one CI tests on (3.11, pyproject's requires-python >= 3.11).
FROM python:3.11-slim-bookworm

ENV UV_PROJECT_ENVIRONMENT=/opt/hubplan/.venv \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    HUBPLAN_CACHE_DIR=/opt/hubplan/cache \
    PATH=/opt/hubplan/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1

WORKDIR /opt/hubplan/src
COPY tools/uv.txt tools/uv.txt
RUN python3 -m venv /opt/uv \
 && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes -r tools/uv.txt

# Dependencies first (a layer reused while only hubplan's own code changes), then hubplan.
COPY pyproject.toml uv.lock README.md LICENSE ./
RUN /opt/uv/bin/uv sync --locked --no-install-project --no-cache
COPY src ./src
RUN /opt/uv/bin/uv sync --locked --no-editable --no-cache \
 && hubplan info > /dev/null

# Parse the bundled data once here (above), so a container starts in about a second.
RUN useradd --system --uid 10001 --home-dir /var/lib/hubplan --create-home hubplan \
 && chown -R hubplan /opt/hubplan/cache
USER hubplan
WORKDIR /var/lib/hubplan
VOLUME ["/var/lib/hubplan"]
EXPOSE 8050

# Listen on every interface inside the container; publish the port on the host's loopback
# only and put a reverse proxy with HTTPS in front (docs/deployment.md). Give the proxy's
# host name with --allowed-host and a PostgreSQL URL with --db to share scenarios.
ENTRYPOINT ["hubplan"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8050", "--workers", "2", "--db", "/var/lib/hubplan/scenarios.db"]
