"""Images made in code for tests: no binary fixtures in the repository."""

import io

from PIL import Image, ImageDraw


def png(width=512, height=512, color=(40, 120, 200), *, mode="RGB", fmt="PNG") -> bytes:
    img = Image.new(mode, (width, height), color if mode != "L" else 0)
    if mode != "L":
        draw = ImageDraw.Draw(img)
        draw.ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(230, 60, 40))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def mask(width=512, height=512, box=(128, 128, 384, 384), *, values=(0, 255)) -> bytes:
    img = Image.new("L", (width, height), values[0])
    ImageDraw.Draw(img).rectangle(box, fill=values[1])
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def noise_png(width, height) -> bytes:
    """A PNG that does not compress: its size in bytes is about 3 × width × height."""
    import os

    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=0)
    return out.getvalue()
