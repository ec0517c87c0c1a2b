"""Request bodies read into typed parameters and uploads.

The API takes JSON for generation and multipart/form-data for everything with a
file, and multipart fields are all text. The studio's rules (`validation`) judge
typed values, so this module turns `n=2` into 2, `strength=0.2` into 0.2 and a
JSON-encoded `controls` field into a dict, and names the field when a value cannot
be read. Nested objects also arrive the way the OpenAI Python client flattens them
(`controls[colors][][rgb][]=0`, `text_layout[][bbox][][]=0.3`): those are put back
together, since the docs tell people to call the API with that client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from .errors import invalid

INT_FIELDS = frozenset({"n", "random_seed", "seed", "max_num_shapes"})
FLOAT_FIELDS = frozenset({"strength"})
BOOL_FIELDS = frozenset({"expire", "private", "block_nsfw", "calculate_features"})
#: Nested values a multipart client may send as a JSON string.
JSON_FIELDS = {"controls": dict, "text_layout": list}

#: Multipart limits: generous for the API's 5 MB uploads, bounded for everything else.
MAX_FILES = 16
MAX_FIELDS = 1000
MAX_TEXT_PART = 1024 * 1024

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


@dataclass(frozen=True)
class Upload:
    """One file as it arrived."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes

    def describe(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
        }


@dataclass
class Body:
    """A request body: typed parameters and the uploads in arrival order."""

    params: dict[str, Any] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    kind: str = "empty"


# --- scalar conversion ----------------------------------------------------------------


def to_int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    raise invalid(name, f"{name} must be a whole number; got {value!r}.")


