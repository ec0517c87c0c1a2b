from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from recraft_studio.assets import views as assets
from recraft_studio.core import views as core
from recraft_studio.workspaces import views as workspaces

urlpatterns = [
    path("", workspaces.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", core.healthz, name="healthz"),
    path("w/<slug:workspace_slug>/", workspaces.workspace_detail, name="workspace"),
    path(
        "w/<slug:workspace_slug>/p/<slug:project_slug>/",
        assets.project_detail,
        name="project",
    ),
    path("jobs/<uuid:job_id>/", assets.job_status, name="job_status"),
    path("assets/<uuid:asset_id>/", assets.asset_detail, name="asset"),
    path("assets/<uuid:asset_id>/file", assets.asset_file, name="asset_file"),
    path("assets/<uuid:asset_id>/thumb", assets.asset_thumb, name="asset_thumb"),
    path("admin/", admin.site.urls),
]
