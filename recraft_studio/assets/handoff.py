"""The hand-off: originals in a zip with their provenance, as CSV and JSON manifests.

Provenance is everything someone publishing an image may be asked about it: the
prompt and every parameter sent, the model, the style or brand style, the palette,
the seed, the chain of images it was made from, who made it and who approved it,
when, and what it cost.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import time
import zipfile
from contextlib import contextmanager

from django.utils.text import slugify

from recraft_studio.core.spreadsheets import row as csv_row
from recraft_studio.recraft import catalog

from . import files, images
from .models import Asset, ExportFormat
from .selectors import LINEAGE_MAX_DEPTH

#: Images are loaded (rows, not bytes) this many at a time.
CHUNK = 200
COPY_BUFFER = 1024 * 1024

MANIFEST_COLUMNS = [
    "file",
    "id",
    "project",
    "state",
    "prompt",
    "negative_prompt",
    "operation",
    "model",
    "style",
    "substyle",
    "brand_style",
    "brand_style_id",
    "palette",
    "colors",
    "background",
    "seed",
    "size",
    "parameters",
    "parent_id",
    "parent_chain",
    "author",
    "created_at",
    "approved_by",
    "approved_at",
    "cost_units",
    "cost_usd",
    "job_id",
    "tags",
    "width",
    "height",
    "sha256",
    "original_format",
    "exported_format",
]

_RELATED = (
    "project",
    "created_by",
    "approved_by",
    "brand_style",
    "job",
    "job__brand_style",
)


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def palettes_by_colors(workspace) -> dict:
    """The workspace's palettes keyed by what they send, to name a job's palette."""
    from recraft_studio.brand.models import Palette

    found = {}
    for palette in Palette.objects.filter(workspace=workspace):
        key = (tuple(tuple(c) for c in palette.colors), tuple(palette.background or ()))
        found.setdefault(key, palette.name)
    return found


def ancestor_chains(asset_ids, *, workspace_id) -> dict:
    """For each id, the ids it was made from, the root first: one query per generation."""
    parents: dict = {}
    frontier = set(asset_ids)
    for _ in range(LINEAGE_MAX_DEPTH):
        frontier -= parents.keys()
        if not frontier:
            break
        rows = Asset.objects.filter(pk__in=frontier, workspace_id=workspace_id).values_list(
            "pk", "parent_id"
        )
        found = dict(rows)
        parents.update(found)
        parents.update({pk: None for pk in frontier - found.keys()})
        frontier = {p for p in found.values() if p is not None}
    chains = {}
    for pk in asset_ids:
        chain, current, seen = [], parents.get(pk), {pk}
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = parents.get(current)
        chains[pk] = [str(c) for c in reversed(chain)]
    return chains


def provenance(asset: Asset, *, chain: list[str], palettes: dict, file: str) -> dict:
    """One image's provenance, as the JSON manifest and the sidecar give it."""
    job = asset.job
    params = job.params if job is not None else {}
    controls = params.get("controls") or {}
    colors = [c["rgb"] for c in controls.get("colors") or []]
    background = (controls.get("background_color") or {}).get("rgb")
    palette = ""
    if colors or background:
        key = (tuple(tuple(c) for c in colors), tuple(background or ()))
        palette = palettes.get(key, "")
    brand = asset.brand_style or (job.brand_style if job is not None else None)
    return {
        "file": file,
        "id": str(asset.pk),
        "project": asset.project.name,
        "state": asset.state,
        "prompt": asset.prompt,
        "negative_prompt": params.get("negative_prompt", ""),
        "operation": asset.operation,
        "model": asset.model or params.get("model", ""),
        "style": "" if brand else asset.style_label,
        "substyle": asset.substyle,
        "brand_style": brand.name if brand else "",
        "brand_style_id": str(brand.style_id) if brand else "",
        "palette": palette,
        "colors": [_hex(c) for c in colors],
        "background": _hex(background) if background else "",
        "seed": params.get("random_seed"),
        "size": params.get("size", ""),
        "parameters": params,
        "parent_id": str(asset.parent_id) if asset.parent_id else "",
        "parent_chain": chain,
        "author": asset.created_by.get_username() if asset.created_by else "",
        "created_at": asset.created_at.isoformat(),
        "approved_by": asset.approved_by.get_username() if asset.approved_by else "",
        "approved_at": asset.approved_at.isoformat() if asset.approved_at else "",
        "cost_units": asset.cost,
        "cost_usd": round(asset.cost / catalog.UNITS_PER_USD, 4),
        "job_id": str(job.pk) if job is not None else "",
        "tags": sorted(t.name for t in asset.tags.all()),
        "width": asset.width,
        "height": asset.height,
        "sha256": asset.sha256,
        "original_format": asset.extension,
        "exported_format": file.rsplit(".", 1)[-1] if file else "",
    }