def to_float(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        raise invalid(name, f"{name} must be a number; got {value!r}.")
    if number != number or number in (float("inf"), float("-inf")):
        raise invalid(name, f"{name} must be a finite number; got {value!r}.")
    return number


def to_bool(value: Any, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise invalid(name, f"{name} must be true or false; got {value!r}.")


def convert_scalar(name: str, value: str) -> Any:
    """A multipart text field as the type the API documents for `name`."""
    if name in INT_FIELDS:
        return to_int(value, name)
    if name in FLOAT_FIELDS:
        return to_float(value, name)
    if name in BOOL_FIELDS:
        return to_bool(value, name)
    if name in JSON_FIELDS:
        return _json_field(name, value)
    return value


def _json_field(name: str, value: str) -> Any:
    if value == "":
        return None
    expected = JSON_FIELDS[name]
    what = "a JSON object" if expected is dict else "a JSON array"
    try:
        parsed = json.loads(value, parse_constant=_no_constants)
    except ValueError:
        raise invalid(name, f"{name} must be {what}; could not read {value[:60]!r}.")
    if not isinstance(parsed, expected):
        raise invalid(name, f"{name} must be {what}.")
    return parsed


# --- bracket-flattened nesting ----------------------------------------------------------


def split_key(key: str) -> tuple[str, list[str]]:
    """`controls[colors][][rgb][]` → ("controls", ["colors", "", "rgb", ""])."""
    match = _KEY.match(key)
    if not match:
        return key, []
    return match.group(1), re.findall(r"\[([^\[\]]*)\]", match.group(2))


def _leaf(segments: list[str], value: str, where: str) -> Any:
    """Type a nested value by the field it belongs to."""
    names = [s for s in segments if s and not s.isdigit()]
    last = names[-1] if names else ""
    if last in ("rgb", "artistic_level"):
        return to_int(value, where)
    if last in ("bbox", "weight", "std"):
        return to_float(value, where)
    if last == "no_text":
        return to_bool(value, where)
    return value


def _assign(root: dict, segments: list[str], value: Any, where: str) -> None:
    """Set `value` at an indexed path (`colors/0/rgb/2`); '' as the last step appends."""
    node: Any = root
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        following = None if last else segments[i + 1]
        make = (lambda: []) if following == "" or (following or "").isdigit() else (lambda: {})
        if isinstance(node, list):
            if segment == "":
                if not last:
                    raise invalid(where, f"{where} mixes indexed and unindexed arrays.")
                node.append(value)
                return
            index = int(segment)
            if index > len(node) + 64:
                raise invalid(where, f"{where} has an index far beyond the array's end.")
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = value
                return
            if node[index] is None:
                node[index] = make()
            node = node[index]
        else:
            if not isinstance(node, dict) or segment == "" or segment.isdigit():
                raise invalid(where, f"{where} does not fit the shape of the field.")
            if last:
                node[segment] = value
                return
            node = node.setdefault(segment, make())
    raise invalid(where, f"{where} has no value.")  # pragma: no cover - empty path


def _chunks(values: list[Any], size: int) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _nested_controls(entries: list[tuple[list[str], str]]) -> dict[str, Any]:
    controls: dict[str, Any] = {}
    flat_colors: list[int | None] = []
    for segments, value in entries:
        where = "controls." + ".".join(s or "[]" for s in segments)
        if segments == ["colors", "", "rgb", ""]:
            # The OpenAI client writes every colour's rgb under one key: split by 3.
            flat_colors.append(to_int(value, "controls.colors"))
            continue
        _assign(controls, segments, _leaf(segments, value, where), where)
    if flat_colors:
        if len(flat_colors) % 3:
            raise invalid(
                "controls.colors",
                f"controls.colors came flattened with {len(flat_colors)} numbers, which is "
                "not 3 per colour; send controls as a JSON string instead.",
            )
        colors = controls.setdefault("colors", [])
        colors.extend({"rgb": rgb} for rgb in _chunks(flat_colors, 3))
    return controls


def _nested_text_layout(entries: list[tuple[list[str], str]]) -> list[Any]:
    texts: list[str] = []
    flat_boxes: list[float | None] = []
    indexed: dict[str, Any] = {}
    for segments, value in entries:
        where = "text_layout." + ".".join(s or "[]" for s in segments)
        if segments == ["", "text"]:
            texts.append(value)
        elif segments == ["", "bbox", "", ""]:
            flat_boxes.append(to_float(value, "text_layout.bbox"))
        else:
            _assign(indexed, ["items", *segments], _leaf(segments, value, where), where)
    items = list(indexed.get("items", []))
    if texts or flat_boxes:
        if len(flat_boxes) != 8 * len(texts):
            raise invalid(
                "text_layout",
                f"text_layout came flattened with {len(texts)} words and {len(flat_boxes)} "
                "coordinates, which cannot be split into 4 points per word; send "
                "text_layout as a JSON string instead.",
            )
        for text, coords in zip(texts, _chunks(flat_boxes, 8), strict=True):
            items.append({"text": text, "bbox": _chunks(coords, 2)})
    return items


def assemble(fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Multipart text fields as typed parameters, nested ones put back together."""
    params: dict[str, Any] = {}
    nested: dict[str, list[tuple[list[str], str]]] = {}
    for key, value in fields:
        name, segments = split_key(key)
        if segments and name in JSON_FIELDS:
            nested.setdefault(name, []).append((segments, value))
        elif segments == [""]:
            params.setdefault(name, []).append(value)
        elif segments:
            params[key] = value  # an unknown nested field: kept as sent, for the log
        else:
            params[name] = convert_scalar(name, value)
    if "controls" in nested:
        base = params.get("controls") if isinstance(params.get("controls"), dict) else {}
        params["controls"] = {**(base or {}), **_nested_controls(nested["controls"])}
    if "text_layout" in nested:
        base = params.get("text_layout") if isinstance(params.get("text_layout"), list) else []
        params["text_layout"] = [*(base or []), *_nested_text_layout(nested["text_layout"])]
    return params


def normalize_json(params: dict[str, Any]) -> dict[str, Any]:
    """JSON bodies are typed already; only the seed may come as text (the docs type
    `random_seed` as "string or null")."""
    for name in ("random_seed", "seed"):
        if isinstance(params.get(name), str):
            params[name] = to_int(params[name], name)
    return params


# --- the body -------------------------------------------------------------------------


def _no_constants(name: str) -> None:
    # Python's json reads NaN and Infinity, which JSON does not have and no rule expects.
    raise ValueError(f"{name} is not a JSON value")


async def read_body(request: Request) -> Body:
    """Parse JSON, multipart or URL-encoded bodies; raise ApiError(400) when unreadable."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form = await request.form(
                max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_TEXT_PART
            )
        except MultiPartException as exc:
            raise invalid("body", f"The multipart body could not be read: {exc.message}")
        uploads: list[Upload] = []
        fields: list[tuple[str, str]] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                name = key[:-2] if key.endswith("[]") else key
                data = await value.read()
                uploads.append(Upload(name, value.filename, value.content_type, data))
            else:
                fields.append((key, value))
        await form.close()
        return Body(assemble(fields), uploads, "multipart")
    raw = await request.body()
    if not raw.strip():
        return Body()
    if content_type in ("application/json", "") or content_type.endswith("+json"):
        try:
            parsed = json.loads(raw, parse_constant=_no_constants)
        except ValueError as exc:
            raise invalid("body", f"The body is not valid JSON: {exc}.")
        if not isinstance(parsed, dict):
            raise invalid("body", "The JSON body must be an object of parameters.")
        return Body(normalize_json(parsed), [], "json")
    raise invalid(
        "body", f"Send parameters as application/json or multipart/form-data, not {content_type}."
    )
