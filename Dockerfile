# The case-review worker (also the codec server and the mail gateway, by their commands). Built
# by docker-compose.yml; scale the workers with --scale worker=N.
FROM python:3.11.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY domain domain
COPY workflows workflows
COPY activities activities
COPY caseload caseload
COPY security security
COPY config config
COPY tools tools
COPY mailroom mailroom
COPY store store
COPY bench bench
COPY worker.py starter.py settings.py logs.py clients.py intake.py ./
RUN pip install --no-cache-dir . && useradd --system --home /app icr && mkdir -p /var/lib/icr \
    && chown icr /var/lib/icr
USER icr
EXPOSE 9464 2525
CMD ["python", "worker.py"]
