"""What the Recraft API accepts and what it costs: the one source of truth.

Everything here is transcribed from the API documentation (the contract) and, for
response shapes and optional fields, from its OpenAPI description. The forms, the
HTTP client and the sandbox all read these tables, so a limit changes in exactly one
place. Nothing in this module knows about Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

API_BASE = "https://external.api.recraft.ai/v1"

#: 1,000 API units cost 1 USD (Pricing).
UNITS_PER_USD = 1000

#: Images per minute per API token (Policies).
RATE_LIMIT_PER_MINUTE = 100

#: How long the API keeps generated images at their signed URLs (Policies).
IMAGE_TTL_SECONDS = 24 * 60 * 60

PROMPT_MAX_BYTES = 1000
#: The docs give negative_prompt no length of its own; it is held to the prompt's,
#: the only length the API documents for its text.
NEGATIVE_PROMPT_MAX_BYTES = PROMPT_MAX_BYTES
N_MIN, N_MAX = 1, 6
ARTISTIC_LEVEL_MIN, ARTISTIC_LEVEL_MAX = 0, 5
RGB_MIN, RGB_MAX = 0, 255
STRENGTH_MIN, STRENGTH_MAX = 0.0, 1.0
TEXT_LAYOUT_POINTS = 4
#: Text layout coordinates are relative to the image, (0, 0) top left and (1, 1)
#: bottom right; the docs allow points beyond [0, 1] ("the shape will be cropped").
#: The studio bounds them at one image's size past each edge, and a box must still
#: cover part of the image, or none of its word would show.
TEXT_LAYOUT_COORD_MIN, TEXT_LAYOUT_COORD_MAX = -1.0, 2.0
#: Words per text layout, and letters per word: the docs give no number; these are
#: well past what fits legibly in one picture and keep a request small.
TEXT_LAYOUT_MAX_WORDS = 50
TEXT_LAYOUT_WORD_MAX_CHARS = 50


class Model(StrEnum):
    V3 = "recraftv3"
    V2 = "recraftv2"


DEFAULT_MODEL = Model.V3
MODEL_LABELS = {Model.V3: "Recraft V3", Model.V2: "Recraft V2"}


class ResponseFormat(StrEnum):
    URL = "url"
    B64_JSON = "b64_json"


class ImageFormat(StrEnum):
    """Output formats that variateImage (and the spec's optional field) accepts."""

    PNG = "png"
    WEBP = "webp"


#: The style used when a request names neither `style` nor `style_id`.
DEFAULT_STYLE = "any"

#: Base styles whose output is SVG (Getting started, Styles) and priced as vector.
VECTOR_STYLES = frozenset({"vector_illustration", "icon"})

STYLE_LABELS = {
    "any": "Any",
    "realistic_image": "Realistic image",
    "digital_illustration": "Digital illustration",
    "vector_illustration": "Vector illustration",
    "icon": "Icon",
    "logo_raster": "Logo (raster)",
}

# fmt: off
# Appendix, "List of styles". A style missing from a model's table is "not available"
# on that model; an empty tuple means the style exists but takes no substyle.
_V3_SUBSTYLES: dict[str, tuple[str, ...]] = {
    "any": (),
    "realistic_image": (
        "b_and_w", "enterprise", "evening_light", "faded_nostalgia", "forest_life",
        "hard_flash", "hdr", "motion_blur", "mystic_naturalism", "natural_light",
        "natural_tones", "organic_calm", "real_life_glow", "retro_realism",
        "retro_snapshot", "studio_portrait", "urban_drama", "village_realism", "warm_folk",
    ),
    "digital_illustration": (
        "2d_art_poster", "2d_art_poster_2", "antiquarian", "bold_fantasy", "child_book",
        "cover", "crosshatch", "digital_engraving", "engraving_color", "expressionism",
        "freehand_details", "grain", "grain_20", "graphic_intensity", "hand_drawn",
        "hand_drawn_outline", "handmade_3d", "hard_comics", "infantile_sketch",
        "long_shadow", "modern_folk", "multicolor", "neon_calm", "noir",
        "nostalgic_pastel", "outline_details", "pastel_gradient", "pastel_sketch",
        "pixel_art", "plastic", "pop_art", "pop_renaissance", "seamless", "street_art",
        "tablet_sketch", "urban_glow", "urban_sketching", "young_adult_book",
        "young_adult_book_2",
    ),
    "vector_illustration": (
        "bold_stroke", "chemistry", "colored_stencil", "cosmics", "cutout", "depressive",
        "editorial", "emotional_flat", "engraving", "line_art", "line_circuit", "linocut",
        "marker_outline", "mosaic", "naivector", "roundish_flat", "seamless",
        "segmented_colors", "sharp_contrast", "thin", "vector_photo", "vivid_shapes",
    ),
    "logo_raster": (
        "emblem_graffiti", "emblem_pop_art", "emblem_punk", "emblem_stamp", "emblem_vintage",
    ),
}
_V2_SUBSTYLES: dict[str, tuple[str, ...]] = {
    "realistic_image": (
        "b_and_w", "enterprise", "hard_flash", "hdr", "motion_blur", "natural_light",
        "studio_portrait",
    ),
    "digital_illustration": (
        "2d_art_poster", "2d_art_poster_2", "3d", "80s", "engraving_color", "glow", "grain",
        "hand_drawn", "hand_drawn_outline", "handmade_3d", "infantile_sketch", "kawaii",
        "pixel_art", "plastic", "psychedelic", "seamless", "voxel", "watercolor",
    ),
    "vector_illustration": (
        "cartoon", "doodle_line_art", "engraving", "flat_2", "kawaii", "line_art",
        "line_circuit", "linocut", "seamless",
    ),
    "icon": (
        "broken_line", "colored_outline", "colored_shapes", "colored_shapes_gradient",
        "doodle_fill", "doodle_offset_fill", "offset_fill", "outline", "outline_gradient",
        "pictogram",
    ),
}
# fmt: on
SUBSTYLES: dict[Model, dict[str, tuple[str, ...]]] = {
    Model.V3: _V3_SUBSTYLES,
    Model.V2: _V2_SUBSTYLES,
}

#: Every base style any model offers, in the Appendix's order.
STYLES: tuple[str, ...] = tuple(STYLE_LABELS)

#: Base styles a custom style can be built on (Getting started, Styles).
CUSTOM_STYLE_BASES: tuple[str, ...] = (
    "realistic_image",
    "digital_illustration",
    "vector_illustration",
    "icon",
)

# Appendix, "List of image sizes".
# fmt: off
SIZES: tuple[str, ...] = (
    "1024x1024", "1365x1024", "1024x1365", "1536x1024", "1024x1536", "1820x1024",
    "1024x1820", "1024x2048", "2048x1024", "1434x1024", "1024x1434", "1024x1280",
    "1280x1024", "1024x1707", "1707x1024",
)
# fmt: on
DEFAULT_SIZE = "1024x1024"

# Auxiliary, Text Layout, "Supported characters". The trailing space of the docs'
# block is not a character a single word can hold, so it is not listed.
TEXT_LAYOUT_CHARSET = frozenset(
    "!\"#$%&'()*+,-./"
    "0123456789"
    ":;<>?@"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "_{}"
    "ØĐĦŁŊŦ"
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"
    "І"
    "АВЕКМНОРСТУХ"
    "ßẞ"
)

MB = 1024 * 1024
MEGAPIXEL = 1024 * 1024

#: Upload formats the API accepts, as Pillow names them after sniffing the bytes.
UPLOAD_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})

