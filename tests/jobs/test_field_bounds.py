"""Bounds on what reaches the API: a field error naming the label, nothing queued.

These are the findings of issue 9: nonsense text-layout boxes, thousands of words,
a 20 KB negative prompt, truncated masks, and a broken remix id in a tool's URL.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recraft_studio.jobs.forms import GenerateForm
from recraft_studio.jobs.models import Job
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import check_params
from tests.assets.conftest import store_asset
from tests.images import mask, png

pytestmark = pytest.mark.django_db


def generate(**fields):
    data = {"prompt": "a red panda", "model": "recraftv3", "style": "realistic_image"}
    data |= {"size": "1024x1024", "n": "1", **fields}
    return GenerateForm(data)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("SALE -500 10 20 5", "from -100 % to 200 % of the image"),
        ("SALE 10 10 2000 5", "from -100 % to 200 % of the image"),
        ("SALE 150 10 20 5", "wholly outside the image"),
        ("SALE 10 -90 20 5", "wholly outside the image"),
        ("\n".join(f"W{i} 10 10 5 5" for i in range(2000)), "at most 4000 characters"),
        ("\n".join(f"W{i} 10 10 5 5" for i in range(60)), "at most 50 words fit"),
        ("A" * 60 + " 10 10 20 5", "at most 50 characters"),
    ],
    ids=["left-500", "width-2000", "off-right", "off-top", "2000-lines", "60-words", "long"],
)
def test_text_layout_out_of_bounds_is_an_error_naming_its_label(lines, message):
    form = generate(text_layout=lines)
    assert not form.is_valid()
    error = form.errors["text_layout"][0]
    assert error.startswith("Words in the image") and message in error


def test_a_box_hanging_off_an_edge_is_fine_as_the_docs_say():
    form = generate(text_layout="SALE -20 90 50 30")
    assert form.is_valid(), form.errors
    assert form.to_params()["text_layout"][0]["bbox"][0] == [-0.2, 0.9]


def test_a_20_kb_negative_prompt_is_an_error_naming_its_label():
    form = generate(negative_prompt="blurry " * 3000)
    assert not form.is_valid()
    error = form.errors["negative_prompt"][0]
    assert error.startswith(str(form.fields["negative_prompt"].label))
    assert "21,000 bytes long; it may be at most 1,000 bytes" in error


def test_the_api_rules_shared_with_the_client_and_sandbox_apply_the_same_bounds():
    generate_op = catalog.OPERATIONS[Op.GENERATE]
    box = [[-5, 0.1], [0.2, 0.1], [0.2, 0.2], [-5, 0.2]]
    params = {
        "prompt": "x",
        "negative_prompt": "n" * 1001,
        "text_layout": [{"text": "A", "bbox": box}],
    }
    fields = {e.field for e in check_params(generate_op, params)}
    assert fields == {"negative_prompt", "text_layout[0].bbox"}
    many = [{"text": "A", "bbox": [[0, 0], [1, 0], [1, 1], [0, 1]]}] * 51
    assert check_params(generate_op, {"prompt": "x", "text_layout": many})[0].field == (
        "text_layout"
    )


def test_a_2_mb_project_description_is_an_error_naming_its_label(designer, logged_in):
    user, membership = designer
    response = logged_in(user).post(
        reverse("workspace", args=[membership.workspace.slug]),
        {"name": "Launch", "description": "x" * 2_000_000},
    )
    assert response.status_code == 200
    error = response.context["form"].errors["description"][0]
    assert error.startswith("Description may be at most 2000 characters")
    assert not membership.workspace.projects.exists()


def test_a_long_project_description_within_the_form_limit_is_an_error_naming_its_label(
    designer, logged_in
):
    user, membership = designer
    response = logged_in(user).post(
        reverse("workspace", args=[membership.workspace.slug]),
        {"name": "Launch", "description": "x" * 2001},
    )
    error = response.context["form"].errors["description"][0]
    assert error == "Description may be at most 2000 characters (this is 2001)."


# --- tools -------------------------------------------------------------------------------------


@pytest.fixture
def source(studio):
    _, user, project = studio
    return store_asset(project=project, user=user, data=png(640, 480))


@pytest.mark.parametrize("op", [Op.INPAINT, Op.ERASE_REGION])
def test_a_truncated_mask_is_an_error_on_the_mask_and_nothing_is_queued(studio, source, op):
    client, _, _ = studio
    data = mask(640, 480)
    broken = SimpleUploadedFile("mask.png", data[: len(data) // 2], content_type="image/png")
    response = client.post(
        reverse("asset_edit", args=[source.pk, str(op)]), {"prompt": "a hat", "mask": broken}
    )
    assert response.status_code == 200
    assert "damaged or incomplete" in " ".join(response.context["form"].errors["mask"])
    assert not Job.objects.exists()


@pytest.mark.parametrize("remix", ["not-a-uuid", "1", "'; DROP TABLE", "0" * 300])
def test_a_broken_remix_id_in_a_tool_url_is_not_found(studio, source, remix):
    client, _, _ = studio
    response = client.get(
        reverse("asset_edit", args=[source.pk, str(Op.VECTORIZE)]), {"remix": remix}
    )
    assert response.status_code == 404
