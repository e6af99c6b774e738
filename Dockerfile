# One image for the api, the workers and beat; compose.yaml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY zzyra zzyra
COPY workflows workflows
COPY executions executions
COPY sandbox sandbox
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 zzyra
COPY . .
USER zzyra
EXPOSE 8000
CMD ["gunicorn", "zzyra.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