STYLE_REFERENCES_MAX_FILES = 5
STYLE_REFERENCES_MAX_BYTES = 5 * MB


@dataclass(frozen=True)
class UploadLimits:
    """The documented bounds of an uploaded image; every bound is inclusive."""

    max_bytes: int = 5 * MB
    max_pixels: int = 16 * MEGAPIXEL
    max_side: int = 4096
    min_side: int = 256

    def describe(self) -> str:
        return (
            f"PNG, JPG or WEBP, at most {self.max_bytes // MB} MB, "
            f"{self.max_pixels // MEGAPIXEL} MP, {self.max_side} px on the longer side "
            f"and at least {self.min_side} px on the shorter"
        )


DEFAULT_LIMITS = UploadLimits()
#: Crisp upscale and erase region take smaller inputs (4 MP, 32 px).
SMALL_TOOL_LIMITS = UploadLimits(max_pixels=4 * MEGAPIXEL, min_side=32)


class Op(StrEnum):
    """Every paid operation of the API, named as the studio records it on a job."""

    GENERATE = "generate"
    CREATE_STYLE = "create_style"
    IMAGE_TO_IMAGE = "image_to_image"
    INPAINT = "inpaint"
    REPLACE_BACKGROUND = "replace_background"
    GENERATE_BACKGROUND = "generate_background"
    VECTORIZE = "vectorize"
    REMOVE_BACKGROUND = "remove_background"
    CRISP_UPSCALE = "crisp_upscale"
    CREATIVE_UPSCALE = "creative_upscale"
    ERASE_REGION = "erase_region"
    VARIATE = "variate"


