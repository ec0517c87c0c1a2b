"""The library at scale: 100,000 assets in PostgreSQL, and what a page costs.

    make bench                                   # runs every script in tests/bench
    .venv/bin/python tests/bench/gallery.py      # with the `make test` environment

It seeds one workspace with 100,000 assets (and a second workspace with 20,000, so
that tenancy filtering has something to skip) with `bulk_create`, and the library
around them: review states, 5 % of them in the trash, tags, one person's
favourites, collections (one of 2,000 images). Then it requests every gallery,
collection and trash page, and the project's landing page, twice over:

- in-process, through Django's test client, printing for each page the median and
  95th-percentile time, the number of queries, and the indexes PostgreSQL used for
  its slowest query;
- through a real WSGI server (gunicorn, one sync worker, as a browser would reach
  it over loopback): median and 95th percentile of the whole request, and the first
  request a freshly started worker answers.

It also builds an export of 1,000 images and prints its peak memory (tracemalloc)
against the size of the images, to show that it streams.

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
    library = seed_library(workspace, owner, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Seeded {total:,} + {foreign:,} assets in {time.perf_counter() - started:.1f} s")
    return workspace, owner, projects, brands, library


def seed_library(workspace, owner, rng):
    """Review states, the trash, tags, favourites and collections over the assets."""
    from django.db import connection

    from recraft_studio.assets.models import (
        POSITION_GAP,
        Asset,
        AssetTag,
        Collection,
        CollectionItem,
        Favourite,
        Tag,
    )

    with connection.cursor() as cursor:
        # One in ten approved, one in twenty in the trash (deleted a day after made).
        cursor.execute(
            "UPDATE assets_asset SET state = 'approved', approved_by_id = %s, "
            "approved_at = created_at "
            "WHERE workspace_id = %s AND abs(hashtext(id::text)) %% 10 = 0",
            [owner.pk, workspace.pk],
        )
        cursor.execute(
            "UPDATE assets_asset SET deleted_at = created_at + interval '1 day', "
            "deleted_by_id = %s WHERE workspace_id = %s AND abs(hashtext(id::text)) %% 20 = 1",
            [owner.pk, workspace.pk],
        )
    live = list(
        Asset.objects.filter(workspace=workspace, deleted_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    tags = Tag.objects.bulk_create(Tag(workspace=workspace, name=f"tag {i}") for i in range(30))
    rows = []
    for asset_id in rng.sample(live, min(40_000, len(live))):
        rows.append(AssetTag(asset_id=asset_id, tag=rng.choice(tags)))
    AssetTag.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    Favourite.objects.bulk_create(
        Favourite(user=owner, asset_id=a) for a in rng.sample(live, min(500, len(live)))
    )
    collections = []
    for i, size in enumerate([2000, 300, 50, 50, 10]):
        collection = Collection.objects.create(
            workspace=workspace, name=f"Collection {i}", created_by=owner
        )
        CollectionItem.objects.bulk_create(
            CollectionItem(collection=collection, asset_id=a, position=POSITION_GAP * (n + 1))
            for n, a in enumerate(rng.sample(live, min(size, len(live))))
        )
        collections.append(collection)
    return {"tags": tags, "collections": collections}


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
    scans = "seq scan!" if "Seq Scan on assets_" in plan else ", ".join(names) or "-"
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
        page_sql = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
    body = response.content.decode()
    tiles = body.count('data-testid="asset-tile"') + body.count('data-testid="trash-tile"')
    times.sort()
    return {
        "label": label,
        "median": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "queries": queries,
        "tiles": tiles,
        "plan": used_indexes(page_sql),
    }


def wsgi_server(env: dict, port: int):
    """gunicorn serving the studio on the bench database: one sync worker, preloaded."""
    import subprocess

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "recraft_studio.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            # The app (and its warm-up) loads in the master before the port opens;
            # the worker is forked ready, as in production.
            "--preload",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


def wait_listening(port: int, timeout: float = 120.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit("gunicorn did not start")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def through_wsgi(pages: list[tuple[str, str, dict, dict]], cookie: str, db_url: str) -> list:
    """Each page's round trip through gunicorn over loopback, and a fresh worker's first."""
    import httpx

    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_DEBUG": "false",
        # Plain HTTP on loopback: production would sit behind a TLS proxy.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    results = []
    headers = {"Cookie": f"sessionid={cookie}"}
    # A fresh worker's first request, three times over: a new server each time.
    firsts = []
    for _ in range(3):
        server = wsgi_server(env, port)
        try:
            wait_listening(port)
            time.sleep(1.0)  # the worker is forked once the port is open
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60
            ) as http:
                started = time.perf_counter()
                response = http.get(pages[0][1], params=pages[0][2])
                firsts.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
        finally:
            server.terminate()
            server.wait()
    server = wsgi_server(env, port)
    try:
        wait_listening(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as http:
            for label, url, params, extra in pages:
                http.get(url, params=params, headers=extra)
                times = []
                for _ in range(RUNS * 2):
                    started = time.perf_counter()
                    response = http.get(url, params=params, headers=extra)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (label, response.status_code)
                times.sort()
                results.append(
                    {
                        "label": label,
                        "median": statistics.median(times),
                        "p95": times[int(len(times) * 0.95) - 1],
                    }
                )
    finally:
        server.terminate()
        server.wait()
    return results, firsts


def export_memory(workspace, owner, count: int = 1000) -> tuple[int, int, float]:
    """Build an export of `count` real images; (peak bytes, image bytes, seconds)."""
    import tracemalloc

    from recraft_studio.assets import files, services
    from recraft_studio.assets.models import Asset
    from recraft_studio.workspaces.models import Membership
    from tests.images import noise_png

    project = workspace.projects.first()
    picked, total = [], 0
    for i in range(count):
        data = noise_png(160, 160) + i.to_bytes(4, "big")  # ~77 KB, each different
        facts = files.inspect(data)
        key = files.store_original(data, facts)
        total += facts.size_bytes
        picked.append(
            Asset(
                workspace=workspace,
                project=project,
                created_by=owner,
                operation="upload",
                prompt=f"export {i}",
                file_key=key,
                thumb_key=key,
                content_type=facts.content_type,
                width=facts.width,
                height=facts.height,
                size_bytes=facts.size_bytes,
                sha256=facts.sha256,
            )
        )
    Asset.objects.bulk_create(picked)
    membership = Membership.objects.get(workspace=workspace, user=owner)
    export = services.export_request(membership=membership, kind="selection", assets=picked)
    tracemalloc.start()
    started = time.perf_counter()
    services.export_build(export_id=export.pk)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, total, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="leave the bench database")
    parser.add_argument("--no-wsgi", action="store_true", help="only the in-process figures")
    parser.add_argument("--no-export", action="store_true", help="skip the export of 1,000")
    args = parser.parse_args()

    db_url, name, admin_url = bench_database_url()
    recreate_database(admin_url, name)
    os.environ["DATABASE_URL"] = db_url
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
        workspace, owner, projects, brands, library = seed(args.assets, args.assets // 5)
        client = Client()
        client.force_login(owner)
        gallery = reverse("workspace_gallery", args=[workspace.slug])
        project = projects[3]
        project_gallery = reverse("project_gallery", args=[workspace.slug, project.slug])
        landing = reverse("project", args=[workspace.slug, project.slug])
        trash = reverse("trash", args=[workspace.slug])
        big = library["collections"][0]
        collection = reverse("collection", args=[workspace.slug, big.pk])
        collections = reverse("collections", args=[workspace.slug])
        htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "gallery-more"}

        # A cursor nine tenths of the way down, as "Load more" would carry it.
        from recraft_studio.assets.selectors import _encode_cursor, _encode_trash_cursor

        live = Asset.objects.filter(workspace=workspace, deleted_at__isnull=True)
        deep_asset = live.order_by("-created_at", "-id")[int(live.count() * 0.9)]
        deep = _encode_cursor(deep_asset)
        trashed = Asset.objects.filter(workspace=workspace, deleted_at__isnull=False)
        deep_trash = _encode_trash_cursor(
            trashed.order_by("-deleted_at", "-id")[int(trashed.count() * 0.9)]
        )
        deep_item = big.items.order_by("position", "id")[1800]
        deep_collection = f"{deep_item.position}.{deep_item.pk}"
        month_ago = (datetime.now(UTC) - timedelta(days=30)).date()
        gallery_pages = [
            ("first page", gallery, {}, {}),
            ("deep page (90%)", gallery, {"cursor": deep}, htmx),
            ("filtered: operation", gallery, {"operation": "vectorize"}, {}),
            (
                "filtered: project+op",
                gallery,
                {"project": project.pk, "operation": "inpaint"},
                {},
            ),
            ("filtered: brand style", gallery, {"style": f"brand:{brands[0].pk}"}, {}),
            (
                "filtered: author+dates",
                gallery,
                {"author": owner.pk, "date_from": month_ago.isoformat()},
                {},
            ),
            ("filtered: approved", gallery, {"state": "approved"}, {}),
            ("filtered: tag", gallery, {"tag": library["tags"][0].pk}, {}),
            ("filtered: collection", gallery, {"collection": big.pk}, {}),
            ("filtered: my stars", gallery, {"favourites": "on"}, {}),
            ("search: common word", gallery, {"q": "panda"}, {}),
            ("search: rare word", gallery, {"q": "zeppelin"}, {}),
            ("search: one letter", gallery, {"q": "a"}, {}),
            ("search: two letters", gallery, {"q": "ro"}, {}),
            ("search: rare two", gallery, {"q": "zq"}, {}),
            ("search: deep page", gallery, {"q": "panda", "cursor": deep}, htmx),
        ]
        other_pages = [
            ("project gallery", project_gallery, {}, {}),
            ("project landing page", landing, {}, {}),
            ("trash", trash, {}, {}),
            ("trash: deep page", trash, {"cursor": deep_trash}, htmx),
            ("collection (2,000)", collection, {}, {}),
            ("collection: deep page", collection, {"cursor": deep_collection}, htmx),
            ("collections", collections, {}, {}),
        ]
        rows = [
            (label, measure(client, label, url, params, extra))
            for label, url, params, extra in gallery_pages + other_pages
        ]
        count = Asset.objects.filter(workspace=workspace).count()
        print(
            f"\nPages of a workspace with {count:,} assets "
            f"({RUNS} requests each, in-process through the Django test client, PostgreSQL "
            f"{connection.pg_version // 10000}):\n"
        )
        print(
            f"{'page':<24} {'median':>8} {'p95':>8} {'queries':>8} {'tiles':>6}  slowest query uses"
        )
        for _, r in rows:
            print(
                f"{r['label']:<24} {r['median']:>6.1f}ms {r['p95']:>6.1f}ms {r['queries']:>8} "
                f"{r['tiles']:>6}  {r['plan']}"
            )
        failures = []
        by_label = dict(rows)
        for kind, labels in [
            ("workspace gallery", [p[0] for p in gallery_pages]),
            ("trash", ["trash", "trash: deep page"]),
            ("collection", ["collection (2,000)", "collection: deep page"]),
        ]:
            counts = {by_label[label]["queries"] for label in labels}
            print(f"Queries per {kind} page: {sorted(counts)} (constant: {len(counts) == 1})")
            if len(counts) != 1:
                failures.append(f"The number of queries of the {kind} pages changed.")

        if not args.no_wsgi:
            session = client.cookies["sessionid"].value
            wsgi_pages = [
                (label, url, params, {k[5:].replace("_", "-"): v for k, v in extra.items()})
                for label, url, params, extra in gallery_pages + other_pages
            ]
            connections.close_all()
            served, firsts = through_wsgi(wsgi_pages, session, db_url)
            print("\nThe same pages through gunicorn (1 sync worker), round trip over loopback:\n")
            print(f"{'page':<24} {'median':>8} {'p95':>8}")
            for r in served:
                flag = "" if r["p95"] < 50 else "  over 50 ms"
                print(f"{r['label']:<24} {r['median']:>6.1f}ms {r['p95']:>6.1f}ms{flag}")
            print(
                "\nA fresh worker's first request (the gallery), three fresh servers: "
                + ", ".join(f"{t:.0f} ms" for t in firsts)
            )

        if not args.no_export:
            peak, total, seconds = export_memory(workspace, owner)
            print(
                f"\nAn export of 1,000 images ({total / 1e6:.1f} MB) built in {seconds:.1f} s; "
                f"peak memory {peak / 1e6:.1f} MB ({100 * peak / total:.0f} % of the images)."
            )
        if failures:
            sys.exit("\n".join(failures))
    finally:
        connections.close_all()
        if not args.keep:
            recreate_database(admin_url, name, drop_only=True)


if __name__ == "__main__":
    main()
