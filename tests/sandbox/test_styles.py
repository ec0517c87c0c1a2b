"""Custom styles: created from references, then listed, read and deleted (OpenAPI)."""

from __future__ import annotations

from datetime import datetime

import pytest

from . import pictures


def _create(http, style="digital_illustration", **files):
    files = files or {"file1": ("ref.png", pictures.photo())}
    response = http.post("/styles", data={"style": style}, files=files)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_created_style_has_the_fields_of_the_spec(http):
    style = _create(http)

    assert set(style) == {"id", "style", "creation_time", "is_private", "credits"}
    assert style["style"] == "digital_illustration"
    assert datetime.fromisoformat(style["creation_time"].replace("Z", "+00:00"))
    assert style["is_private"] is True


def test_up_to_five_references_under_any_accepted_name_make_one_style(http, sandbox):
    files = [
        ("file1", ("a.png", pictures.photo())),
        ("file2", ("b.jpg", pictures.photo(fmt="JPEG"))),
        ("file3", ("c.webp", pictures.photo(fmt="WEBP"))),
        ("images", ("d.png", pictures.two_colour_reference())),
        ("images", ("e.png", pictures.solid(300, 300))),
    ]

    response = http.post("/styles", data={"style": "icon"}, files=files)

    assert response.status_code == 200, response.text
    received = sandbox.requests(path="/v1/styles")[-1]["files"]
    assert [f["field"] for f in received] == ["file1", "file2", "file3", "images", "images"]


def test_styles_are_listed_read_and_deleted(http):
    first, second = _create(http), _create(http, "vector_illustration")

    listed = http.get("/styles").json()["styles"]
    read = http.get(f"/styles/{second['id']}").json()
    deleted = http.delete(f"/styles/{first['id']}")
    after = http.get("/styles").json()["styles"]

    assert {s["id"] for s in listed} == {first["id"], second["id"]}
    assert read == {k: v for k, v in second.items() if k != "credits"}
    assert deleted.status_code == 200 and deleted.json() == {}
    assert [s["id"] for s in after] == [second["id"]]
    assert http.get(f"/styles/{first['id']}").status_code == 404


def test_a_deleted_style_can_no_longer_be_used(http):
    style = _create(http)
    http.delete(f"/styles/{style['id']}")

    response = http.post("/images/generations", json={"prompt": "x", "style_id": style["id"]})

    assert response.status_code == 404
    assert response.json()["field"] == "style_id"


def test_a_tokens_styles_are_its_own(http):
    _create(http)

    others = http.get("/styles", headers={"Authorization": "Bearer second-token"})

    assert others.json() == {"styles": []}


def test_a_malformed_style_id_in_the_path_is_refused(http):
    response = http.get("/styles/not-a-uuid")

    assert response.status_code == 400
    assert response.json()["field"] == "style_id"


# (fields of six references, the field a refusal names: where the sixth arrived)
SIX_REFERENCES = {
    "file1 to file6": ([f"file{i}" for i in range(1, 7)], "file6"),
    "file six times": (["file"] * 6, "file"),
    "files six times": (["files"] * 6, "files"),
    "image six times": (["image"] * 6, "image"),
    "images six times": (["images"] * 6, "images"),
    "images[] six times": (["images[]"] * 6, "images"),  # the array spelling is read as images
    "file1 to file5 and one more image": ([*(f"file{i}" for i in range(1, 6)), "image"], "image"),
}


@pytest.mark.parametrize(("fields", "named"), SIX_REFERENCES.values(), ids=list(SIX_REFERENCES))
def test_a_sixth_reference_is_refused_under_any_field_name(fields, named, http, sandbox):
    files = [(field, (f"ref{i}.png", pictures.photo())) for i, field in enumerate(fields)]

    response = http.post("/styles", data={"style": "icon"}, files=files)

    assert response.status_code == 400
    assert response.json()["field"] == named
    assert "at most 5" in response.json()["message"]
    assert sandbox.credits() == 100_000
    assert http.get("/styles").json()["styles"] == []


@pytest.mark.parametrize("field", ["file", "files", "image", "images", "images[]"])
def test_five_references_under_one_repeated_name_make_a_style(field, http):
    files = [(field, (f"ref{i}.png", pictures.photo())) for i in range(5)]

    response = http.post("/styles", data={"style": "icon"}, files=files)

    assert response.status_code == 200, response.text
