from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness for load balancers and `make run`: the web process and its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
