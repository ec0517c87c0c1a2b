"""The composer's catalog: one source for the browser and the server, a picture per style."""

from pathlib import Path

from recraft_studio.recraft import catalog

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_every_style_and_substyle_has_a_preview_picture():
    missing = [
        pair
        for pair in catalog.style_pairs()
        if not (
            STATIC
            / "img"
            / "styles"
            / (f"{pair[0]}/{pair[1]}.webp" if pair[1] else f"{pair[0]}.webp")
        ).is_file()
    ]
    assert missing == [], "run scripts/make_style_previews.py --only-missing"


def test_the_browsers_tables_are_the_catalogs():
    data = catalog.for_browser()
    assert data["models"]["recraftv2"]["styles"] == list(catalog.styles_for("recraftv2"))
    assert data["models"]["recraftv3"]["substyles"]["logo_raster"] == list(
        catalog.substyles_for("recraftv3", "logo_raster")
    )
    assert data["models"]["recraftv2"]["prices"] == {"raster": 22, "vector": 44}
    assert set(data["text_layout_charset"]) == catalog.TEXT_LAYOUT_CHARSET
    assert data["substyle_labels"]["b_and_w"] == "Black and white"


def test_a_quote_follows_the_model_the_style_and_the_number_of_images():
    v2 = catalog.quote("generate", model="recraftv2", style="vector_illustration", n="3")
    assert (v2.per_image, v2.n, v2.units, v2.usd) == (44, 3, 132, 0.132)
    bad = catalog.quote("generate", model="recraftv3", style="", n="7")
    assert (bad.per_image, bad.units) == (40, None)
    tool = catalog.quote("vectorize", model=None, style=None, n=None)
    assert (tool.units, tool.takes_n) == (10, False)
