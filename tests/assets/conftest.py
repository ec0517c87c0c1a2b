"""Assets made in code: an image stored the way the pipeline stores one."""

import pytest

from recraft_studio.assets import files
from recraft_studio.assets.models import Asset
from recraft_studio.jobs.models import Job
from recraft_studio.recraft.catalog import Op
from tests.images import png


def store_asset(
    *, project, user=None, data=None, operation="upload", parent=None, job=None, **fields
):
    """An Asset whose file and thumbnail really are in storage."""
    data = png() if data is None else data
    facts = files.inspect(data)
    key = files.store_original(data, facts)
    return Asset.objects.create(
        workspace=project.workspace,
        project=project,
        created_by=user,
        operation=operation,
        parent=parent,
        job=job,
        output_index=fields.pop("output_index", 0 if job else None),
        file_key=key,
        thumb_key=files.store_thumbnail(data, facts, key),
        content_type=facts.content_type,
        width=facts.width,
        height=facts.height,
        size_bytes=facts.size_bytes,
        sha256=facts.sha256,
        **fields,
    )


def finished_job(*, project, user, operation=Op.GENERATE, params=None, source=None, **fields):
    """A job as the worker leaves it when done (no API call is made)."""
    return Job.objects.create(
        workspace=project.workspace,
        project=project,
        created_by=user,
        operation=operation,
        params=params or {},
        source_asset=source,
        status="done",
        estimated_cost=fields.pop("estimated_cost", 40),
        actual_cost=fields.pop("actual_cost", 40),
        **fields,
    )


@pytest.fixture
def studio(designer, logged_in):
    """A designer's logged-in client, their membership and a project."""
    from tests.factories import ProjectFactory

    user, membership = designer
    project = ProjectFactory(workspace=membership.workspace)
    return logged_in(user), user, project