@dataclass(frozen=True)
class Operation:
    """One endpoint: where it lives, what it takes, what it returns, what it costs.

    `files` names the upload fields as the documentation's examples send them; the
    sandbox also accepts the OpenAPI names listed in `file_aliases`.
    `result` is "data" for endpoints answering a list of images and "image" for the
    single-image tools. Prices are API units per output image; `vector_price` is
    charged when the output is SVG.
    """

    op: Op
    path: str
    label: str
    raster_price: int
    vector_price: int | None = None
    files: tuple[str, ...] = ()
    file_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    limits: UploadLimits | None = None
    result: str = "data"
    takes_prompt: bool = False
    prompt_required: bool = False
    takes_style: bool = False
    takes_n: bool = False
    takes_controls: bool = False
    takes_strength: bool = False
    takes_size: bool = False
    size_required: bool = False
    takes_image_format: bool = False
    takes_text_layout: bool = False
    #: Models the endpoint accepts; transforms take only V3 for now.
    models: tuple[Model, ...] = (Model.V3,)
    #: The output format is fixed by the operation (vectorize is always SVG).
    always_vector: bool = False

    @property
    def has_mask(self) -> bool:
        return "mask" in self.files

    def output_images(self, n: int | None = None) -> int:
        """Images one call produces: what the per-minute rate limit counts (Policies).

        A call asking for `n` images counts `n`; the single-image tools count one;
        creating a style produces no image and counts none.
        """
        if self.result == "style":
            return 0
        return (n or 1) if self.takes_n else 1

    def accepted_names(self, name: str) -> tuple[str, ...]:
        """Every field name under which the upload the docs call `name` is accepted."""
        return (name, *self.file_aliases.get(name, ()))

    def price(self, *, model: str | None = None, style: str | None = None, n: int = 1) -> int:
        """API units this call costs, for `n` outputs in `style` on `model`."""
        per_image = self.unit_price(model=model, style=style)
        return per_image * (n if self.takes_n else 1)

    def unit_price(self, *, model: str | None = None, style: str | None = None) -> int:
        if self.always_vector:
            return self.raster_price
        vector = style in VECTOR_STYLES and self.vector_price is not None
        if self.op is Op.GENERATE:
            table = GENERATION_PRICES[Model(model or DEFAULT_MODEL)]
            return table["vector" if style in VECTOR_STYLES else "raster"]
        return self.vector_price if vector else self.raster_price


# Pricing, "API unit charges for API services", per output image.
GENERATION_PRICES: dict[Model, dict[str, int]] = {
    Model.V3: {"raster": 40, "vector": 80},
    Model.V2: {"raster": 22, "vector": 44},
}

_IMAGE = {"image": ("file",)}
_FILE = {"file": ("image",)}

