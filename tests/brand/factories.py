"""Brand-kit rows for tests that do not need the API to have made them."""

import uuid

import factory

from recraft_studio.brand.models import BrandStyle, BrandStyleReference, Palette
from tests.factories import WorkspaceFactory


class BrandStyleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrandStyle

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Style {n}")
    base_style = "digital_illustration"
    style_id = factory.LazyFunction(uuid.uuid4)
    cost = 40


class BrandStyleReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrandStyleReference

    style = factory.SubFactory(BrandStyleFactory)
    position = factory.Sequence(lambda n: n)
    file_key = "styles/00/missing.png"
    content_type = "image/png"
    width = 512
    height = 512
    size_bytes = 1000
    sha256 = "0" * 64


class PaletteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Palette

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Palette {n}")
    colors = factory.LazyFunction(lambda: [[200, 30, 40], [20, 40, 200]])
    background = None


def stored_asset(project, data: bytes, *, prompt="a sampled image", **fields):
    """An Asset whose original and thumbnail really are in storage (no job made it)."""
    from recraft_studio.assets import files
    from recraft_studio.assets.models import Asset

    facts = files.inspect(data)
    key = files.store_original(data, facts)
    return Asset.objects.create(
        workspace=project.workspace,
        project=project,
        operation="generate",
        prompt=prompt,
        file_key=key,
        thumb_key=files.store_thumbnail(data, facts, key),
        content_type=facts.content_type,
        width=facts.width,
        height=facts.height,
        size_bytes=facts.size_bytes,
        sha256=facts.sha256,
        **fields,
    )
