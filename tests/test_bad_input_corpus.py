"""The bad-input corpus: malformed and hostile input at every form, upload and URL.

Each case must end in a field error (a bound form with errors) or a 4xx: never a
500, never a call to the API (the sandbox's request log stays empty: reading the
balance with GET /users/me, which the settings page shows, costs nothing and is
not counted), never a job, an asset or a style, and never a byte left in storage.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django import forms
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from recraft_studio.assets.models import Asset
from recraft_studio.brand.models import BrandStyle, Palette
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces import services as workspace_services
from recraft_studio.workspaces.models import Invitation, Project, Role
from tests.assets.conftest import store_asset
from tests.brand.factories import BrandStyleFactory, PaletteFactory
from tests.factories import PASSWORD, MembershipFactory, ProjectFactory, UserFactory
from tests.images import mask, png

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


# --- hostile files ---------------------------------------------------------------------------


def _encoded(fmt: str, size=(400, 300), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 60) if mode == "RGB" else 0).save(out, fmt, **save)
    return out.getvalue()


def bomb(side=10_000) -> bytes:
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def cut(data: bytes, keep: float = 0.6) -> bytes:
    return data[: int(len(data) * keep)]


def bad_crc(data: bytes) -> bytes:
    """A PNG whose first IDAT chunk has a wrong checksum."""
    at = data.index(b"IDAT")
    length = int.from_bytes(data[at - 4 : at], "big")
    crc_at = at + 4 + length
    return data[:crc_at] + bytes(b ^ 0xFF for b in data[crc_at : crc_at + 4]) + data[crc_at + 4 :]


SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">'
    b"<script>alert(document.cookie)</script></svg>"
)
XML_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">'
    b"<text>&b;</text></svg>"
)


def file(data: bytes, name="upload.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- the world every case runs in ----------------------------------------------------------


@dataclass
class World:
    client: Client
    anonymous: Client
    owner: object
    workspace: object
    project: object
    source: object
    style: object
    foreign_palette: object
    foreign_project: object
    invitation_path: str


@pytest.fixture
def world(fresh_sandbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = MembershipFactory(user=UserFactory(username="olga"), role=Role.OWNER)
    workspace = owner.workspace
    project = ProjectFactory(workspace=workspace, slug="launch")
    source = store_asset(project=project, user=owner.user, data=png(640, 480))
    style = BrandStyleFactory(workspace=workspace)
    foreign = MembershipFactory(role=Role.OWNER).workspace
    workspace_services.invitation_create(
        membership=owner,
        email="newbie@example.com",
        role=Role.DESIGNER,
        accept_url=lambda token: f"/invitations/{token}/",
    )
    path = mail.outbox[-1].body.split("/invitations/", 1)[1].split()[0]
    client = Client()
    client.force_login(owner.user)
    return World(
        client=client,
        anonymous=Client(),
        owner=owner,
        workspace=workspace,
        project=project,
        source=source,
        style=style,
        foreign_palette=PaletteFactory(workspace=foreign),
        foreign_project=ProjectFactory(workspace=foreign),
        invitation_path=f"/invitations/{path}",
    )


@dataclass
class Case:
    name: str
    url: Callable[[World], str]
    data: Callable[[World], dict] | dict | None = None
    method: str = "post"
    anonymous: bool = False
    extra: dict = field(default_factory=dict)


def project_url(w):
    return reverse("project", args=[w.workspace.slug, w.project.slug])


def upload_url(w):
    return reverse("asset_upload", args=[w.workspace.slug, w.project.slug])


def tool(op):
    return lambda w: reverse("asset_edit", args=[w.source.pk, op])


def style_url(w):
    return reverse("brand_style_create", args=[w.workspace.slug])


def palette_url(w):
    return reverse("palette_create", args=[w.workspace.slug])


def settings_url(w):
    return reverse("workspace_settings", args=[w.workspace.slug])


GOOD = {"prompt": "a red panda", "model": "recraftv3", "style": "realistic_image"}
GOOD |= {"size": "1024x1024", "n": "1"}


def gen(**fields):
    return {**GOOD, **fields}


def layout(lines):
    return gen(text_layout=lines)


CASES = [
    # --- the generation form --------------------------------------------------------------
    Case("generate: no prompt", project_url, gen(prompt="")),
    Case("generate: blank prompt", project_url, gen(prompt="   \n ")),
    Case("generate: 1001-byte prompt", project_url, gen(prompt="x" * 1001)),
    Case("generate: multibyte prompt over 1000 bytes", project_url, gen(prompt="ß" * 501)),
    Case("generate: NUL in the prompt", project_url, gen(prompt="panda\x00")),
    Case("generate: n=0", project_url, gen(n="0")),
    Case("generate: n=7", project_url, gen(n="7")),
    Case("generate: n=-1", project_url, gen(n="-1")),
    Case("generate: n is text", project_url, gen(n="six")),
    Case("generate: n is huge", project_url, gen(n="9" * 40)),
    Case("generate: unknown model", project_url, gen(model="recraftv9")),
    Case("generate: unknown style", project_url, gen(style="<script>")),
    Case("generate: substyle of another style", project_url, gen(substyle="pixel_art")),
    Case("generate: unknown size", project_url, gen(size="99999x99999")),
    Case("generate: artistic level 9", project_url, gen(artistic_level="9")),
    Case("generate: 20 KB negative prompt", project_url, gen(negative_prompt="blur " * 4000)),
    Case("generate: box at -500 %", project_url, layout("SALE -500 10 20 5")),
    Case("generate: box 2000 % wide", project_url, layout("SALE 10 10 2000 5")),
    Case("generate: box outside the image", project_url, layout("SALE 120 120 10 10")),
    Case(
        "generate: 2000 text-layout lines",
        project_url,
        layout("\n".join(f"W{i} 10 10 5 5" for i in range(2000))),
    ),
    Case(
        "generate: 51 words",
        project_url,
        layout("\n".join(f"W{i} 10 10 5 5" for i in range(51))),
    ),
    Case("generate: unsupported character", project_url, layout("CAFÉ 10 10 20 5")),
    Case("generate: NaN box", project_url, layout("SALE nan 10 20 5")),
    Case("generate: infinite box", project_url, layout("SALE inf 10 20 5")),
    Case("generate: three numbers", project_url, layout("SALE 10 10 20")),
    Case("generate: words on V2", project_url, gen(model="recraftv2", text_layout="A 1 1 5 5")),
    Case("generate: negative seed", project_url, gen(random_seed="-1")),
    Case("generate: seed past 32 bits", project_url, gen(random_seed=str(2**32))),
    Case("generate: seed is text", project_url, gen(random_seed="1e9")),
    Case(
        "generate: another workspace's palette",
        project_url,
        lambda w: gen(palette=str(w.foreign_palette.pk)),
    ),
    Case("generate: unknown brand style", project_url, gen(style="brand:999999")),
    # --- the tools ------------------------------------------------------------------------
    Case("inpaint: no mask", tool("inpaint"), {"prompt": "a hat", "n": "1"}),
    Case(
        "inpaint: truncated mask",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(cut(mask(640, 480)))},
    ),
    Case(
        "inpaint: mask of another size",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(mask(300, 300))},
    ),
    Case(
        "inpaint: grey mask",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(mask(640, 480, values=(0, 128)))},
    ),
    Case(
        "inpaint: colour mask",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(png(640, 480))},
    ),
    Case(
        "inpaint: text as mask",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(b"not a mask at all")},
    ),
    Case(
        "inpaint: empty mask file",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(b"")},
    ),
    Case(
        "inpaint: SVG mask with script",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(SVG_SCRIPT, "m.svg")},
    ),
    Case(
        "inpaint: bomb mask",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(bomb())},
    ),
    Case(
        "inpaint: all-black mask",
        tool("inpaint"),
        lambda w: {"prompt": "a hat", "n": "1", "mask": file(mask(640, 480, values=(0, 0)))},
    ),
    Case(
        "erase region: truncated mask",
        tool("erase_region"),
        lambda w: {"mask": file(cut(mask(640, 480), 0.4))},
    ),
    Case(
        "erase region: PNG with a broken checksum",
        tool("erase_region"),
        lambda w: {"mask": file(bad_crc(mask(640, 480)))},
    ),
    Case("image to image: strength 2", tool("image_to_image"), {"prompt": "x", "strength": "2"}),
    Case(
        "image to image: strength NaN", tool("image_to_image"), {"prompt": "x", "strength": "nan"}
    ),
    Case("image to image: no prompt", tool("image_to_image"), {"prompt": "", "strength": "0.5"}),
    Case("replace background: n=100", tool("replace_background"), {"prompt": "x", "n": "100"}),
    Case(
        "replace background: 20 KB negative prompt",
        tool("replace_background"),
        {"prompt": "x", "n": "1", "negative_prompt": "n" * 20_000},
    ),
    Case("variations: unknown size", tool("variate"), {"size": "1x1", "n": "1"}),
    Case(
        "variations: GIF output",
        tool("variate"),
        {"size": "1024x1024", "n": "1", "image_format": "gif"},
    ),
    Case("tool: unknown operation", tool("teleport"), {}),
    Case("tool: style creation is no tool", tool("create_style"), {}),
    Case("tool: path traversal as operation", tool("..%2F..%2Fadmin"), {}),
    # --- uploads --------------------------------------------------------------------------
    Case("upload: truncated PNG", upload_url, lambda w: {"file": file(cut(png(800, 600)))}),
    Case(
        "upload: truncated JPEG",
        upload_url,
        lambda w: {"file": file(cut(_encoded("JPEG")), "a.jpg")},
    ),
    Case(
        "upload: PNG with a broken checksum", upload_url, lambda w: {"file": file(bad_crc(png()))}
    ),
    Case("upload: 10,000 × 10,000 in 100 KB", upload_url, lambda w: {"file": file(bomb())}),
    Case("upload: text file", upload_url, lambda w: {"file": file(b"hello", "notes.png")}),
    Case("upload: empty file", upload_url, lambda w: {"file": file(b"")}),
    Case("upload: SVG with script", upload_url, lambda w: {"file": file(SVG_SCRIPT, "x.svg")}),
    Case("upload: XML entity bomb", upload_url, lambda w: {"file": file(XML_BOMB, "x.svg")}),
    Case("upload: HTML named .png", upload_url, lambda w: {"file": file(b"<html><script>")}),
    Case("upload: 20 × 20 pixels", upload_url, lambda w: {"file": file(png(20, 20))}),
    Case(
        "upload: truncated GIF (convertible if whole)",
        upload_url,
        lambda w: {"file": file(cut(_encoded("GIF", (600, 400)), 0.5), "a.gif")},
    ),
    Case(
        "upload: truncated BMP",
        upload_url,
        lambda w: {"file": file(cut(_encoded("BMP", (600, 400)), 0.5), "a.bmp")},
    ),
    Case("upload: nothing", upload_url, {}),
    Case("upload: forged offer", upload_url, {"pending": "forged:token"}),
    Case("upload: offer of no upload", upload_url, {"pending": "e30:1sdf:abc"}),
    # --- brand styles ---------------------------------------------------------------------
    Case("style: no references", style_url, {"name": "S", "base_style": "icon"}),
    Case(
        "style: six references",
        style_url,
        lambda w: {"name": "S", "base_style": "icon", "references": [file(png())] * 6},
    ),
    Case(
        "style: 81-megapixel reference",
        style_url,
        lambda w: {"name": "S", "base_style": "icon", "references": [file(bomb(9000))]},
    ),
    Case(
        "style: truncated reference",
        style_url,
        lambda w: {"name": "S", "base_style": "icon", "references": [file(cut(png()))]},
    ),
    Case(
        "style: text as reference",
        style_url,
        lambda w: {"name": "S", "base_style": "icon", "references": [file(b"abc")]},
    ),
    Case(
        "style: GIF reference",
        style_url,
        lambda w: {"name": "S", "base_style": "icon", "references": [file(_encoded("GIF"))]},
    ),
    Case(
        "style: unknown base style",
        style_url,
        lambda w: {"name": "S", "base_style": "logo", "references": [file(png())]},
    ),
    Case(
        "style: 101-character name",
        style_url,
        lambda w: {"name": "S" * 101, "base_style": "icon", "references": [file(png())]},
    ),
    Case(
        "style: blank name",
        style_url,
        lambda w: {"name": "  ", "base_style": "icon", "references": [file(png())]},
    ),
    # --- palettes ---------------------------------------------------------------------------
    Case("palette: not a colour", palette_url, {"name": "P", "color": ["not-a-colour"]}),
    Case("palette: no colour", palette_url, {"name": "P", "color": [""]}),
    Case("palette: thirteen colours", palette_url, {"name": "P", "color": ["#123456"] * 13}),
    Case("palette: colour 300, 0, 0", palette_url, {"name": "P", "color": ["300, 0, 0"]}),
    Case(
        "palette: bad background", palette_url, {"name": "P", "color": ["#fff"], "background": "x"}
    ),
    Case("palette: 101-character name", palette_url, {"name": "P" * 101, "color": ["#fff"]}),
    Case(
        "palette: extract from text",
        lambda w: reverse("palette_extract", args=[w.workspace.slug]),
        lambda w: {"image": file(b"plain text"), "count": "5"},
    ),
    Case(
        "palette: extract from nothing",
        lambda w: reverse("palette_extract", args=[w.workspace.slug]),
        {"count": "5"},
    ),
    Case(
        "palette: extract from someone else's image",
        lambda w: reverse("palette_extract", args=[w.workspace.slug]),
        {"asset": str(uuid.uuid4()), "count": "5"},
    ),
    Case(
        "palette: extract 99 colours",
        lambda w: reverse("palette_extract", args=[w.workspace.slug]),
        lambda w: {"image": file(png()), "count": "99"},
    ),
    # --- projects, members, settings --------------------------------------------------------
    Case(
        "project: 2 MB description",
        lambda w: reverse("workspace", args=[w.workspace.slug]),
        {"name": "P", "description": "x" * 2_000_000},
    ),
    Case(
        "project: 101-character name",
        lambda w: reverse("workspace", args=[w.workspace.slug]),
        {"name": "P" * 101},
    ),
    Case("project: no name", lambda w: reverse("workspace", args=[w.workspace.slug]), {"name": ""}),
    Case(
        "project defaults: unknown style",
        lambda w: reverse("project_settings", args=[w.workspace.slug, w.project.slug]),
        {"style": "<img src=x>", "model": "recraftv3"},
    ),
    Case(
        "project defaults: another workspace's palette",
        lambda w: reverse("project_settings", args=[w.workspace.slug, w.project.slug]),
        lambda w: {"palette": str(w.foreign_palette.pk)},
    ),
    Case(
        "invite: not an address",
        lambda w: reverse("members", args=[w.workspace.slug]),
        {"email": "not an address", "role": "designer"},
    ),
    Case(
        "invite: 300-character address",
        lambda w: reverse("members", args=[w.workspace.slug]),
        {"email": "a" * 288 + "@example.com", "role": "designer"},
    ),
    Case(
        "invite: unknown role",
        lambda w: reverse("members", args=[w.workspace.slug]),
        {"email": "x@example.com", "role": "superuser"},
    ),
    Case("api token: spaces", settings_url, {"api_token": "abc def ghi jkl"}),
    Case("api token: too short", settings_url, {"api_token": "abc"}),
    Case("api token: 10 KB", settings_url, {"api_token": "a" * 10_000}),
    Case("budget: negative", settings_url, {"action": "budget", "monthly_budget": "-5"}),
    Case("budget: past the cap", settings_url, {"action": "budget", "monthly_budget": "10" * 9}),
    Case("budget: text", settings_url, {"action": "budget", "monthly_budget": "lots"}),
    # --- accounts ---------------------------------------------------------------------------
    Case(
        "sign-up: passwords differ",
        lambda w: w.invitation_path,
        {"username": "nina", "password1": "a long pass phrase 7", "password2": "other"},
        anonymous=True,
    ),
    Case(
        "sign-up: common password",
        lambda w: w.invitation_path,
        {"username": "nina", "password1": "password123", "password2": "password123"},
        anonymous=True,
    ),
    Case(
        "sign-up: 151-character username",
        lambda w: w.invitation_path,
        {
            "username": "n" * 151,
            "password1": "a long pass phrase 7",
            "password2": "a long pass phrase 7",
        },
        anonymous=True,
    ),
    Case(
        "sign-up: username with a slash",
        lambda w: w.invitation_path,
        {
            "username": "a/b",
            "password1": "a long pass phrase 7",
            "password2": "a long pass phrase 7",
        },
        anonymous=True,
    ),
    Case(
        "sign-in: 10 KB username",
        lambda w: reverse("login"),
        {"username": "u" * 10_000, "password": "x"},
        anonymous=True,
    ),
    Case(
        "sign-in: NUL in the username",
        lambda w: reverse("login"),
        {"username": "olga\x00", "password": PASSWORD},
        anonymous=True,
    ),
    Case(
        "password change: wrong old password",
        lambda w: reverse("password_change"),
        {"old_password": "nope", "new_password1": "x" * 12, "new_password2": "x" * 12},
    ),
    Case(
        "password change: numeric new password",
        lambda w: reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "1234567890123",
            "new_password2": "1234567890123",
        },
    ),
    # --- URLs ---------------------------------------------------------------------------------
    Case("url: remix is not an id", lambda w: tool("vectorize")(w) + "?remix=abc", method="get"),
    Case("url: remix is SQL", lambda w: tool("vectorize")(w) + "?remix=1'--", method="get"),
    Case("url: an asset id that is not a UUID", lambda w: "/assets/123/", method="get"),
    Case("url: an asset that does not exist", lambda w: f"/assets/{uuid.uuid4()}/", method="get"),
    Case(
        "url: a job input outside the job",
        lambda w: f"/jobs/{uuid.uuid4()}/inputs/..%2F..%2Fsettings.py",
        method="get",
    ),
    Case("url: an invitation that does not exist", lambda w: "/invitations/x/", method="get"),
    Case(
        "url: a forged email confirmation",
        lambda w: reverse("email_verify", args=["forged"]),
        method="get",
    ),
    Case(
        "url: another workspace's project",
        lambda w: reverse(
            "project", args=[w.foreign_project.workspace.slug, w.foreign_project.slug]
        ),
        method="get",
    ),
    Case(
        "url: a reference of a style that does not exist",
        lambda w: reverse("brand_style_reference_thumb", args=[w.workspace.slug, 999999, 1]),
        method="get",
    ),
    Case(
        "url: a request body past the limit",
        upload_url,
        {},
        extra={"CONTENT_LENGTH": str(settings.MAX_REQUEST_BYTES + 1)},
    ),
    Case(
        "url: a Content-Length that is not a number", upload_url, {}, extra={"CONTENT_LENGTH": "x"}
    ),
]


def test_the_corpus_is_large_and_every_name_is_unique():
    assert len(CASES) >= 80
    assert len({c.name for c in CASES}) == len(CASES)


def stored_keys(s3) -> set[str]:
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.S3_BUCKET):
        keys |= {item["Key"] for item in page.get("Contents", [])}
    return keys


def forms_with_errors(response) -> list[str]:
    if response.context is None:
        return []
    contexts = response.context if isinstance(response.context, list) else [response.context]
    found = []
    for context in contexts:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
                found += [f"{name}: {errors[0]}" for name, errors in value.errors.items()]
    return found


def counts():
    return (
        Job.objects.count(),
        Asset.objects.count(),
        BrandStyle.objects.count(),
        Palette.objects.count(),
        Project.objects.count(),
        Invitation.objects.count(),
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_field_error_or_4xx_and_costs_nothing(world, fresh_sandbox, s3, case):
    before_keys, before_counts = stored_keys(s3), counts()
    client = world.anonymous if case.anonymous else world.client
    url = case.url(world)
    data = case.data(world) if callable(case.data) else case.data
    if case.method == "get":
        response = client.get(url, **case.extra)
    else:
        response = client.post(url, data or {}, **case.extra)

    assert response.status_code < 500
    if not 400 <= response.status_code < 500:
        assert response.status_code == 200, f"{response.status_code} {response.get('Location')}"
        assert forms_with_errors(response), "no field error on the page"
    calls = [r for r in fresh_sandbox.requests() if not r["path"].endswith("/users/me")]
    assert calls == []
    assert counts() == before_counts
    assert stored_keys(s3) == before_keys
