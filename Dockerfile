# The worker, the codec server and the mail gateway (by their commands); docker-compose.yml builds
# it (--scale worker=N). Dependencies come from the hash-pinned lock; the wheel holds exactly the
# packages pyproject.toml names (tests/test_deployment.py builds it from this COPY list).
FROM python:3.11.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The release package's font (records/pdf.py, ICR_RELEASE_FONT): DejaVu Sans renders every name.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.lock
COPY pyproject.toml ./
COPY domain domain
COPY workflows workflows
COPY activities activities
COPY caseload caseload
COPY security security
COPY codec_server codec_server
COPY config config
COPY mailroom mailroom
COPY store store
COPY records records
COPY worker.py worker_health.py starter.py cli_exits.py opening_verdict.py settings.py logs.py clients.py intake.py sandbox.py ./
RUN pip install --no-cache-dir --no-deps . && useradd --system --home /app icr \
    && mkdir -p /var/lib/icr && chown icr /var/lib/icr
USER icr
EXPOSE 9464 9465 2525
CMD ["python", "worker.py"]
