"""Every tool from an image's page: forms, limits, masks, costs, and what is queued."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from recraft_studio.assets import files
from recraft_studio.audit.models import AuditEvent
from recraft_studio.brand.models import BrandStyle, Palette
from recraft_studio.jobs.forms import TOOL_FORMS
from recraft_studio.jobs.models import Job
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import finished_job, store_asset
from tests.factories import ProjectFactory
from tests.images import mask, noise_png, png

TOOLS = [
    Op.IMAGE_TO_IMAGE,
    Op.INPAINT,
    Op.REPLACE_BACKGROUND,
    Op.GENERATE_BACKGROUND,
    Op.VECTORIZE,
    Op.REMOVE_BACKGROUND,
    Op.CRISP_UPSCALE,
    Op.CREATIVE_UPSCALE,
    Op.ERASE_REGION,
    Op.VARIATE,
]


def edit_url(asset, op):
    return reverse("asset_edit", args=[asset.pk, str(op)])


def upload(data, name="mask.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def post(client, asset, op, data, *, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(edit_url(asset, op), data, **headers)


@pytest.fixture
def source(studio):
    client, user, project = studio
    return store_asset(project=project, user=user, data=png(640, 480))


def test_the_image_page_offers_every_tool_with_its_price(studio, source):
    client, _, _ = studio
    body = client.get(reverse("asset", args=[source.pk])).content.decode()
    for op in TOOLS:
        assert f'data-testid="tool-{op}"' in body
        assert edit_url(source, op) in body
    assert "10 units" in body and "250 units" in body and "80 in vector styles" in body


@pytest.mark.parametrize("op", TOOLS)
def test_every_tool_page_shows_its_form_and_its_cost_before_anything_runs(studio, source, op):
    client, _, _ = studio
    response = client.get(edit_url(source, op))
    assert response.status_code == 200
    body = response.content.decode()
    spec = catalog.OPERATIONS[op]
    assert 'data-testid="tool-form"' in body
    assert f"Costs <strong>{spec.raster_price} API units</strong>" in body
    assert ('name="mask"' in body) == spec.has_mask
    assert ("data-mask-painter" in body) == spec.has_mask
    assert ('name="prompt"' in body) == spec.takes_prompt
    assert ('name="style"' in body) == spec.takes_style
    assert not Job.objects.exists()


def test_inpainting_queues_a_job_with_the_image_the_mask_and_the_source(
    studio, source, django_capture_on_commit_callbacks
):
    client, user, project = studio
    data = {
        "prompt": "a hat",
        "style": "digital_illustration",
        "n": "2",
        "mask": upload(mask(640, 480)),
    }
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, source, Op.INPAINT, data)
    assert response.status_code == 200
    job = Job.objects.get()
    assert job.operation == Op.INPAINT and job.source_asset == source and job.project == project
    assert job.created_by == user and job.status == "queued"
    seed = job.params.pop("random_seed")  # drawn by the studio, so lineage records it
    assert 0 <= seed < 2**32
    assert job.params == {
        "prompt": "a hat",
        "model": "recraftv3",
        "style": "digital_illustration",
        "n": 2,
    }
    assert set(job.inputs) == set(catalog.OPERATIONS[Op.INPAINT].files) == {"image", "mask"}
    assert files.read(job.inputs["image"]) == files.read(source.file_key)
    sent_mask = Image.open(io.BytesIO(files.read(job.inputs["mask"])))
    assert sent_mask.size == (640, 480) and sent_mask.mode == "L"
    assert job.estimated_cost == 80 and len(callbacks) == 1
    assert AuditEvent.objects.get(verb="job.submitted").estimated_cost == 80
    body = response.content.decode()
    assert (
        'id="tool-form"' in body and f'id="job-{job.id}"' in body and 'hx-swap-oob="true"' in body
    )


def test_vectorize_sends_the_image_as_file_and_nothing_else(studio, source):
    client, _, _ = studio
    post(client, source, Op.VECTORIZE, {})
    job = Job.objects.get()
    assert job.inputs.keys() == {"file"} and job.params == {}
    assert job.estimated_cost == 10 and job.n_outputs == 1


def test_variations_record_the_seed_they_were_sent_even_when_left_empty(studio, source):
    client, _, _ = studio
    post(client, source, Op.VARIATE, {"size": "1024x1024", "n": "3", "image_format": "webp"})
    job = Job.objects.get()
    assert job.params["size"] == "1024x1024" and job.params["image_format"] == "webp"
    assert job.params["n"] == 3 and job.estimated_cost == 120
    assert 0 <= job.params["random_seed"] < 2**32
    post(client, source, Op.VARIATE, {"size": "1024x1024", "n": "1", "random_seed": "42"})
    assert Job.objects.latest("created_at").params["random_seed"] == 42


def test_image_to_image_sends_strength_and_a_brand_style_as_style_id(studio, source):
    client, user, project = studio
    brand = BrandStyle.objects.create(
        workspace=project.workspace,
        name="Ink",
        base_style="vector_illustration",
        style_id="0f9c8a4e-2b7d-4c1e-9a3f-5d6e7f8a9b0c",
    )
    palette = Palette.objects.create(
        workspace=project.workspace, name="Sea", colors=[[0, 80, 160]], background=[255, 255, 255]
    )
    post(
        client,
        source,
        Op.IMAGE_TO_IMAGE,
        {
            "prompt": "winter",
            "strength": "0.3",
            "style": f"brand:{brand.pk}",
            "palette": palette.pk,
            "n": "1",
        },
    )
    job = Job.objects.get()
    assert job.params["strength"] == 0.3 and job.params["style_id"] == str(brand.style_id)
    assert "style" not in job.params and job.brand_style == brand
    assert job.params["controls"] == {
        "colors": [{"rgb": [0, 80, 160]}],
        "background_color": {"rgb": [255, 255, 255]},
    }
    assert job.estimated_cost == 80  # priced as its vector base style


@pytest.mark.parametrize(
    "op, data, field, message",
    [
        (Op.IMAGE_TO_IMAGE, {"prompt": "", "strength": "0.5", "n": "1"}, "prompt", "required"),
        (
            Op.IMAGE_TO_IMAGE,
            {"prompt": "x", "strength": "1.5", "n": "1"},
            "strength",
            "Strength: choose a number from 0",
        ),
        (
            Op.IMAGE_TO_IMAGE,
            {"prompt": "ü" * 501, "strength": "0.5", "n": "1"},
            "prompt",
            "1002 bytes",
        ),
        (Op.REPLACE_BACKGROUND, {"prompt": "beach", "n": "7"}, "n", "from 1 to 6"),
        (
            Op.REPLACE_BACKGROUND,
            {"prompt": "beach", "n": "1", "style": "icon"},
            "style",
            "Icon is not offered by Recraft V3",
        ),
        (Op.VARIATE, {"size": "999x999", "n": "1"}, "size", "Size: choose one of the options"),
        (
            Op.VARIATE,
            {"size": "1024x1024", "n": "1", "random_seed": "-4"},
            "random_seed",
            "0 to 4294967295",
        ),
        (Op.INPAINT, {"prompt": "a hat", "n": "1"}, "mask", "Paint the area"),
    ],
)
def test_bad_parameters_get_a_field_error_and_nothing_is_queued(
    studio, source, op, data, field, message
):
    client, _, _ = studio
    response = post(client, source, op, data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Job.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "bad_mask, message",
    [
        (mask(320, 240), "the image is 640 × 480"),
        (mask(640, 480, values=(0, 128)), "pure black (0) or pure white (255)"),
        (png(640, 480), "must be a grayscale image"),
        (mask(640, 480, box=(0, 0, 0, 0), values=(0, 0)), "all black"),
        (b"not a png at all", "not an image"),
    ],
)
def test_a_mask_the_api_would_refuse_is_an_error_on_the_mask(studio, source, bad_mask, message):
    client, _, _ = studio
    response = post(client, source, Op.ERASE_REGION, {"mask": upload(bad_mask)})
    assert message in response.context["form"].errors["mask"][0]
    assert not Job.objects.exists()


def test_an_image_over_the_tools_limits_is_explained_and_offered_a_scaled_copy(studio):
    client, user, project = studio
    big = store_asset(project=project, user=user, data=png(2400, 2000))  # 4.6 MP
    page = client.get(edit_url(big, Op.CRISP_UPSCALE)).content.decode()
    assert "The image is 2400 × 2000 (4.6 MP); the limit is 4 MP." in page
    assert 'name="fit"' in page and "Scale it down to 2243 × 1869" in page

    refused = post(client, big, Op.CRISP_UPSCALE, {})
    assert "Tick this to send a scaled-down copy" in refused.context["form"].errors["fit"][0]
    assert refused.content.decode().count("the limit is 4 MP") == 1
    assert not Job.objects.exists()

    post(client, big, Op.CRISP_UPSCALE, {"fit": "on"})
    job = Job.objects.get()
    sent = Image.open(io.BytesIO(files.read(job.inputs["file"])))
    assert sent.size == (2243, 1869) and sent.width * sent.height <= 4 * catalog.MEGAPIXEL
    assert job.source_asset == big  # lineage still points at the original


def test_a_mask_painted_on_the_original_is_scaled_with_the_image(studio):
    client, user, project = studio
    big = store_asset(project=project, user=user, data=png(2400, 2000))
    post(client, big, Op.ERASE_REGION, {"fit": "on", "mask": upload(mask(2400, 2000))})
    job = Job.objects.get()
    sent = Image.open(io.BytesIO(files.read(job.inputs["mask"])))
    assert sent.size == (2243, 1869) and sent.mode == "L"
    assert {value for value, count in enumerate(sent.histogram()) if count} == {0, 255}


def test_an_image_too_large_in_bytes_is_offered_a_copy_that_fits(studio):
    client, user, project = studio
    heavy = store_asset(project=project, user=user, data=noise_png(1400, 1400))  # ~5.6 MB
    page = client.get(edit_url(heavy, Op.VECTORIZE)).content.decode()
    assert "the limit is 5 MB." in page and 'name="fit"' in page
    assert "Scale it down until the file is under 5 MB" in page
    post(client, heavy, Op.VECTORIZE, {"fit": "on"})
    sent = files.read(Job.objects.get().inputs["file"])
    assert len(sent) <= 5 * catalog.MB


def test_an_image_too_small_for_a_tool_is_offered_an_upscale_first(studio):
    client, user, project = studio
    small = store_asset(project=project, user=user, data=png(200, 150))
    page = client.get(edit_url(small, Op.VECTORIZE)).content.decode()
    assert "its shorter side must be at least 256 px" in page
    assert 'data-testid="upscale-first"' in page and edit_url(small, Op.CRISP_UPSCALE) in page
    refused = post(client, small, Op.VECTORIZE, {}).content.decode()
    assert refused.count("shorter side must be at least 256 px") == 1
    assert "Nothing was sent" in refused
    assert not Job.objects.exists()
    # Crisp upscale takes it (32 px and up): the way out the page offers works.
    assert (
        'data-testid="limits"' not in client.get(edit_url(small, Op.CRISP_UPSCALE)).content.decode()
    )
    post(client, small, Op.CRISP_UPSCALE, {})
    assert Job.objects.get().operation == Op.CRISP_UPSCALE


def test_an_svg_is_not_sent_to_the_raster_tools(studio):
    client, user, project = studio
    svg = store_asset(
        project=project,
        user=user,
        data=b'<svg xmlns="http://www.w3.org/2000/svg" '
        b'width="300" height="300"><rect width="300" height="300"/></svg>',
    )
    page = client.get(edit_url(svg, Op.VECTORIZE)).content.decode()
    assert "this image is an SVG" in page
    post(client, svg, Op.VECTORIZE, {})
    assert not Job.objects.exists()
    asset_page = client.get(reverse("asset", args=[svg.pk])).content.decode()
    assert 'data-testid="tool-' not in asset_page


def test_the_price_follows_the_number_of_images_and_the_style(studio, source):
    client, _, _ = studio
    remix_like = client.get(edit_url(source, Op.INPAINT)).content.decode()
    assert "Costs <strong>40 API units</strong> ($0.04): 1 image × 40." in remix_like
    form = TOOL_FORMS[Op.INPAINT](
        {"n": "3", "style": "vector_illustration"}, source=source, check_source=False
    )
    quote = form.quote()
    assert (quote.units, quote.per_image, quote.n) == (240, 80, 3)


def test_no_price_is_quoted_for_a_number_of_images_the_api_refuses(source):
    form = TOOL_FORMS[Op.VARIATE]({"n": "9"}, source=source, check_source=False)
    assert form.quote().units is None and form.quote().per_image == 40


def test_a_left_over_substyle_is_cleared_and_said_and_the_second_press_runs_without_it(
    studio, source
):
    client, _, _ = studio
    fields = {"prompt": "beach", "n": "1", "style": "realistic_image", "substyle": "pixel_art"}
    response = client.post(edit_url(source, Op.REPLACE_BACKGROUND), fields)
    assert response.status_code == 200
    assert "was cleared" in response.content.decode()
    assert not Job.objects.exists()  # nothing queued before the person has seen it
    response = client.post(edit_url(source, Op.REPLACE_BACKGROUND), {**fields, "substyle": ""})
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.params["style"] == "realistic_image" and "substyle" not in job.params


def test_a_tool_page_lists_only_recraft_v3_styles(studio, source):
    client, _, _ = studio
    page = client.get(edit_url(source, Op.INPAINT)).content.decode()
    assert 'value="icon"' not in page  # icon is not offered on recraftv3
    assert 'data-model="recraftv3"' in page and 'id="composer-catalog"' in page


def test_a_tool_starts_from_the_style_the_source_was_made_in(studio):
    client, user, project = studio
    drawn = store_asset(
        project=project, user=user, operation="generate", style="digital_illustration"
    )
    form = client.get(edit_url(drawn, Op.INPAINT)).context["form"]
    assert form["style"].value() == "digital_illustration"


def test_without_javascript_the_form_posts_and_comes_back_to_the_tool(studio, source):
    client, _, _ = studio
    response = post(client, source, Op.REMOVE_BACKGROUND, {}, htmx=False)
    assert response.status_code == 302 and response["Location"] == edit_url(
        source, Op.REMOVE_BACKGROUND
    )
    assert Job.objects.get().operation == Op.REMOVE_BACKGROUND


def test_an_unknown_tool_is_not_found(studio, source):
    client, _, _ = studio
    assert client.get(edit_url(source, "generate")).status_code == 404
    assert client.get(edit_url(source, "create_style")).status_code == 404
    assert client.get(edit_url(source, "sharpen")).status_code == 404


def test_a_viewer_cannot_open_or_run_a_tool(member, logged_in):
    user, membership = member(Role.VIEWER)
    project = ProjectFactory(workspace=membership.workspace)
    asset = store_asset(project=project)
    client = logged_in(user)
    assert client.get(edit_url(asset, Op.VECTORIZE)).status_code == 403
    assert client.post(edit_url(asset, Op.VECTORIZE), {}).status_code == 403
    assert (
        'data-testid="tool-' not in client.get(reverse("asset", args=[asset.pk])).content.decode()
    )
    assert not Job.objects.exists()


def test_another_workspaces_image_is_not_found(studio, member):
    client, _, _ = studio
    _, other = member(Role.OWNER)
    foreign = store_asset(project=ProjectFactory(workspace=other.workspace))
    assert client.get(edit_url(foreign, Op.VECTORIZE)).status_code == 404
    assert client.post(edit_url(foreign, Op.VECTORIZE), {}).status_code == 404
    assert not Job.objects.exists()


# --- remix -----------------------------------------------------------------------------------


def test_remixing_a_tool_result_reopens_that_tool_on_its_parent_prefilled(studio, source):
    client, user, project = studio
    params = {
        "prompt": "a red scarf",
        "model": "recraftv3",
        "style": "digital_illustration",
        "substyle": "pixel_art",
        "n": 2,
        "negative_prompt": "blur",
    }
    job = finished_job(
        project=project,
        user=user,
        operation=Op.INPAINT,
        params=params,
        source=source,
        inputs={
            "image": source.file_key,
            "mask": files.store_input(mask(640, 480), files.inspect(mask(640, 480))),
        },
    )
    result = store_asset(
        project=project,
        user=user,
        operation=Op.INPAINT,
        parent=source,
        job=job,
        data=png(640, 480, color=(1, 2, 3)),
    )

    response = client.get(reverse("asset_remix", args=[result.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{edit_url(source, Op.INPAINT)}?remix={result.pk}"
    page = client.get(response["Location"])
    form = page.context["form"]
    assert {
        k: form[k].value() for k in ("prompt", "style", "substyle", "n", "negative_prompt")
    } == {
        "prompt": "a red scarf",
        "style": "digital_illustration",
        "substyle": "pixel_art",
        "n": 2,
        "negative_prompt": "blur",
    }
    mask_url = reverse("job_input", args=[job.pk, "mask"])
    assert f'data-initial-mask="{mask_url}"' in page.content.decode()
    served = client.get(mask_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


def test_remixing_a_generation_reopens_the_generate_form_prefilled(studio):
    client, user, project = studio
    palette = Palette.objects.create(
        workspace=project.workspace, name="Sun", colors=[[250, 200, 0]]
    )
    params = {
        "prompt": "a lighthouse",
        "model": "recraftv2",
        "style": "icon",
        "substyle": "outline",
        "size": "1365x1024",
        "n": 3,
        "controls": {**palette.to_controls(), "artistic_level": 4},
    }
    job = finished_job(project=project, user=user, params=params)
    asset = store_asset(project=project, user=user, operation="generate", job=job)

    response = client.get(reverse("asset_remix", args=[asset.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["prompt"].value() == "a lighthouse" and form["model"].value() == "recraftv2"
    assert form["style"].value() == "icon" and form["substyle"].value() == "outline"
    assert form["size"].value() == "1365x1024" and form["n"].value() == 3
    assert form["palette"].value() == palette.pk and form["artistic_level"].value() == 4
    assert 'value="outline" selected' in response.content.decode()


def test_an_upload_has_nothing_to_remix(studio, source):
    client, _, _ = studio
    response = client.get(reverse("asset_remix", args=[source.pk]), follow=True)
    assert "nothing to remix" in response.content.decode()


def test_a_jobs_inputs_are_served_only_to_its_workspace(studio, member, logged_in, source):
    client, user, project = studio
    job = finished_job(
        project=project,
        user=user,
        operation=Op.VECTORIZE,
        source=source,
        inputs={"file": source.file_key},
    )
    assert client.get(reverse("job_input", args=[job.pk, "file"])).status_code == 200
    assert client.get(reverse("job_input", args=[job.pk, "mask"])).status_code == 404
    stranger, _ = member(Role.OWNER)
    logged_in(stranger)
    assert client.get(reverse("job_input", args=[job.pk, "file"])).status_code == 404
