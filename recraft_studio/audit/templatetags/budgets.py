"""`{% budget_warnings workspace project %}`: the in-page warning at 80 % and 100 %."""

from django import template

from recraft_studio.audit.selectors import budget_warnings as warnings_for

register = template.Library()


@register.inclusion_tag("audit/spend.html#budget-warnings", takes_context=True)
def budget_warnings(context, workspace, project=None):
    """Warn on a page where people spend (a project, the workspace) when its budget is
    80 % or 100 % committed; one query per budget that is set, none otherwise."""
    membership = context.get("membership")
    return {
        "warnings": warnings_for(workspace=workspace, project=project) if workspace else [],
        "workspace": workspace,
        "is_owner": bool(membership and membership.can_manage_members),
    }
