"""Headers every page carries, no inline script anywhere, and the health endpoints."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db


def test_html_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in directives["script-src"] and "unsafe" not in directives["style-src"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize(
    "template", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html"))
)
def test_no_template_has_inline_script_the_policy_would_block(template):
    text = re.sub(r"\{#.*?#\}", "", (ROOT / template).read_text())  # template comments
    assert not INLINE_SCRIPT.search(text), "move the script to a file under static/js/"
    assert not EVENT_HANDLER.search(text), "use addEventListener in a static script"
    assert "javascript:" not in text.lower()


def test_the_palette_editor_script_is_a_static_file(member, logged_in):
    from recraft_studio.workspaces.models import Role

    user, membership = member(Role.BRAND_MANAGER)
    page = logged_in(user).get(reverse("palette_create", args=[membership.workspace.slug]))
    assert '<script src="/static/js/palette-editor.js" defer></script>' in page.content.decode()
    assert (ROOT / "static" / "js" / "palette-editor.js").read_text().count("color_pick") == 0
    assert "data-color-row" in (ROOT / "static" / "js" / "palette-editor.js").read_text()


# --- health ------------------------------------------------------------------------------------


def test_liveness_answers_whatever_the_host_and_without_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["studio.example.com"]
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_readiness_checks_the_database_redis_and_storage(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "checks": {"database": "ok", "redis": "ok", "storage": "ok"},
    }


def test_readiness_fails_when_redis_does_not_answer_and_tells_no_details(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["checks"]["redis"] == "failing"
    assert body["checks"]["database"] == "ok"
    assert "Connection" not in response.content.decode()


def test_a_request_body_past_the_limit_is_refused_before_it_is_read(client):
    response = client.generic(
        "POST",
        reverse("login"),
        b"",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )
    assert response.status_code == 413