OPERATIONS: dict[Op, Operation] = {
    o.op: o
    for o in (
        Operation(
            Op.GENERATE,
            "/images/generations",
            "Generate",
            raster_price=40,
            vector_price=80,
            takes_prompt=True,
            prompt_required=True,
            takes_style=True,
            takes_n=True,
            takes_controls=True,
            takes_size=True,
            takes_text_layout=True,
            models=(Model.V3, Model.V2),
        ),
        Operation(
            Op.CREATE_STYLE,
            "/styles",
            "Create style",
            raster_price=40,
            files=("file1", "file2", "file3", "file4", "file5"),
            result="style",
            # The docs' own create-style examples also send a single `file`; the spec
            # sends a repeated `images` field.
            file_aliases={"file1": ("file", "images")},
        ),
        Operation(
            Op.IMAGE_TO_IMAGE,
            "/images/imageToImage",
            "Image to image",
            raster_price=40,
            vector_price=80,
            files=("image",),
            file_aliases=_IMAGE,
            limits=DEFAULT_LIMITS,
            takes_prompt=True,
            prompt_required=True,
            takes_style=True,
            takes_n=True,
            takes_controls=True,
            takes_strength=True,
        ),
        Operation(
            Op.INPAINT,
            "/images/inpaint",
            "Inpaint",
            raster_price=40,
            vector_price=80,
            files=("image", "mask"),
            file_aliases=_IMAGE,
            limits=DEFAULT_LIMITS,
            takes_prompt=True,
            prompt_required=True,
            takes_style=True,
            takes_n=True,
            takes_controls=True,
        ),
        Operation(
            Op.REPLACE_BACKGROUND,
            "/images/replaceBackground",
            "Replace background",
            raster_price=40,
            vector_price=80,
            files=("image",),
            file_aliases=_IMAGE,
            limits=DEFAULT_LIMITS,
            takes_prompt=True,
            prompt_required=True,
            takes_style=True,
            takes_n=True,
            takes_controls=True,
        ),
        Operation(
            Op.GENERATE_BACKGROUND,
            "/images/generateBackground",
            "Generate background",
            raster_price=40,
            vector_price=80,
            files=("image", "mask"),
            file_aliases=_IMAGE,
            limits=DEFAULT_LIMITS,
            takes_prompt=True,
            prompt_required=True,
            takes_style=True,
            takes_n=True,
            takes_controls=True,
        ),
        Operation(
            Op.VECTORIZE,
            "/images/vectorize",
            "Vectorize",
            raster_price=10,
            files=("file",),
            file_aliases=_FILE,
            limits=DEFAULT_LIMITS,
            result="image",
            always_vector=True,
        ),
        Operation(
            Op.REMOVE_BACKGROUND,
            "/images/removeBackground",
            "Remove background",
            raster_price=10,
            files=("file",),
            file_aliases=_FILE,
            limits=DEFAULT_LIMITS,
            result="image",
        ),
        Operation(
            Op.CRISP_UPSCALE,
            "/images/crispUpscale",
            "Crisp upscale",
            raster_price=4,
            files=("file",),
            file_aliases=_FILE,
            limits=SMALL_TOOL_LIMITS,
            result="image",
        ),
        Operation(
            Op.CREATIVE_UPSCALE,
            "/images/creativeUpscale",
            "Creative upscale",
            raster_price=250,
            files=("file",),
            file_aliases=_FILE,
            limits=DEFAULT_LIMITS,
            result="image",
        ),
        Operation(
            Op.ERASE_REGION,
            "/images/eraseRegion",
            "Erase region",
            raster_price=2,
            files=("image", "mask"),
            file_aliases=_IMAGE,
            limits=SMALL_TOOL_LIMITS,
            result="image",
        ),
        # The Pricing table lists no price for variations; the studio and the sandbox
        # charge them as raster generation on V3, per output image.
        Operation(
            Op.VARIATE,
            "/images/variateImage",
            "Variations",
            raster_price=40,
            files=("image",),
            file_aliases=_IMAGE,
            limits=DEFAULT_LIMITS,
            takes_n=True,
            takes_size=True,
            size_required=True,
            takes_image_format=True,
        ),
    )
}

OPERATIONS_BY_PATH: dict[str, Operation] = {o.path: o for o in OPERATIONS.values()}


def styles_for(model: str) -> tuple[str, ...]:
    """Base styles offered by `model`, in the Appendix's order."""
    table = SUBSTYLES[Model(model)]
    return tuple(s for s in STYLES if s in table)


def substyles_for(model: str, style: str) -> tuple[str, ...]:
    """Substyles of `style` on `model`; empty when it has none or is not offered."""
    return SUBSTYLES[Model(model)].get(style, ())


def is_vector_style(style: str | None) -> bool:
    return style in VECTOR_STYLES


