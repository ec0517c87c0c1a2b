# One image for web, worker, beat and the sandbox (docker-compose.yml picks the command).
FROM python:3.11-slim

# DJANGO_ENV_FILE="": settings read no .env file; everything comes from the container's
# environment (.dockerignore keeps .env out of the build context as well).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV_FILE=""
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY recraft_studio ./recraft_studio
RUN pip install --no-cache-dir -c constraints.txt .

COPY . .
RUN DJANGO_SECRET_KEY=collectstatic-only \
    STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage \
    python manage.py collectstatic --noinput

RUN useradd --create-home studio && mkdir -p /app/var && chown studio /app/var
USER studio
EXPOSE 8000
CMD ["gunicorn", "recraft_studio.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
