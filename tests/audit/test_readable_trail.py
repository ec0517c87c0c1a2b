"""The audit trail a person can read: sentences, links, before and after, filters, exports."""

import csv
import io
import json

import pytest
from django.urls import reverse

from recraft_studio.assets import services as library
from recraft_studio.audit.models import AuditEvent
from recraft_studio.audit.sentences import describe, verb_label
from recraft_studio.audit.services import audit_record
from recraft_studio.workspaces import services as workspaces
from recraft_studio.workspaces.models import Role
from tests.assets.test_gallery import make_assets
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(member, logged_in):
    dana, owner = member(Role.OWNER, username="dana")
    workspace = owner.workspace
    _, lee = member(Role.DESIGNER, workspace=workspace, username="lee")
    project = ProjectFactory(workspace=workspace, name='=HYPERLINK("http://x","launch")')
    return {"owner": owner, "lee": lee, "project": project, "client": logged_in(dana)}


def url(t):
    return reverse("audit_trail", args=[t["owner"].workspace.slug])


def rows(response):
    return [(e, said) for e, said in response.context["rows"]]


def test_a_role_change_reads_as_a_sentence_with_before_and_after(trail):
    workspaces.membership_change_role(membership=trail["owner"], member=trail["lee"], role="viewer")

    response = trail["client"].get(url(trail))

    (event, said), *_ = rows(response)
    assert said.text == "dana changed lee’s role from designer to viewer"
    assert [(c.label, c.before, c.after) for c in said.changes] == [("Role", "designer", "viewer")]
    html = response.content.decode()
    members = reverse("members", args=[trail["owner"].workspace.slug])
    assert f'<a href="{members}">lee’s</a>' in html
    assert "<del>designer</del> → <ins>viewer</ins>" in html
    assert "<code>membership.role_changed</code>" not in html


def test_image_events_link_to_the_image_and_name_it(trail):
    (asset,) = make_assets(trail["project"], 1, user=trail["owner"].user, prompt="A red kite")
    library.assets_transition(membership=trail["owner"], assets=[asset], action="approve")
    library.assets_move(
        membership=trail["owner"],
        assets=[asset],
        project=ProjectFactory(workspace=trail["owner"].workspace, name="Autumn"),
    )
    said = {e.verb: s for e, s in rows(trail["client"].get(url(trail)))}
    approved = said["asset.approved"]
    assert approved.text == "dana approved “A red kite”"
    assert f'<a href="/assets/{asset.pk}/">“A red kite”</a>' in approved.html
    moved = said["asset.moved"]
    assert moved.text == 'dana moved “A red kite” from =HYPERLINK("http://x","launch") to Autumn'
    assert [(c.label, c.after) for c in moved.changes] == [("Project", "Autumn")]


