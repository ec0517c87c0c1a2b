"""Submitting a job as the workspace's history grows: does the budget check stay flat?

    make bench                                   # runs every script in tests/bench
    /work/main/.venv/bin/python tests/bench/submission.py [--sizes 0,100000,200000]

Starts its own database (see `_studio.py`; no API or S3 is needed: a generation job
uploads nothing) and one workspace with a monthly budget, and a budget on the project
too, so `job_submit` checks both. It times `job_submit` (parameter checks, the budget
check on the ledger's locked rows, the job's row, the pending units, the
`job.submitted` event, the commit) over `--runs` (100) submissions, after a few not
counted, at each size of the workspace's past: 0, 100,000 and 200,000 finished jobs.

The past is written as the studio would have left it, in SQL: per job its row
(done, answered, with its response), its API call, and its three events
(`job.submitted`, `job.charged` with the charge, `job.completed`), spread over the
last twelve months across 8 people and 10 projects; then the running ledger is
written from that trail (month rows of the workspace and each project, day rows;
checked against the trail by the studio's own `ledger_verify`), and the tables are
vacuumed and analysed.

Before the ledger (budgets summed the trail): 4.5 ms empty, 62 ms at 40,000 jobs,
189 ms at 100,000. Goal: at most 20 ms, and flat.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._studio import machine, percentile, private_studio, team  # noqa: E402

GOAL_MS = 20
FORM = {
    "prompt": "a red panda mascot waving",
    "model": "recraftv3",
    "style": "digital_illustration",
    "size": "1024x1024",
    "n": 1,
}
WARM_UP = 5
BUDGET = 2_000_000_000  # never refuses (the column holds 2^31): the check runs in full


def ledger_from_trail(workspace_id: int) -> None:
    """The ledger's month and day rows written again from the trail's charges, in SQL.

    What `ledger_rebuild` writes (and `ledger_charge` would have, charge by charge),
    without its row-by-row day writes, which take minutes at 200,000 jobs; the run
    checks the result with the studio's `ledger_verify` at the end.
    """
    from django.db import connection

    charges = (
        "FROM audit_auditevent WHERE workspace_id = %(ws)s AND actual_cost > 0 "
        "AND verb = 'job.charged'"
    )
    month = "date_trunc('month', created_at AT TIME ZONE 'UTC')::date"
    day = "(created_at AT TIME ZONE 'UTC')::date"
    with connection.cursor() as cursor:
        params = {"ws": workspace_id}
        cursor.execute(
            "DELETE FROM audit_spendmonth WHERE workspace_id = %(ws)s AND month IS NOT NULL",
            params,
        )
        cursor.execute("DELETE FROM audit_spendday WHERE workspace_id = %(ws)s", params)
        cursor.execute(
            "INSERT INTO audit_spendmonth (workspace_id, project_id, month, charged, possible, "
            f"pending) SELECT %(ws)s, NULL, {month}, sum(actual_cost), 0, 0 {charges} "
            f"GROUP BY {month}",
            params,
        )
        cursor.execute(
            "INSERT INTO audit_spendmonth (workspace_id, project_id, month, charged, possible, "
            f"pending) SELECT %(ws)s, project_id, {month}, sum(actual_cost), 0, 0 {charges} "
            f"AND project_id IS NOT NULL GROUP BY project_id, {month}",
            params,
        )
        cursor.execute(
            "INSERT INTO audit_spendday (workspace_id, project_id, user_id, operation, day, "
            "key, charged, possible, calls, images) "
            f"SELECT %(ws)s, project_id, actor_id, data->>'operation', {day}, "
            f"{day}::text || '|' || coalesce(project_id::text, '-') || '|' || "
            "coalesce(actor_id::text, '-') || '|' || (data->>'operation'), "
            f"sum(actual_cost), 0, count(*), sum((data->>'images')::int) {charges} "
            f"GROUP BY project_id, actor_id, data->>'operation', {day}",
            params,
        )


#: One statement writes `n` finished jobs, their calls and their three events each,
#: as the pipeline would have left them, spread over the last twelve months.
SEED_SQL = """
WITH picks AS MATERIALIZED (
    SELECT g,
           1 + floor(random() * %(n_users)s)::int AS u,
           1 + floor(random() * %(n_projects)s)::int AS p,
           now() - (60 + random() * 365 * 86400) * interval '1 second' AS created,
           2 + random() * 28 AS answer_s,
           0.1 + random() * 1.9 AS finish_s
    FROM generate_series(1, %(n)s) AS g
), past AS MATERIALIZED (
    SELECT gen_random_uuid() AS id,
           (%(users)s::int[])[u] AS user_id,
           (%(names)s::text[])[u] AS user_name,
           (%(projects)s::int[])[p] AS project_id,
           created,
           created + answer_s * interval '1 second' AS answered,
           created + (answer_s + finish_s) * interval '1 second' AS finished,
           jsonb_build_object('prompt', 'past job ' || g, 'model', 'recraftv3',
                              'style', 'digital_illustration', 'size', '1024x1024', 'n', 1)
               AS params
    FROM picks
), jobs AS (
    INSERT INTO jobs_job (id, workspace_id, project_id, created_by_id, operation, params,
        inputs, n_outputs, status, estimated_cost, actual_cost, response, error, attempts,
        created_at, started_at, finished_at, updated_at, lane, queue_seq, dispatched_at,
        account, permits, permit_holder, lease_owner, api_attempts, store_attempts,
        answered_at, waiting)
    SELECT id, %(ws)s, project_id, user_id, 'generate', params, '{}'::jsonb, 1, 'done', 40,
        40, jsonb_build_object('created', 0, 'credits', 40, 'images', jsonb_build_array(
            jsonb_build_object('image_id', gen_random_uuid()::text,
                               'url', 'https://img.recraft.ai/' || id, 'b64_json', null))),
        '', 1, created, created + interval '1 second', finished, finished,
        %(ws)s || ':u' || user_id, (extract(epoch FROM created) * 1000000)::bigint,
        created + interval '1 second', 'bench-account', 0, '', '', 0, 0, answered, ''
    FROM past
    RETURNING id
), calls AS (
    INSERT INTO jobs_apicall (job_id, account, state, sent_at, ended_at, http_status,
        credits, possible_units, resend, error)
    SELECT id, 'bench-account', 'answered', created + interval '1 second', answered, 200, 40,
        0, false, ''
    FROM past
    RETURNING id
)
INSERT INTO audit_auditevent (workspace_id, project_id, actor_id, actor_name, verb,
    target_type, target_id, estimated_cost, actual_cost, data, created_at)
