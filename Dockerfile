# referral-hub API image. Secrets come from the environment (see docker-compose.yml / env files).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=referral_hub.settings
WORKDIR /app

RUN useradd --system --uid 10001 --home /app app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && chown -R app /app
USER app

EXPOSE 8000
# 2 sync workers per 2 cores was the best configuration measured (docs/performance.md).
CMD ["gunicorn", "referral_hub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
