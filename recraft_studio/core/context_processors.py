from django.conf import settings


def studio(request):
    """Tell every page whether it is talking to the sandbox instead of the real API."""
    return {"recraft_sandbox": settings.RECRAFT_SANDBOX}
