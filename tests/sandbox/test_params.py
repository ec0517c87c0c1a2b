"""Multipart text fields read back into the typed parameters a client meant."""

from __future__ import annotations

import json

import pytest
from openai import OpenAI

from recraft_studio.sandbox.errors import ApiError
from recraft_studio.sandbox.params import assemble

BOX = [[0.1, 0.2], [0.3, 0.2], [0.3, 0.4], [0.1, 0.4]]


def _as_openai_sends(body: dict) -> list[tuple[str, str]]:
    """The (name, value) fields the OpenAI client writes for `body` in a multipart call."""
    flattened = OpenAI(base_url="http://unused/v1", api_key="x")._serialize_multipartform(body)
    return [
        (name, value)
        for name, values in flattened.items()
        for value in (values if isinstance(values, list) else [values])
    ]


def test_numbers_and_flags_arrive_typed():
    params = assemble(
        [("n", "3"), ("strength", "0.25"), ("random_seed", "42"), ("private", "false")]
    )

    assert params == {"n": 3, "strength": 0.25, "random_seed": 42, "private": False}


def test_nested_parameters_flattened_by_the_openai_client_are_rebuilt():
    body = {
        "prompt": "a sign",
        "controls": {
            "colors": [{"rgb": [0, 255, 0]}, {"rgb": [10, 20, 30]}],
            "background_color": {"rgb": [1, 2, 3]},
            "artistic_level": 4,
            "no_text": False,
        },
        "text_layout": [{"text": "AI", "bbox": BOX}, {"text": "OK", "bbox": BOX}],
    }

    assert assemble(_as_openai_sends(body)) == body


def test_indexed_brackets_are_read_too():
    fields = [
        ("controls[colors][0][rgb][0]", "5"),
        ("controls[colors][0][rgb][1]", "6"),
        ("controls[colors][0][rgb][2]", "7"),
        ("text_layout[0][text]", "HI"),
        *[(f"text_layout[0][bbox][{i // 2}][{i % 2}]", str(v)) for i, v in enumerate(sum(BOX, []))],
    ]

    params = assemble(fields)

    assert params["controls"] == {"colors": [{"rgb": [5, 6, 7]}]}
    assert params["text_layout"] == [{"text": "HI", "bbox": BOX}]


def test_nested_parameters_sent_as_json_strings_are_parsed():
    controls = {"colors": [{"rgb": [9, 9, 9]}]}
    layout = [{"text": "AI", "bbox": BOX}]

    params = assemble([("controls", json.dumps(controls)), ("text_layout", json.dumps(layout))])

    assert params == {"controls": controls, "text_layout": layout}


@pytest.mark.parametrize(
    "fields, field",
    [
        ([("n", "2.5")], "n"),
        ([("strength", "half")], "strength"),
        ([("expire", "maybe")], "expire"),
        ([("controls[artistic_level]", "high")], "controls.artistic_level"),
        (
            [("controls[colors][][rgb][]", "1"), ("controls[colors][][rgb][]", "2")],
            "controls.colors",
        ),
        ([("text_layout[][text]", "AI"), ("text_layout[][bbox][][]", "0.1")], "text_layout"),
        ([("text_layout", '{"text": "AI"}')], "text_layout"),
    ],
)
def test_a_value_that_cannot_be_read_is_refused_naming_its_field(fields, field):
    with pytest.raises(ApiError) as caught:
        assemble(fields)

    assert caught.value.status == 400
    assert caught.value.field == field
