from django.conf import settings


def studio(request):
    """Tell every page whether the deployment talks to the sandbox instead of the API.

    This is the deployment's answer, for pages outside any workspace (home, log in).
    A page about one workspace passes `workspace`, and `base.html` asks it instead
    (`Workspace.uses_sandbox`): a workspace with its own API token talks to Recraft
    even on a deployment that has no token of its own.
    """
    return {"recraft_sandbox": settings.RECRAFT_SANDBOX}