SELECT %(ws)s, project_id, user_id, user_name, 'job.submitted', 'job', id::text, 40, NULL,
    jsonb_build_object('operation', 'generate', 'params', params), created
FROM past
UNION ALL
SELECT %(ws)s, project_id, user_id, user_name, 'job.charged', 'job', id::text, 40, 40,
    jsonb_build_object('operation', 'generate', 'images', 1, 'call', null), answered
FROM past
UNION ALL
SELECT %(ws)s, project_id, user_id, user_name, 'job.completed', 'job', id::text, 40, NULL,
    jsonb_build_object('operation', 'generate', 'outputs', 1, 'charged', 40), finished
FROM past
"""


def seed_past(membership, count: int) -> float:
    """`count` more finished jobs with their calls, events and ledger; seconds taken."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from recraft_studio.workspaces.models import Membership, Project, Role

    started = time.perf_counter()
    workspace = membership.workspace
    users = list(get_user_model().objects.filter(memberships__workspace=workspace))
    while len(users) < 8:
        user = get_user_model().objects.create(username=f"designer-{len(users)}")
        Membership.objects.create(workspace=workspace, user=user, role=Role.DESIGNER)
        users.append(user)
    projects = list(Project.objects.filter(workspace=workspace))
    while len(projects) < 10:
        projects.append(
            Project.objects.create(
                workspace=workspace, name=f"Project {len(projects)}", slug=f"p-{len(projects)}"
            )
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            SEED_SQL,
            {
                "n": count,
                "ws": workspace.pk,
                "users": [u.pk for u in users],
                "names": [u.get_username() for u in users],
                "n_users": len(users),
                "projects": [p.pk for p in projects],
                "n_projects": len(projects),
            },
        )
        ledger_from_trail(workspace.pk)
    with connection.cursor() as cursor:
        # As a live database's autovacuum would have: without it, autovacuum starts on
        # the freshly loaded tables during the timing and takes a core of the two.
        for table in ("jobs_job", "jobs_apicall", "audit_auditevent", "audit_spendmonth"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def measure(membership, project, runs: int) -> tuple[list[float], int]:
    """Milliseconds of each of `runs` submissions, and the queries of the last."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recraft_studio.jobs.services import job_submit

    for _ in range(WARM_UP):
        job_submit(membership=membership, project=project, params=FORM)
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            job_submit(membership=membership, project=project, params=FORM)
            times.append((time.perf_counter() - started) * 1000)
    return times, len(captured)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,100000,200000", help="past jobs, ascending")
    parser.add_argument("--runs", type=int, default=100, help="submissions timed per size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with private_studio(api=False, storage=False):
        from recraft_studio.audit.ledger import budget_status, ledger_verify
        from recraft_studio.audit.models import AuditEvent
        from recraft_studio.jobs.models import Job

        membership, project = team(budget=BUDGET)
        print(f"job_submit with monthly budgets on the workspace and the project; {machine()}\n")
        print(
            f"{'past jobs':>10} {'events':>9} {'seeded in':>9}   {'p50':>7} {'p95':>7} "
            f"{'max':>7} {'queries':>7}"
        )
        rows, have, queries_seen = [], 0, set()
        for size in sizes:
            seeded = seed_past(membership, size - have) if size > have else 0.0
            have = size
            times, queries = measure(membership, project, args.runs)
            p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
            rows.append((size, p50, p95))
            queries_seen.add(queries)
            events = AuditEvent.objects.filter(workspace=membership.workspace).count()
            print(
                f"{size:>10,} {events:>9,} {seeded:>8.1f}s   {p50:>5.1f}ms {p95:>5.1f}ms "
                f"{max(times):>5.1f}ms {queries:>7}"
            )
        if ledger_verify(workspace=membership.workspace):
            raise SystemExit("The seeded ledger disagrees with the trail.")
        status = budget_status(workspace=membership.workspace)
        jobs = Job.objects.filter(workspace=membership.workspace).count()
        print(
            f"\n{jobs:,} jobs in the workspace at the end; this month: {status.charged:,} units "
            f"charged, {status.pending:,} pending (the submissions above)."
        )
        worst_p50 = max(p50 for _, p50, _ in rows)
        worst_p95 = max(p95 for _, _, p95 in rows)
        spread = worst_p50 / min(p50 for _, p50, _ in rows)
        print(
            f"Before the ledger: 4.5 ms empty, 62 ms at 40,000, 189 ms at 100,000. Goal: at "
            f"most {GOAL_MS} ms and flat.\n"
            f"  p50 at most {GOAL_MS} ms at every size: "
            f"{'met' if worst_p50 <= GOAL_MS else 'NOT met'} (worst {worst_p50:.1f} ms)\n"
            f"  p95 at most {GOAL_MS} ms at every size: "
            f"{'met' if worst_p95 <= GOAL_MS else 'NOT met'} (worst {worst_p95:.1f} ms)\n"
            f"  flat: the same number of queries at every size: "
            f"{'yes' if len(queries_seen) == 1 else 'NO'} ({sorted(queries_seen)}); "
            f"the largest p50 is {spread:.2f}× the smallest."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
