"""Make the style picker's preview pictures: one per base style and per substyle.

The pictures are made once and committed under `static/img/styles/`, so the picker
costs nothing to show, works offline, and never calls the API while a person is
choosing. By default they come from the sandbox (free, deterministic); pointed at
Recraft itself they are real pictures of each style, for about 150 images' worth
of API units:

    python scripts/make_style_previews.py                       # from the sandbox
    python scripts/make_style_previews.py --api-base https://external.api.recraft.ai/v1 \\
        --token "$RECRAFT_API_TOKEN"                           # real pictures (paid)

`tests/recraft/test_style_previews.py` checks that every pair of the catalog has one.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recraft_studio.assets.renditions import rasterize_svg  # noqa: E402
from recraft_studio.recraft import catalog  # noqa: E402
from recraft_studio.recraft.client import RecraftClient  # noqa: E402

OUT = ROOT / "static" / "img" / "styles"
SIDE = 160
PROMPT = "a lighthouse on a rocky shore under a big sky"
SEED = 20240601


def preview_path(style: str, substyle: str) -> Path:
    return OUT / f"{style}.webp" if not substyle else OUT / style / f"{substyle}.webp"


def model_for(style: str, substyle: str) -> str:
    """The first model (V3, then V2) that offers this style and substyle."""
    for model in catalog.Model:
        table = catalog.SUBSTYLES[model]
        if style in table and (not substyle or substyle in table[style]):
            return str(model)
    raise ValueError(f"No model offers {style}/{substyle}")


def thumbnail(data: bytes, content_type: str) -> bytes:
    if "svg" in content_type:
        image = rasterize_svg(data, width=SIDE * 2, height=SIDE * 2)
    else:
        image = Image.open(io.BytesIO(data))
    image = ImageOps.fit(image.convert("RGB"), (SIDE, SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=72, method=6)
    return out.getvalue()


def make_all(client: RecraftClient, *, only_missing: bool) -> int:
    made = 0
    for style, substyle in catalog.style_pairs():
        path = preview_path(style, substyle)
        if only_missing and path.exists():
            continue
        params = {"model": model_for(style, substyle), "style": style, "random_seed": SEED}
        if substyle:
            params["substyle"] = substyle
        result = client.generate(prompt=PROMPT, size="1024x1024", **params)
        data, content_type = client.download(result.images[0].url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(thumbnail(data, content_type))
        made += 1
        print(f"{path.relative_to(ROOT)}")
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-base", help="an API to call instead of a fresh sandbox")
    parser.add_argument("--token", help="the API token for --api-base")
    parser.add_argument("--only-missing", action="store_true", help="keep existing pictures")
    args = parser.parse_args()
    if args.api_base:
        with RecraftClient(base_url=args.api_base, token=args.token, timeout=120) as client:
            made = make_all(client, only_missing=args.only_missing)
    else:
        from recraft_studio.sandbox.process import SandboxProcess

        with (
            SandboxProcess(rate_limit=0, credits=10_000_000) as sandbox,
            RecraftClient(base_url=sandbox.base_url, token=sandbox.token, timeout=60) as client,
        ):
            made = make_all(client, only_missing=args.only_missing)
    print(f"{made} preview(s) written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
