import pytest

from recraft_studio.jobs.forms import GenerateForm


def form(**data):
    base = {
        "prompt": "a red panda mascot",
        "model": "recraftv3",
        "style": "realistic_image",
        "size": "1024x1024",
        "n": "1",
    }
    return GenerateForm(data={**base, **data})


def test_a_complete_form_becomes_the_api_parameters():
    f = form(
        substyle="hdr",
        n="2",
        negative_prompt="blur",
        artistic_level="3",
        no_text="on",
        random_seed="42",
    )
    assert f.is_valid(), f.errors
    assert f.to_params() == {
        "prompt": "a red panda mascot",
        "model": "recraftv3",
        "style": "realistic_image",
        "substyle": "hdr",
        "size": "1024x1024",
        "n": 2,
        "negative_prompt": "blur",
        "controls": {"artistic_level": 3, "no_text": True},
        "random_seed": 42,
    }


def test_without_a_seed_the_studio_draws_one_so_the_image_can_be_made_again():
    first, second = form(), form()
    assert first.is_valid() and second.is_valid()
    seeds = first.to_params()["random_seed"], second.to_params()["random_seed"]
    assert all(0 <= s < 2**32 for s in seeds) and seeds[0] != seeds[1]


def test_a_seed_out_of_range_is_an_error_on_the_seed_field():
    f = form(random_seed=str(2**32))
    assert not f.is_valid()
    assert "0 to 4294967295" in f.errors["random_seed"][0]


def test_a_prompt_over_1000_bytes_is_an_error_on_the_prompt_field():
    f = form(prompt="ü" * 501)  # 1002 bytes
    assert not f.is_valid()
    assert list(f.errors) == ["prompt"]
    assert "1002 bytes" in f.errors["prompt"][0]


@pytest.mark.parametrize("n", ["0", "7"])
def test_n_outside_1_to_6_is_an_error_on_the_n_field(n):
    f = form(n=n)
    assert not f.is_valid()
    assert list(f.errors) == ["n"]
    assert "from 1 to 6" in f.errors["n"][0]


def test_a_substyle_the_style_and_model_do_not_offer_is_dropped_never_sent():
    f = form(model="recraftv3", style="digital_illustration", substyle="kawaii")
    assert f.is_valid(), f.errors
    assert "substyle" not in f.to_params() and f.cleared == ["Kawaii"]


def test_a_style_the_model_does_not_offer_is_an_error_naming_the_label_and_the_fix():
    f = form(model="recraftv2", style="any")
    assert not f.is_valid()
    assert f.errors["style"][0] == (
        "Style: Any is not offered by Recraft V2: choose another style, or another model."
    )


def test_every_error_names_the_label_of_its_field():
    f = form(prompt="", n="seven", size="12x12", random_seed="-1")
    assert not f.is_valid()
    assert f.errors["prompt"][0] == "Prompt is required: describe the image to make."
    assert f.errors["n"][0] == "Images: enter a whole number."
    assert f.errors["size"][0] == "Size: choose one of the options in the list."


def test_colours_typed_for_one_run_override_the_palettes():
    f = form(colors="#ff0000; 0, 128, 255; teal", background_color="white")
    assert f.is_valid(), f.errors
    assert f.to_params()["controls"] == {
        "colors": [{"rgb": [255, 0, 0]}, {"rgb": [0, 128, 255]}, {"rgb": [0, 128, 128]}],
        "background_color": {"rgb": [255, 255, 255]},
    }


def test_a_colour_that_is_not_one_is_an_error_on_the_colours_field():
    f = form(colors="#ff0000 notacolour")
    assert not f.is_valid()
    assert f.errors["colors"][0].startswith("Colours: 'notacolour' is not a colour")


def test_the_substyle_list_offers_only_what_the_model_has_for_the_style():
    v2 = dict(GenerateForm(data={"model": "recraftv2", "style": "icon"}).fields["substyle"].choices)
    assert "pictogram" in v2 and "hdr" not in v2
    v3 = dict(GenerateForm(data={"model": "recraftv3", "style": "icon"}).fields["substyle"].choices)
    assert list(v3) == [""]


def test_words_and_their_boxes_in_percent_become_the_apis_text_layout():
    f = form(text_layout="RECRAFT 30 45 30 10\n\nai 62 45 8 10%")
    assert f.is_valid(), f.errors
    assert f.to_params()["text_layout"] == [
        {"text": "RECRAFT", "bbox": [[0.3, 0.45], [0.6, 0.45], [0.6, 0.55], [0.3, 0.55]]},
        {"text": "ai", "bbox": [[0.62, 0.45], [0.7, 0.45], [0.7, 0.55], [0.62, 0.55]]},
    ]


@pytest.mark.parametrize(
    "lines, message",
    [
        ("SALE 10 10 20", "Line 1 ('SALE 10 10 20'): give a word, then four numbers"),
        ("OK 1 1 1 1\nSALE ten 10 20 5", "Line 2"),
        ("SALE 10 10 0 5", "needs a width and a height"),
        ("SALE nan 10 20 5", "must be plain numbers"),
        ("CAFÉ 10 10 20 5", "Words in the image: word 1 has characters the API cannot draw ('É')"),
    ],
)
def test_a_word_or_box_the_api_would_refuse_is_an_error_on_that_field(lines, message):
    f = form(text_layout=lines)
    assert not f.is_valid()
    assert message in f.errors["text_layout"][0]


def test_words_in_the_image_are_for_recraft_v3_only():
    f = form(model="recraftv2", style="realistic_image", text_layout="SALE 10 10 20 5")
    assert not f.is_valid()
    assert f.errors["text_layout"][0] == (
        "Words in the image work with Recraft V3 only: switch Model to Recraft V3, "
        "or remove the words."
    )


def test_a_remix_shows_the_words_as_they_were_typed():
    from recraft_studio.jobs.forms import initial_from_job
    from recraft_studio.jobs.models import Job

    f = form(text_layout="RECRAFT 30 45 30 10\nAI 62.5 45 8 10")
    assert f.is_valid()
    initial = initial_from_job(Job(params=f.to_params()))
    assert initial["text_layout"] == "RECRAFT 30 45 30 10\nAI 62.5 45 8 10"