def target_extension(asset: Asset, fmt: str) -> str:
    """The file type an image leaves in: SVG stays SVG (it has no pixels to convert)."""
    if fmt == ExportFormat.ORIGINAL or asset.is_svg:
        return asset.extension
    return fmt


def file_name(asset: Asset, *, index: int, fmt: str) -> str:
    words = slugify(asset.prompt)[:48].strip("-") or asset.operation.replace("_", "-")
    return f"{index:04d}-{words}-{str(asset.pk)[:8]}.{target_extension(asset, fmt)}"


def write_image(zf: zipfile.ZipFile, asset: Asset, name: str, fmt: str) -> None:
    """Copy the original into the zip in chunks, or convert it (one image in memory)."""
    try:
        if target_extension(asset, fmt) == asset.extension:
            with (
                files.open_stream(asset.file_key) as src,
                zf.open(name, "w", force_zip64=True) as dst,
            ):
                shutil.copyfileobj(src, dst, COPY_BUFFER)
        else:
            zf.writestr(name, images.convert(files.read(asset.file_key), fmt))
    except FileNotFoundError:
        from .services import LibraryRuleBroken

        raise LibraryRuleBroken(
            f"The original of “{asset.label}” ({asset.pk}) is missing from the storage."
        )


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def build_zip(export, *, progress=lambda done: None):
    """The export's zip in a temporary file (deleted on exit), built image by image."""
    palettes = palettes_by_colors(export.workspace)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as csv_file,
        tempfile.TemporaryFile("w+", encoding="utf-8") as json_file,
    ):
        writer = csv.writer(csv_file)
        writer.writerow(MANIFEST_COLUMNS)
        header = {
            "export": export.name,
            "workspace": export.workspace.name,
            "requested_by": export.created_by.get_username() if export.created_by else "",
            "requested_at": export.created_at.isoformat(),
            "format": export.format,
            "approved_only": export.approved_only,
        }
        json_file.write('{"export": ' + json.dumps(header, ensure_ascii=False) + ', "assets": [\n')
        first = True
        done = 0
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for chunk in _chunks(export.asset_ids, CHUNK):
                rows = {
                    str(a.pk): a
                    for a in Asset.objects.filter(
                        pk__in=chunk, workspace=export.workspace, deleted_at__isnull=True
                    )
                    .select_related(*_RELATED)
                    .prefetch_related("tags")
                }
                chains = ancestor_chains(
                    [a.pk for a in rows.values()], workspace_id=export.workspace_id
                )
                for asset_id in chunk:
                    done += 1
                    asset = rows.get(asset_id)
                    if asset is not None:  # deleted since the export was asked for
                        name = file_name(asset, index=done, fmt=export.format)
                        write_image(zf, asset, name, export.format)
                        record = provenance(
                            asset,
                            chain=chains[asset.pk],
                            palettes=palettes,
                            file=name,
                        )
                        writer.writerow(csv_row(record[c] for c in MANIFEST_COLUMNS))
                        json_file.write(("" if first else ",\n") + json.dumps(record))
                        first = False
                    progress(done)
            json_file.write("\n]}\n")
            for temp, name in ((csv_file, "manifest.csv"), (json_file, "manifest.json")):
                temp.seek(0)
                info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=True) as dst:
                    for block in iter(lambda t=temp: t.read(COPY_BUFFER), ""):
                        dst.write(block.encode("utf-8"))
        out.seek(0)
        yield out


def sidecar_zip(asset: Asset) -> tuple[bytes, str]:
    """One approved image and its provenance as `<name>.json` beside it: (zip, name)."""
    base = file_name(asset, index=1, fmt=ExportFormat.ORIGINAL).split("-", 1)[1].rsplit(".", 1)[0]
    name = f"{base}.{asset.extension}"
    record = provenance(
        asset,
        chain=ancestor_chains([asset.pk], workspace_id=asset.workspace_id)[asset.pk],
        palettes=palettes_by_colors(asset.workspace),
        file=name,
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        write_image(zf, asset, name, ExportFormat.ORIGINAL)
        zf.writestr(
            f"{base}.json",
            json.dumps(record, indent=2, ensure_ascii=False),
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return out.getvalue(), f"{base}.zip"