def parse_size(size: str) -> tuple[int, int]:
    """`"1365x1024"` → `(1365, 1024)`; raises ValueError for anything else."""
    width, sep, height = size.partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise ValueError(f"{size!r} is not of the form WxH")
    return int(width), int(height)


def size_choices() -> list[tuple[str, str]]:
    """Sizes as form choices, with the orientation a person would look for."""
    choices = []
    for size in SIZES:
        w, h = parse_size(size)
        shape = "square" if w == h else ("landscape" if w > h else "portrait")
        choices.append((size, f"{w} × {h} ({shape})"))
    return choices


# --- names a person reads, and the tables the browser needs -----------------------------

#: Substyle names that `_` → space would spoil; the rest read well as they are.
_SUBSTYLE_WORDS = {
    "b_and_w": "Black and white",
    "2d_art_poster": "2D art poster",
    "2d_art_poster_2": "2D art poster 2",
    "3d": "3D",
    "80s": "80s",
    "hdr": "HDR",
    "grain_20": "Grain 2.0",
    "handmade_3d": "Handmade 3D",
    "flat_2": "Flat 2",
    "young_adult_book_2": "Young adult book 2",
}


def substyle_label(substyle: str) -> str:
    """`"b_and_w"` → `"Black and white"`: how the picker and the lists name a substyle."""
    if substyle in _SUBSTYLE_WORDS:
        return _SUBSTYLE_WORDS[substyle]
    words = substyle.replace("_", " ")
    return words[:1].upper() + words[1:]


def style_pairs() -> list[tuple[str, str]]:
    """Every (base style, substyle) any model offers, `""` standing for no substyle."""
    pairs = {(style, "") for style in STYLES}
    for table in SUBSTYLES.values():
        for style, substyles in table.items():
            pairs.update((style, s) for s in substyles)
    return sorted(pairs, key=lambda p: (STYLES.index(p[0]), p[1]))


def for_browser() -> dict:
    """The composer's tables (models, styles, substyles, prices, characters) as JSON data.

    The browser keeps the model, style and substyle choices in step and prices a form
    from these, so it and the server read the one catalog.
    """
    return {
        "units_per_usd": UNITS_PER_USD,
        "n_min": N_MIN,
        "n_max": N_MAX,
        "default_model": str(DEFAULT_MODEL),
        "models": {
            str(model): {
                "label": MODEL_LABELS[model],
                "styles": list(styles_for(model)),
                "substyles": {style: list(subs) for style, subs in SUBSTYLES[model].items()},
                "prices": GENERATION_PRICES[model],
            }
            for model in Model
        },
        "style_labels": STYLE_LABELS,
        "substyle_labels": {s: substyle_label(s) for _, s in style_pairs() if s},
        "vector_styles": sorted(VECTOR_STYLES),
        "operations": {
            str(o.op): {
                "label": o.label,
                "raster": o.raster_price,
                "vector": o.vector_price,
                "takes_n": o.takes_n,
                "always_vector": o.always_vector,
                "generation": o.op is Op.GENERATE,
            }
            for o in OPERATIONS.values()
        },
        "text_layout_charset": "".join(sorted(TEXT_LAYOUT_CHARSET)),
    }


@dataclass(frozen=True)
class Quote:
    """What a call would cost: `units` is None while the number of images is not valid."""

    per_image: int
    n: int | None
    takes_n: bool
    units: int | None

    @property
    def usd(self) -> float | None:
        return None if self.units is None else self.units / UNITS_PER_USD


def quote(op: Op | str, *, model: str | None, style: str | None, n: int | str | None) -> Quote:
    """The price of a call to `op` with these choices (the composer shows it live)."""
    operation = OPERATIONS[Op(op)]
    model = model if model in (str(m) for m in Model) else str(DEFAULT_MODEL)
    per_image = operation.unit_price(model=model, style=style or None)
    try:
        count = int(n) if operation.takes_n else 1
    except (TypeError, ValueError):
        count = None
    if count is not None and not N_MIN <= count <= N_MAX:
        count = None
    units = None if count is None else per_image * count
    return Quote(per_image=per_image, n=count, takes_n=operation.takes_n, units=units)
