"""The spend page: units and dollars by day, project, person and tool, budgets per
project, and the warnings at 80 % and 100 %, on the page and by email."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from recraft_studio.audit.ledger import ledger_charge, month_of, month_start
from recraft_studio.audit.models import AuditEvent, BudgetAlert
from recraft_studio.audit.services import audit_record, budget_alerts_check
from recraft_studio.audit.signals import spend_recorded
from recraft_studio.workspaces.models import Project, Role
from recraft_studio.workspaces.services import project_budget_set
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def charge(workspace, units, *, project=None, actor=None, operation="generate", images=1):
    event = audit_record(
        workspace=workspace,
        project=project,
        actor=actor,
        verb="job.charged",
        actual_cost=units,
        data={"operation": operation, "images": images},
    )
    ledger_charge(
        event=event,
        user_id=actor.pk if actor else None,
        operation=operation,
        charged=units,
        images=images,
    )
    return event


@pytest.fixture
def studio(member, logged_in):
    olga, owner = member(Role.OWNER, username="olga")
    workspace = owner.workspace
    dana, designer = member(Role.DESIGNER, workspace=workspace, username="dana")
    launch = ProjectFactory(workspace=workspace, name="Launch")
    autumn = ProjectFactory(workspace=workspace, name="Autumn")
    charge(workspace, 800, project=launch, actor=dana, images=2)
    charge(workspace, 240, project=launch, actor=olga, operation="vectorize")
    charge(workspace, 400, project=autumn, actor=dana, operation="inpaint")
    return {
        "workspace": workspace,
        "owner": owner,
        "designer": designer,
        "launch": launch,
        "autumn": autumn,
        "client": logged_in(olga),
    }


def spend_url(studio, **params):
    url = reverse("spend", args=[studio["workspace"].slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_the_spend_page_breaks_the_month_down_by_project_person_and_tool(studio):
    response = studio["client"].get(spend_url(studio))

    assert response.status_code == 200
    report = response.context["report"]
    assert report.charged == 1440 and report.usd == 1.44
    assert [(r.label, r.units) for r in report.by_project] == [("Launch", 1040), ("Autumn", 400)]
    assert [(r.label, r.units, r.images) for r in report.by_person] == [
        ("dana", 1200, 3),
        ("olga", 240, 1),
    ]
    assert [(r.label, r.units) for r in report.by_tool] == [
        ("Generate", 800),
        ("Inpaint", 400),
        ("Vectorize", 240),
    ]
    today = timezone.now().date()
    assert dict(report.days)[today] == 1440
    assert report.cumulative[today.day - 1] == 1440
    html = response.content.decode()
    assert "$1.44" in html or "about $1.44" in html
    for kind in ("cumulative", "days", "projects", "people", "tools"):
        assert f'data-testid="chart-{kind}"' in html


def test_the_page_costs_the_same_queries_however_much_was_spent(
    studio, django_assert_max_num_queries
):
    client = studio["client"]
    client.get(spend_url(studio))
    with django_assert_max_num_queries(14) as few:
        client.get(spend_url(studio))
    for i in range(20):
        project = ProjectFactory(workspace=studio["workspace"])
        charge(studio["workspace"], 10 + i, project=project, actor=studio["designer"].user)
    with django_assert_max_num_queries(len(few)):
        client.get(spend_url(studio))


def test_each_chart_is_an_svg_with_no_script_and_the_budget_line(studio):
    studio["workspace"].monthly_budget = 5000
    studio["workspace"].save()
    url = reverse("spend_chart", args=[studio["workspace"].slug, "cumulative"])
    response = studio["client"].get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]
    svg = response.content.decode()
    assert "<script" not in svg
    assert "Monthly budget" in svg and "Charged" in svg
    people = (
        studio["client"]
        .get(reverse("spend_chart", args=[studio["workspace"].slug, "people"]))
        .content.decode()
    )
    assert "dana" in people and "olga" in people
    assert (
        studio["client"]
        .get(reverse("spend_chart", args=[studio["workspace"].slug, "nonsense"]))
        .status_code
        == 404
    )


def test_an_earlier_month_shows_that_months_spend(studio):
    last_month = month_start() - timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=last_month):
        charge(studio["workspace"], 123, project=studio["autumn"])
    response = studio["client"].get(spend_url(studio, month=f"{last_month:%Y-%m}"))
    assert response.context["report"].charged == 123
    bad = studio["client"].get(spend_url(studio, month="2026-13"))
    assert bad.status_code == 200 and bad.context["month"] == month_of()


@pytest.mark.parametrize("role", [Role.BRAND_MANAGER, Role.DESIGNER, Role.VIEWER])
def test_only_owners_see_the_spend(studio, member, logged_in, role):
    user, _ = member(role, workspace=studio["workspace"])
    client = logged_in(user)
    assert client.get(spend_url(studio)).status_code == 403
    chart = reverse("spend_chart", args=[studio["workspace"].slug, "people"])
    assert client.get(chart).status_code == 403


# --- budgets per project -----------------------------------------------------------------------


def test_an_owner_sets_a_projects_budget_on_the_spend_page(studio):
    response = studio["client"].post(
        spend_url(studio), {"project": studio["launch"].pk, "monthly_budget": "2000"}
    )
    assert response.status_code == 302
    studio["launch"].refresh_from_db()
    assert studio["launch"].monthly_budget == 2000
    event = AuditEvent.objects.get(verb="project.budget_set")
    assert event.data == {"from": None, "to": 2000}
    page = studio["client"].get(spend_url(studio))
    (row,) = [r for r in page.context["report"].by_project if r.label == "Launch"]
    assert row.budget == 2000 and row.percent == 52


def test_a_bad_project_budget_is_an_error_on_the_field(studio):
    response = studio["client"].post(
        spend_url(studio), {"project": studio["launch"].pk, "monthly_budget": "-5"}
    )
    assert response.status_code == 200
    assert "Monthly budget (API units) must be at least 1." in response.content.decode()
    studio["launch"].refresh_from_db()
    assert studio["launch"].monthly_budget is None


def test_a_designer_cannot_set_a_project_budget(studio, logged_in):
    client = logged_in(studio["designer"].user)
    response = client.post(spend_url(studio), {"project": studio["launch"].pk, "monthly_budget": 1})
    assert response.status_code == 403
    with pytest.raises(Exception, match="Only owners"):
        project_budget_set(membership=studio["designer"], project=studio["launch"], budget=1)


# --- warnings ---------------------------------------------------------------------------------


def test_owners_are_emailed_once_at_80_and_once_at_100_percent(studio, mailoutbox):
    workspace = studio["workspace"]
    workspace.monthly_budget = 1800  # 1,440 charged: 80 %
    workspace.save()

    made = budget_alerts_check(workspace_id=workspace.pk)

    assert [a.threshold for a in made] == [80]
    (mail,) = mailoutbox
    assert mail.to == [studio["owner"].user.email]
    assert "has used 80 % of its monthly budget" in mail.subject
    assert "1,440 of its 1,800-unit monthly budget" in mail.body
    assert budget_alerts_check(workspace_id=workspace.pk) == []  # once
    charge(workspace, 400, project=studio["autumn"])
    assert [a.threshold for a in budget_alerts_check(workspace_id=workspace.pk)] == [100]
    assert len(mailoutbox) == 2 and "has used its monthly budget" in mailoutbox[1].subject
    assert list(
        AuditEvent.objects.filter(verb="budget.warning").values_list("data__threshold", flat=True)
    ) == [100, 80]


def test_a_projects_budget_warns_for_that_project(studio, mailoutbox):
    studio["launch"].monthly_budget = 1000  # 1,040 charged
    studio["launch"].save()
    made = budget_alerts_check(workspace_id=studio["workspace"].pk, project_id=studio["launch"].pk)
    assert sorted(a.threshold for a in made) == [80, 100]
    assert all(a.project_id == studio["launch"].pk for a in made)
    (mail,) = mailoutbox  # one email, for the higher threshold
    assert mail.subject.startswith("Launch (")


def test_each_charge_checks_the_budgets_in_a_worker_when_there_are_budgets(studio):
    def send():
        spend_recorded.send(
            sender=None,
            workspace_id=studio["workspace"].pk,
            project_id=studio["launch"].pk,
            month=month_of(),
        )

    with mock.patch("recraft_studio.audit.tasks.budget_alerts_check_task.delay") as delay:
        send()  # no budget anywhere: nothing to check
        Project.objects.filter(pk=studio["launch"].pk).update(monthly_budget=5000)
        send()
    delay.assert_called_once_with(studio["workspace"].pk, studio["launch"].pk)


def test_pages_where_people_spend_warn_at_80_and_100_percent(studio, logged_in):
    workspace, launch = studio["workspace"], studio["launch"]
    dana = logged_in(studio["designer"].user)
    project_page = reverse("project", args=[workspace.slug, launch.slug])
    assert 'data-testid="budget-warning"' not in dana.get(project_page).content.decode()

    Project.objects.filter(pk=launch.pk).update(monthly_budget=1200)  # 1,040: 87 %
    html = dana.get(project_page).content.decode()
    assert "87 % of the monthly budget of the project “Launch” is used" in html

    workspace.monthly_budget = 1440
    workspace.save()
    html = dana.get(project_page).content.decode()
    assert "The monthly budget of the workspace is used up" in html
    assert "Jobs that would go past it are refused." in html
    home = dana.get(reverse("workspace", args=[workspace.slug])).content.decode()
    assert "The monthly budget of the workspace is used up" in home


def test_budget_alert_rows_are_unique_per_month_and_threshold(studio):
    workspace = studio["workspace"]
    BudgetAlert.objects.create(
        workspace=workspace, month=month_of(), threshold=80, spent=1, budget=1
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetAlert.objects.create(
            workspace=workspace, month=month_of(), threshold=80, spent=1, budget=1
        )
