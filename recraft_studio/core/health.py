"""Liveness and readiness for load balancers, compose and `make run`.

- liveness (`/healthz`): the web process answers; it depends on nothing else, so a
  database outage never gets healthy web processes restarted;
- readiness (`/readyz`): the database, Redis and the storage answer, each within a
  couple of seconds; 503 while any of them does not.
"""

from __future__ import annotations

import contextlib
import logging

import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)

#: Seconds each dependency gets to answer.
CHECK_TIMEOUT = 2.0


def liveness() -> JsonResponse:
    return JsonResponse({"ok": True})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def _storage() -> None:
    # On S3, a listing of the bucket's top level: fails when the bucket, the
    # credentials or the endpoint are wrong (a HEAD of a missing key would not). Local
    # storage has no folder before its first file, which is made on first write.
    with contextlib.suppress(FileNotFoundError):
        default_storage.listdir("")


CHECKS = {"database": _database, "redis": _redis, "storage": _storage}


def readiness() -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # any failure means "not ready"; the log says why
            logger.exception("Readiness check failed: %s", name)
            results[name] = "failing"
        else:
            results[name] = "ok"
    ok = all(value == "ok" for value in results.values())
    return JsonResponse({"ok": ok, "checks": results}, status=200 if ok else 503)
