"""Workspaces, their members and roles, and the projects inside them."""

from django.contrib import admin

from .models import Invitation, Membership, Project, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "api_token_last4", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    # The encrypted token is set on the workspace's settings page, never here.
    exclude = ("api_token_encrypted",)
    readonly_fields = ("api_token_last4",)
    inlines = [MembershipInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "created_at")
    list_filter = ("workspace",)
    search_fields = ("name",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "workspace", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("workspace", "role")
    search_fields = ("email",)
    exclude = ("token_hash",)
    readonly_fields = ("accepted_at", "accepted_by", "revoked_at")

    def has_add_permission(self, request):
        # Invitations are made on the members page, which emails the link.
        return False