def test_a_sentence_escapes_what_people_typed(trail):
    audit_record(
        workspace=trail["owner"].workspace,
        actor=trail["owner"].user,
        verb="collection.created",
        data={"name": "<script>alert(1)</script>"},
    )
    html = trail["client"].get(url(trail)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_verbs_nobody_taught_the_trail_still_read(trail):
    audit_record(
        workspace=trail["owner"].workspace,
        actor=trail["owner"].user,
        verb="queue.drained",
        data={"reason": "maintenance"},
    )
    audit_record(workspace=trail["owner"].workspace, verb="signin.failed", data={"username": "bob"})
    audit_record(
        workspace=trail["owner"].workspace, verb="membership.role_changed", data={"odd": 1}
    )
    said = [s.text for _, s in rows(trail["client"].get(url(trail)))]
    assert said[2] == "Queue drained by dana: maintenance"
    assert said[1] == "A sign-in as “bob” failed"
    assert said[0]  # odd data: a readable fallback, never a 500
    assert verb_label("asset.review_requested") == "Image review requested"
    assert verb_label("job.retried") == "Job retried"


def test_every_verb_the_studio_records_has_its_own_sentence():
    """A new verb gets a sentence in audit/sentences.py (the fallback is for others' code)."""
    import pathlib
    import re

    from recraft_studio.audit.sentences import _SENTENCES

    root = pathlib.Path(__file__).resolve().parents[2] / "recraft_studio"
    recorded = set()
    for path in root.rglob("*.py"):
        recorded |= set(re.findall(r'verb="([a-z_]+\.[a-z_]+)"', path.read_text()))
        recorded |= set(re.findall(r'"(asset\.[a-z_]+)"', path.read_text()))
        recorded |= set(re.findall(r'VERB = "([a-z_]+\.[a-z_]+)"', path.read_text()))
    missing = sorted(v for v in recorded if v not in _SENTENCES)
    assert not missing, f"Write a sentence for {missing}"


def test_the_trail_filters_by_person_action_and_object(trail):
    a, b = make_assets(trail["project"], 2, user=trail["owner"].user)
    library.assets_transition(membership=trail["owner"], assets=[a, b], action="approve")
    library.assets_transition(membership=trail["lee"], assets=[a], action="request_review")
    library.favourite_set(membership=trail["lee"], asset=a, on=True)
    client = trail["client"]

    about_a = client.get(url(trail), {"target": f"asset:{a.pk}"})
    assert {e.target_id for e, _ in rows(about_a)} == {str(a.pk)}
    assert 'data-testid="target-notice"' in about_a.content.decode()
    by_action = client.get(url(trail), {"verb": "asset.approved"})
    assert len(rows(by_action)) == 2
    images = client.get(url(trail), {"target_type": "asset"})
    assert {e.target_type for e, _ in rows(images)} == {"asset"}
    by_person = client.get(url(trail), {"actor": "dana", "verb": "asset.approved"})
    assert len(rows(by_person)) == 2
    # A malformed object filter is ignored, not an error.
    assert client.get(url(trail), {"target": "'; drop table"}).status_code == 200


def test_the_csv_escapes_formulas_and_writes_details_as_json(trail):
    (asset,) = make_assets(trail["project"], 1, user=trail["owner"].user, prompt="=1+1")
    library.assets_transition(membership=trail["owner"], assets=[asset], action="approve")

    response = trail["client"].get(url(trail), {"format": "csv"})

    rows_ = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (row,) = [r for r in rows_ if r["action"] == "asset.approved"]
    assert row["project"] == '\'=HYPERLINK("http://x","launch")'
    assert row["what_happened"] == "dana approved “=1+1”"
    details = json.loads(row["details"])
    assert details["prompt"] == "=1+1" and details["to"] == "approved"
    assert row["changes"] == "State: draft → approved"
    for r in rows_:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_the_trail_exports_as_json_lines(trail):
    workspaces.membership_change_role(membership=trail["owner"], member=trail["lee"], role="viewer")
    response = trail["client"].get(url(trail), {"format": "jsonl"})
    assert response["Content-Type"].startswith("application/jsonl")
    lines = b"".join(response.streaming_content).decode().splitlines()
    records = [json.loads(line) for line in lines]
    (record,) = [r for r in records if r["action"] == "membership.role_changed"]
    assert record["what_happened"] == "dana changed lee’s role from designer to viewer"
    assert record["changes"] == [{"field": "Role", "before": "designer", "after": "viewer"}]
    assert record["data"]["from"] == "designer" and record["target"]["type"] == "membership"


def test_project_defaults_changes_show_before_and_after(trail):
    workspaces.project_defaults_set(
        membership=trail["owner"], project=trail["project"], model="recraftv3", size="1024x1024"
    )
    workspaces.project_defaults_set(
        membership=trail["owner"], project=trail["project"], model="recraftv2", size="1024x1024"
    )
    event = AuditEvent.objects.filter(verb="project.defaults_changed").order_by("-id").first()
    assert [(c.label, c.before, c.after) for c in describe(event).changes] == [
        ("Model", "recraftv3", "recraftv2")
    ]
