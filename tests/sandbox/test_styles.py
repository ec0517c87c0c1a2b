"""Custom styles: created from references, then listed, read and deleted (OpenAPI)."""

from __future__ import annotations

from datetime import datetime

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
