"""The gallery at scale: 100,000 assets in PostgreSQL, and what a page costs.

    make bench                                   # runs every script in tests/bench
    .venv/bin/python tests/bench/gallery.py      # with the `make test` environment

It seeds one workspace with 100,000 assets (and a second workspace with 20,000, so
that tenancy filtering has something to skip) with `bulk_create`, then requests
gallery pages through Django's test client, the way a browser would, and prints for
each: the median and 95th-percentile time, the number of queries, and the indexes
PostgreSQL used for the page query.

It works in a database of its own, `<DATABASE_URL's name>_bench`, created and
dropped here, so it never touches the data of `make run` or of the tests. Pass
`--keep` to leave it for a look with psql, `--assets N` for another size.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recraft_studio.settings")

#: Prompts are four of these words; "zeppelin" is kept rare for a selective search.
WORDS = (  # noqa: SIM905 - a word list reads better as prose
    "red panda fox owl lighthouse harbor city skyline mountain lake forest desert neon "
    "robot astronaut coffee cup bicycle guitar dragon castle garden tulip sunflower cat "
    "dog whale octopus balloon rocket train bridge market street portrait logo badge "
    "icon mascot poster sticker pattern texture autumn winter spring summer night "
    "sunrise watercolor paper glass metal wooden vintage minimal bold playful calm"
).split()
OPERATIONS = [
    ("generate", 70),
    ("image_to_image", 6),
    ("inpaint", 6),
    ("vectorize", 5),
    ("remove_background", 4),
    ("crisp_upscale", 3),
    ("variate", 4),
    ("upload", 2),
]
STYLES = ["realistic_image", "digital_illustration", "vector_illustration", "icon", "any"]
RUNS = 15


def bench_database_url() -> tuple[str, str, str]:
    """(the bench database's URL, its name, the URL of the server's `postgres` database)."""
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/recraft_studio")
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(
            "The gallery bench runs on PostgreSQL: use `make bench` (DATABASE_URL=postgres://…)."
        )
    name = f"{parsed.path.lstrip('/') or 'recraft_studio'}_bench"
    return (
        urlunparse(parsed._replace(path=f"/{name}")),
        name,
        urlunparse(parsed._replace(path="/postgres")),
    )


def recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(total: int, foreign: int):
    """Two workspaces, members, projects, brand styles, and their assets; returns the first."""
    from django.db import connection

    from recraft_studio.assets.models import Asset
    from recraft_studio.brand.models import BrandStyle
    from recraft_studio.workspaces.models import Membership, Project, Role, Workspace
    from tests.factories import UserFactory

    rng = random.Random(1234)  # the same data every run
    now = datetime.now(UTC)

    def workspace_with(name: str, count: int):
        workspace = Workspace.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        users = [UserFactory(username=f"{workspace.slug}-{i}") for i in range(8)]
        for i, user in enumerate(users):
            Membership.objects.create(
                workspace=workspace, user=user, role=Role.OWNER if i == 0 else Role.DESIGNER
            )
        projects = [
            Project.objects.create(workspace=workspace, name=f"Project {i}", slug=f"project-{i}")
            for i in range(20)
        ]
        brands = [
            BrandStyle.objects.create(
                workspace=workspace,
                name=f"Brand {i}",
                base_style="digital_illustration",
                style_id=uuid.uuid4(),
            )
            for i in range(3)
        ]
        ops, weights = zip(*OPERATIONS, strict=True)
        created_at = Asset._meta.get_field("created_at")
        created_at.auto_now_add = False  # the seed sets its own timestamps
        try:
            batch = []
            for i in range(count):
                brand = rng.choice(brands) if rng.random() < 0.08 else None
                words = rng.sample(WORDS, 4)
                if rng.random() < 0.002:
                    words[0] = "zeppelin"  # a rare word, for a selective search
                op = rng.choices(ops, weights)[0]
                batch.append(
                    Asset(
                        workspace=workspace,
                        project=rng.choice(projects),
                        created_by=rng.choice(users),
                        operation=op,
                        prompt="" if op in ("vectorize", "upload") else " ".join(words),
                        style=brand.base_style if brand else rng.choice(STYLES),
                        brand_style=brand,
                        model="recraftv3",
                        file_key=f"originals/00/{uuid.uuid4().hex}.png",
                        thumb_key=f"thumbs/00/{uuid.uuid4().hex}.webp",
                        content_type="image/png",
                        width=1024,
                        height=1024,
                        size_bytes=900_000,
                        sha256=uuid.uuid4().hex * 2,
                        cost=40,
                        created_at=now - timedelta(seconds=rng.randrange(365 * 24 * 3600)),
                    )
                )
                if len(batch) == 5000:
                    Asset.objects.bulk_create(batch)
                    batch = []
            Asset.objects.bulk_create(batch)
        finally:
            created_at.auto_now_add = True
        return workspace, users[0], projects, brands

    started = time.perf_counter()
    workspace, owner, projects, brands = workspace_with("Bench Studio", total)
    workspace_with("Other Team", foreign)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Seeded {total:,} + {foreign:,} assets in {time.perf_counter() - started:.1f} s")
    return workspace, owner, projects, brands


def used_indexes(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT TEXT) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    names = sorted(
        set(
            re.findall(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?using (\w+)", plan)
            + re.findall(r"Bitmap Index Scan on (\w+)", plan)
        )
    )
    execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
    scans = "seq scan!" if "Seq Scan on assets_asset" in plan else ", ".join(names) or "-"
    return f"{scans} (SQL {float(execution.group(1)):.2f} ms)" if execution else scans


def measure(client, label: str, url: str, params: dict, headers: dict | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    response = client.get(url, params, **headers)  # warm: caches, connections, templates
    assert response.status_code == 200, (label, response.status_code)
    times, queries = [], None
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params, **headers)
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
        page_sql = next(
            q["sql"] for q in captured.captured_queries if 'FROM "assets_asset"' in q["sql"]
        )
    tiles = response.content.decode().count('data-testid="asset-tile"')
    times.sort()
    return {
        "label": label,
        "median": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "queries": queries,
        "tiles": tiles,
        "plan": used_indexes(page_sql),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="leave the bench database")
    args = parser.parse_args()

    url, name, admin_url = bench_database_url()
    recreate_database(admin_url, name)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from recraft_studio.assets.models import Asset

    # whitenoise warns that nothing was collected; the bench serves no static files.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    try:
        setup_test_environment()  # lets the test client in (ALLOWED_HOSTS) and counts queries
        settings.DEBUG = False
        call_command("migrate", verbosity=0)
        workspace, owner, projects, brands = seed(args.assets, args.assets // 5)
        client = Client()
        client.force_login(owner)
        gallery = reverse("workspace_gallery", args=[workspace.slug])
        project = projects[3]
        project_gallery = reverse("project_gallery", args=[workspace.slug, project.slug])
        htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "gallery-more"}

        # A cursor nine tenths of the way down, as "Load more" would carry it.
        from recraft_studio.assets.selectors import _encode_cursor

        deep_asset = Asset.objects.filter(workspace=workspace).order_by("-created_at", "-id")[
            int(args.assets * 0.9)
        ]
        deep = _encode_cursor(deep_asset)
        month_ago = (datetime.now(UTC) - timedelta(days=30)).date()
        rows = [
            measure(client, "first page", gallery, {}),
            measure(client, "deep page (90%)", gallery, {"cursor": deep}, htmx),
            measure(client, "filtered: operation", gallery, {"operation": "vectorize"}),
            measure(
                client,
                "filtered: project+op",
                gallery,
                {"project": project.pk, "operation": "inpaint"},
            ),
            measure(client, "filtered: brand style", gallery, {"style": f"brand:{brands[0].pk}"}),
            measure(
                client,
                "filtered: author+dates",
                gallery,
                {"author": owner.pk, "date_from": month_ago.isoformat()},
            ),
            measure(client, "search: common word", gallery, {"q": "panda"}),
            measure(client, "search: rare word", gallery, {"q": "zeppelin"}),
            measure(client, "search: deep page", gallery, {"q": "panda", "cursor": deep}, htmx),
            measure(client, "project gallery", project_gallery, {}),
        ]
        count = Asset.objects.filter(workspace=workspace).count()
        print(
            f"\nGallery pages of a workspace with {count:,} assets "
            f"({RUNS} requests each, through the Django test client, PostgreSQL "
            f"{connection.pg_version // 10000}):\n"
        )
        print(f"{'page':<24} {'median':>8} {'p95':>8} {'queries':>8} {'tiles':>6}  page query uses")
        for r in rows:
            print(
                f"{r['label']:<24} {r['median']:>6.1f}ms {r['p95']:>6.1f}ms {r['queries']:>8} "
                f"{r['tiles']:>6}  {r['plan']}"
            )
        counts = {r["queries"] for r in rows if r["label"] != "project gallery"}
        print(
            f"\nQueries per workspace gallery page: {sorted(counts)} (constant: {len(counts) == 1})"
        )
        if len(counts) != 1:
            sys.exit("The number of queries changed with the page or the filters.")
    finally:
        connections.close_all()
        if not args.keep:
            recreate_database(admin_url, name, drop_only=True)


if __name__ == "__main__":
    main()
