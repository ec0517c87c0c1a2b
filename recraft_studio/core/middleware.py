"""Middleware that must see a request before the rest of the stack does."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse

from . import health

HEALTH_PATHS = {"/healthz": health.liveness, "/readyz": health.readiness}


class HealthMiddleware:
    """Answer `/healthz` and `/readyz` before host validation and HTTPS redirects.

    A container's or load balancer's probe calls the process by its internal address
    over plain HTTP; it must get the answer, not a 400 for an unknown host or a 301 to
    HTTPS. The answers say only "ok" or "failing" per dependency, never why.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        check = HEALTH_PATHS.get(request.path_info)
        if check is not None and request.method in ("GET", "HEAD"):
            return check()
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a request body above `settings.MAX_REQUEST_BYTES` before it is read.

    Django bounds form fields (`DATA_UPLOAD_MAX_MEMORY_SIZE`) but not uploaded files,
    which it streams to a temporary file whatever their size; a declared length past
    the largest upload the studio reads is refused here instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("The request's Content-Length is not a number.", status=400)
        if length > settings.MAX_REQUEST_BYTES:
            return HttpResponse(
                f"The request is {length / 1024 / 1024:.0f} MB; the studio accepts at most "
                f"{settings.MAX_REQUEST_BYTES // 1024 // 1024} MB.",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
