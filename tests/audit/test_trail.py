import csv
import io

import pytest
from django.urls import reverse

from recraft_studio.audit.models import AppendOnlyError, AuditEvent
from recraft_studio.audit.services import audit_record
from recraft_studio.workspaces.models import Role
from tests.audit.helpers import charge
from tests.factories import ProjectFactory


@pytest.fixture
def owner_and_events(member):
    owner, membership = member(Role.OWNER, username="olga")
    workspace = membership.workspace
    project = ProjectFactory(workspace=workspace, name="Spring")
    audit_record(
        workspace=workspace, project=project, actor=owner, verb="job.submitted", estimated_cost=80
    )
    charge(workspace, 80, project=project, actor=owner, verb="job.completed", estimated_cost=80)
    charge(workspace, 40, actor=owner, verb="brand_style.created")
    return owner, workspace


def url(workspace):
    return reverse("audit_trail", args=[workspace.slug])


def test_owners_read_every_event_and_what_was_charged_this_month(
    owner_and_events, member, logged_in
):
    owner, workspace = owner_and_events
    _, other = member(Role.OWNER)
    charge(other.workspace, 999, verb="job.completed")

    response = logged_in(owner).get(url(workspace))

    assert response.status_code == 200
    verbs = [e.verb for e in response.context["events"]]
    assert verbs == ["brand_style.created", "job.completed", "job.submitted"]
    spend = response.context["spend"]
    assert spend.total == 120  # the API's charges, not the estimates; not another workspace
    assert dict(spend.by_project) == {"Spring": 80, "(no project)": 40}
    assert "about $0.12" in response.content.decode()


def test_the_trail_can_be_narrowed_to_one_action(owner_and_events, logged_in):
    owner, workspace = owner_and_events
    response = logged_in(owner).get(url(workspace), {"verb": "job.completed"})
    assert [e.verb for e in response.context["events"]] == ["job.completed"]


def test_the_trail_downloads_as_csv_with_the_same_filters(owner_and_events, logged_in):
    owner, workspace = owner_and_events
    response = logged_in(owner).get(url(workspace), {"verb": "job.completed", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["actor"], r["action"], r["actual_units"]) for r in rows] == [
        ("olga", "job.completed", "80")
    ]


def test_older_events_come_a_page_at_a_time(owner_and_events, logged_in):
    owner, workspace = owner_and_events
    for i in range(60):
        audit_record(workspace=workspace, actor=owner, verb="palette.updated", data={"i": i})
    client = logged_in(owner)
    first = client.get(url(workspace))
    assert len(first.context["events"]) == 50
    second = client.get(url(workspace), {"before": first.context["next_before"]})
    assert len(second.context["events"]) == 13
    seen = {e.pk for e in first.context["events"]} | {e.pk for e in second.context["events"]}
    assert len(seen) == 63


@pytest.mark.parametrize("role", [Role.BRAND_MANAGER, Role.DESIGNER, Role.VIEWER])
def test_only_owners_read_the_trail(owner_and_events, member, logged_in, role):
    _, workspace = owner_and_events
    user, _ = member(role, workspace=workspace)
    assert logged_in(user).get(url(workspace)).status_code == 403


def test_outsiders_do_not_learn_the_workspace_exists(owner_and_events, member, logged_in):
    _, workspace = owner_and_events
    outsider, _ = member(Role.OWNER)
    assert logged_in(outsider).get(url(workspace)).status_code == 404


def test_an_event_can_be_neither_changed_nor_deleted(owner_and_events):
    event = AuditEvent.objects.first()
    event.verb = "nothing.happened"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(verb="nothing.happened").count() == 0


def test_bulk_changes_are_refused_too(owner_and_events):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(verb="nothing.happened")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_on_postgresql_the_database_itself_refuses_to_change_an_event(owner_and_events):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET verb = 'nothing.happened'")
