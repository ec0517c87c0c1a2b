from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from recraft_studio.accounts import views as accounts
from recraft_studio.assets import views as assets
from recraft_studio.audit import views as audit
from recraft_studio.brand import views as brand
from recraft_studio.jobs import views as jobs
from recraft_studio.workspaces import views as workspaces

urlpatterns = [
    path("", workspaces.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # /healthz and /readyz are answered by core.middleware.HealthMiddleware.
    path("account/password/", accounts.password_change, name="password_change"),
    path("account/password/done/", accounts.password_change_done, name="password_change_done"),
    path("account/verify-email/", accounts.email_verification_send, name="email_verification_send"),
    path("account/verify-email/<str:token>/", accounts.email_verify, name="email_verify"),
    path("w/<slug:workspace_slug>/", workspaces.workspace_detail, name="workspace"),
    path(
        "w/<slug:workspace_slug>/p/<slug:project_slug>/",
        jobs.project_detail,
        name="project",
    ),
    path("w/<slug:workspace_slug>/jobs/", jobs.job_history, name="workspace_jobs"),
    path(
        "w/<slug:workspace_slug>/p/<slug:project_slug>/jobs/",
        jobs.job_history,
        name="project_jobs",
    ),
    path(
        "w/<slug:workspace_slug>/p/<slug:project_slug>/rename/",
        workspaces.project_rename,
        name="project_rename",
    ),
    path(
        "w/<slug:workspace_slug>/p/<slug:project_slug>/archive/",
        workspaces.project_archive,
        name="project_archive",
    ),
    path("jobs/<uuid:job_id>/", jobs.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/cancel", jobs.job_cancel, name="job_cancel"),
    path("jobs/<uuid:job_id>/retry", jobs.job_retry, name="job_retry"),
    path("jobs/<uuid:job_id>/front", jobs.job_move_to_front, name="job_move_to_front"),
    path("w/<slug:workspace_slug>/queue/", jobs.queue_panel, name="workspace_queue"),
    path("w/<slug:workspace_slug>/account/", jobs.account_panel, name="workspace_account"),
    path("assets/<uuid:asset_id>/", assets.asset_detail, name="asset"),
    path("assets/<uuid:asset_id>/file", assets.asset_file, name="asset_file"),
    path("assets/<uuid:asset_id>/thumb", assets.asset_thumb, name="asset_thumb"),
    path("assets/<uuid:asset_id>/download", assets.asset_download, name="asset_download"),
    # editing and galleries
    path("w/<slug:workspace_slug>/gallery/", assets.gallery, name="workspace_gallery"),
    path(
        "w/<slug:workspace_slug>/p/<slug:project_slug>/gallery/",
        assets.gallery,
        name="project_gallery",
    ),
    path(
        "w/<slug:workspace_slug>/p/<slug:project_slug>/upload/",
        assets.asset_upload,
        name="asset_upload",
    ),
    path("assets/<uuid:asset_id>/edit/<str:operation>/", jobs.asset_edit, name="asset_edit"),
    path("assets/<uuid:asset_id>/remix", jobs.asset_remix, name="asset_remix"),
    path("jobs/<uuid:job_id>/inputs/<str:name>", jobs.job_input, name="job_input"),
    # brand kit, members and workspace settings
    path("w/<slug:workspace_slug>/brand/", brand.kit, name="brand_kit"),
    path(
        "w/<slug:workspace_slug>/brand/styles/new/", brand.style_create, name="brand_style_create"
    ),
    path(
        "w/<slug:workspace_slug>/brand/styles/<int:style_pk>/",
        brand.style_detail,
        name="brand_style",
    ),
    path(
        "w/<slug:workspace_slug>/brand/styles/<int:style_pk>/rename/",
        brand.style_rename,
        name="brand_style_rename",
    ),
    path(
        "w/<slug:workspace_slug>/brand/styles/<int:style_pk>/archive/",
        brand.style_archive,
        name="brand_style_archive",
    ),
    path(
        "w/<slug:workspace_slug>/brand/styles/<int:style_pk>/unarchive/",
        brand.style_unarchive,
        name="brand_style_unarchive",
    ),
    path(
        "w/<slug:workspace_slug>/brand/styles/<int:style_pk>/delete/",
        brand.style_delete,
        name="brand_style_delete",
    ),
    path(
        "w/<slug:workspace_slug>/brand/styles/<int:style_pk>/references/<int:reference_pk>",
        brand.style_reference_file,
        name="brand_style_reference",
    ),
    path(
        "w/<slug:workspace_slug>/brand/styles/<int:style_pk>/references/<int:reference_pk>/thumb",
        brand.style_reference_thumb,
        name="brand_style_reference_thumb",
    ),
    path(
        "w/<slug:workspace_slug>/brand/palettes/new/", brand.palette_create, name="palette_create"
    ),
    path(
        "w/<slug:workspace_slug>/brand/palettes/extract/",
        brand.palette_extract,
        name="palette_extract",
    ),
    path(
        "w/<slug:workspace_slug>/brand/palettes/<int:palette_pk>/",
        brand.palette_edit,
        name="palette",
    ),
    path(
        "w/<slug:workspace_slug>/brand/palettes/<int:palette_pk>/delete/",
        brand.palette_delete,
        name="palette_delete",
    ),
    path("w/<slug:workspace_slug>/members/", workspaces.members, name="members"),
    path(
        "w/<slug:workspace_slug>/members/<int:member_pk>/role/",
        workspaces.member_role,
        name="member_role",
    ),
    path(
        "w/<slug:workspace_slug>/members/<int:member_pk>/remove/",
        workspaces.member_remove,
        name="member_remove",
    ),
    path(
        "w/<slug:workspace_slug>/invitations/<int:invitation_pk>/revoke/",
        workspaces.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", workspaces.invitation_accept, name="invitation_accept"),
    path(
        "w/<slug:workspace_slug>/settings/",
        workspaces.workspace_settings,
        name="workspace_settings",
    ),
    path(
        "w/<slug:workspace_slug>/p/<slug:project_slug>/settings/",
        workspaces.project_settings,
        name="project_settings",
    ),
    # the library: trash, favourites, tags, review, comments, collections, exports
    path("assets/<uuid:asset_id>/delete", assets.asset_delete, name="asset_delete"),
    path("assets/<uuid:asset_id>/restore", assets.asset_restore, name="asset_restore"),
    path("assets/<uuid:asset_id>/favourite", assets.asset_favourite, name="asset_favourite"),
    path("assets/<uuid:asset_id>/tags", assets.asset_tags, name="asset_tags"),
    path("assets/<uuid:asset_id>/review", assets.asset_review, name="asset_review"),
    path("assets/<uuid:asset_id>/comments", assets.asset_comment, name="asset_comment"),
    path("assets/<uuid:asset_id>/handoff", assets.asset_handoff, name="asset_handoff"),
    path("w/<slug:workspace_slug>/library/bulk/", assets.library_bulk, name="library_bulk"),
    path("w/<slug:workspace_slug>/trash/", assets.trash, name="trash"),
    path("w/<slug:workspace_slug>/collections/", assets.collections, name="collections"),
    path(
        "w/<slug:workspace_slug>/collections/<int:collection_pk>/",
        assets.collection_detail,
        name="collection",
    ),
    path(
        "w/<slug:workspace_slug>/collections/<int:collection_pk>/delete/",
        assets.collection_delete,
        name="collection_delete",
    ),
    path(
        "w/<slug:workspace_slug>/collections/<int:collection_pk>/items/<int:item_pk>/",
        assets.collection_item,
        name="collection_item",
    ),
    path("w/<slug:workspace_slug>/exports/", assets.exports, name="exports"),
    path(
        "w/<slug:workspace_slug>/exports/<uuid:export_id>/",
        assets.export_detail,
        name="export",
    ),
    path("exports/<str:token>/", assets.export_download, name="export_download"),
    # audit trail
    path("w/<slug:workspace_slug>/audit/", audit.trail, name="audit_trail"),
    path("w/<slug:workspace_slug>/spend/", audit.spend, name="spend"),
    path("w/<slug:workspace_slug>/spend/<slug:kind>.svg", audit.spend_chart, name="spend_chart"),
    path("admin/", admin.site.urls),
]
