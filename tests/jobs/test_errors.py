"""Errors name the form's label and say how to fix it, never an API field."""

import pytest

from recraft_studio.jobs.errors import friendly_error
from recraft_studio.jobs.forms import GenerateForm
from recraft_studio.recraft import catalog
from recraft_studio.recraft.validation import FieldError, check_params

API_WORDS = ("text_layout", "n must", "strength must", "recraftv", "style_id", "controls.")


@pytest.mark.parametrize(
    "params",
    [
        {"prompt": "x", "n": 9},
        {"prompt": "x", "model": "recraftv2", "text_layout": [{"text": "A", "bbox": []}]},
        {"prompt": "x", "style": "icon", "model": "recraftv3"},
        {"prompt": "x", "style": "digital_illustration", "substyle": "hdr"},
        {"prompt": "x", "controls": {"artistic_level": 9, "colors": [{"rgb": [1, 2]}]}},
        {"prompt": "x", "random_seed": -1, "size": "9x9"},
        {"prompt": "", "text_layout": [{"text": "CAFÉ", "bbox": [[0, 0]] * 4}]},
    ],
)
def test_no_rule_of_the_api_reaches_a_person_in_the_apis_words(params):
    errors = check_params(catalog.OPERATIONS[catalog.Op.GENERATE], params)
    assert errors
    form = GenerateForm(data={"model": params.get("model", "recraftv3")})
    for error in errors:
        message = friendly_error(error, form, None)
        assert not any(word in message for word in API_WORDS), message
        assert ":" in message or " is " in message


def test_an_error_from_job_submission_lands_on_the_field_in_the_forms_words():
    form = GenerateForm(
        data={"prompt": "x", "model": "recraftv3", "style": "any", "size": "1024x1024", "n": "1"}
    )
    assert form.is_valid(), form.errors
    form.add_api_errors([FieldError("n", "n must be a whole number from 1 to 6; got 9.")])
    assert form.errors["n"] == ["Images: choose a whole number from 1 to 6."]
