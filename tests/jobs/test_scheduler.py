"""Who goes next: fair turns, permits, pauses, caps and reclaiming, on PostgreSQL and Redis.

The scheduler runs here in the test's process; what it hands to the workers is
recorded instead of sent, so these tests see its decisions one by one.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from recraft_studio.jobs import services
from recraft_studio.jobs.accounts import ACCOUNT_CACHE, credentials_for, rate_limiter, redis_client
from recraft_studio.jobs.models import DISPATCH_OWNER, ApiCall, Job, JobStatus
from recraft_studio.jobs.scheduler import Scheduler, job_forecast
from recraft_studio.jobs.selectors import job_waiting
from recraft_studio.workspaces.models import Role
from tests.factories import ProjectFactory

PARAMS = {"prompt": "a red panda", "model": "recraftv3", "style": "digital_illustration"}


class Recorder(Scheduler):
    """The scheduler, keeping what it hands out instead of sending it to Celery."""

    def __init__(self):
        super().__init__()
        self.sent: list[str] = []

    def _enqueue(self, job_id) -> None:
        self.sent.append(str(job_id))


@pytest.fixture
def account(db):
    """Every workspace here is on one fresh account, known without asking the API."""
    name = f"acct-{uuid.uuid4().hex[:8]}"
    original = credentials_for

    def known(workspace):
        credentials = original(workspace)
        redis_client().set(ACCOUNT_CACHE.format(credentials.key), name, ex=600)
        return credentials

    yield name, known
    rate_limiter().clear(name)
    redis_client().delete(f"studio:lanes:{name}")


@pytest.fixture
def scheduler(account, monkeypatch, settings):
    settings.JOBS_DISPATCH_AHEAD = 1000
    name, known = account
    monkeypatch.setattr("recraft_studio.jobs.scheduler.credentials_for", known)
    return Recorder()


def occupy(account: str, n: int) -> None:
    """Fill `n` places of the account's window, as calls sent just now would."""
    limiter = rate_limiter()
    window = limiter._keys(account)[0]
    now = float(redis_client().time()[0])
    redis_client().zadd(window, {f"other-{i}": now + 60 for i in range(n)})


def submit(membership, project, n=1, **params):
    return services.job_submit(
        membership=membership, project=project, params={**PARAMS, "n": n, **params}
    )


@pytest.fixture
def two_people(member):
    dana, dana_m = member(Role.DESIGNER, username=f"dana-{uuid.uuid4().hex[:6]}")
    lee, lee_m = member(Role.DESIGNER, username=f"lee-{uuid.uuid4().hex[:6]}")
    return (dana_m, ProjectFactory(workspace=dana_m.workspace)), (
        lee_m,
        ProjectFactory(workspace=lee_m.workspace),
    )


def test_a_second_persons_single_image_goes_right_after_the_first_of_a_burst(scheduler, two_people):
    (dana, dana_project), (lee, lee_project) = two_people
    burst = [submit(dana, dana_project) for _ in range(30)]
    single = submit(lee, lee_project)

    scheduler.tick()

    assert scheduler.sent[:2] == [str(burst[0].pk), str(single.pk)]
    # Then the rest of the burst, as far as pacing lets it start at once (20 images).
    assert scheduler.sent[2:] == [str(j.pk) for j in burst[1:19]]


def test_people_take_turns_by_images_not_by_jobs(scheduler, two_people):
    (dana, dana_project), (lee, lee_project) = two_people
    sixes = [submit(dana, dana_project, n=6) for _ in range(2)]
    singles = [submit(lee, lee_project) for _ in range(8)]

    scheduler.tick()

    order = scheduler.sent
    # Dana's first six images, then Lee's singles until Lee has had as many, then Dana.
    assert order[0] == str(sixes[0].pk)
    assert order[1:7] == [str(j.pk) for j in singles[:6]]
    assert order[7] == str(sixes[1].pk)


def test_a_job_of_six_is_not_starved_by_single_images_behind_it(scheduler, two_people, account):
    name, _ = account
    (dana, dana_project), (lee, lee_project) = two_people
    first = submit(lee, lee_project)
    six = submit(dana, dana_project, n=6)
    later = [submit(lee, lee_project) for _ in range(5)]
    occupy(name, 93)  # 7 left in the window: one, then the six

    scheduler.tick()

    assert scheduler.sent == [str(first.pk), str(six.pk)]
    for job in later:
        assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_the_head_waits_for_all_its_permits_and_the_rest_wait_behind_it(
    scheduler, two_people, account
):
    name, _ = account
    (dana, dana_project), (lee, lee_project) = two_people
    six = submit(dana, dana_project, n=6)
    single = submit(lee, lee_project)
    occupy(name, 97)  # 3 left

    result = scheduler.tick()

    assert scheduler.sent == []
    assert 0 < result.next_in <= 1.0
    assert job_forecast(six.pk)["position"] == 1
    assert job_forecast(single.pk)["position"] == 2


def test_a_handed_out_job_holds_one_permit_per_image(scheduler, two_people, account):
    name, _ = account
    (dana, project), _ = two_people
    job = submit(dana, project, n=4)

    scheduler.tick()

    job.refresh_from_db()
    assert job.status == JobStatus.DISPATCHED and job.lease_owner == DISPATCH_OWNER
    assert job.account == name and job.permits == 4
    assert rate_limiter().state(name).used == 4


def test_a_persons_own_jobs_run_in_the_order_asked_unless_moved_to_the_front(scheduler, two_people):
    (dana, project), _ = two_people
    jobs = [submit(dana, project) for _ in range(3)]
    services.job_move_to_front(membership=dana, job=jobs[2])

    scheduler.tick()

    assert scheduler.sent == [str(jobs[2].pk), str(jobs[0].pk), str(jobs[1].pk)]


def test_only_the_author_moves_a_job_in_their_line(two_people):
    (dana, project), (lee, _) = two_people
    job = submit(dana, project)
    with pytest.raises(services.PermissionDenied):
        services.job_move_to_front(membership=lee, job=job)


def test_a_paused_project_waits_and_says_so_while_others_go_on(scheduler, member, two_people):
    (dana, project), _ = two_people
    owner, owner_m = member(Role.OWNER, workspace=dana.workspace)
    other = ProjectFactory(workspace=dana.workspace)
    held = submit(dana, project)
    going = submit(dana, other)
    services.queue_pause(membership=owner_m, project=project, paused=True)

    scheduler.tick()

    assert scheduler.sent == [str(going.pk)]
    held.refresh_from_db()
    assert held.status == JobStatus.QUEUED
    assert "paused this project" in job_waiting(held)

    services.queue_pause(membership=owner_m, project=project, paused=False)
    scheduler.tick()
    assert str(held.pk) in scheduler.sent


def test_a_paused_workspace_starts_nothing(scheduler, member, two_people):
    (dana, project), _ = two_people
    _, owner_m = member(Role.OWNER, workspace=dana.workspace)
    job = submit(dana, project)
    services.queue_pause(membership=owner_m, paused=True)

    scheduler.tick()

    assert scheduler.sent == []
    assert "paused this workspace" in job_waiting(job)


def test_only_owners_pause(two_people):
    (dana, project), _ = two_people
    with pytest.raises(services.PermissionDenied):
        services.queue_pause(membership=dana, paused=True)


def test_a_person_over_the_hourly_cap_waits_while_others_start(scheduler, member, two_people):
    (dana, project), _ = two_people
    _, owner_m = member(Role.OWNER, workspace=dana.workspace)
    colleague, colleague_m = member(Role.DESIGNER, workspace=dana.workspace)
    services.member_hourly_images_set(membership=owner_m, images=5)
    first = submit(dana, project, n=4)
    second = submit(dana, project, n=2)
    theirs = submit(colleague_m, project, n=2)

    scheduler.tick()

    assert set(scheduler.sent) == {str(first.pk), str(theirs.pk)}
    second.refresh_from_db()
    assert second.status == JobStatus.QUEUED
    assert "4 images this hour" in job_waiting(second) and "5 per person" in job_waiting(second)


def test_a_waiting_card_says_its_place_and_about_how_long(scheduler, two_people, account):
    name, _ = account
    (dana, project), _ = two_people
    occupy(name, 100)
    jobs = [submit(dana, project, n=6) for _ in range(3)]

    scheduler.tick()

    assert job_waiting(jobs[0]).startswith("1st in line for your team's 100 images/min, about")
    assert job_waiting(jobs[2]).startswith("3rd in line")


def test_a_job_whose_worker_died_goes_back_to_its_place(scheduler, two_people, account):
    name, _ = account
    (dana, project), _ = two_people
    job = submit(dana, project, n=2)
    later = submit(dana, project)
    scheduler.tick()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        lease_owner="host:123:dead",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    Job.objects.filter(pk=later.pk).update(status=JobStatus.QUEUED, lease_owner="")
    scheduler.sent.clear()

    assert scheduler.reclaim() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and "Its worker stopped" in job.waiting
    scheduler.tick()

    assert scheduler.sent[0] == str(job.pk)  # its place kept, ahead of the later one


def test_a_reclaimed_job_whose_call_left_keeps_those_permits_counted(
    scheduler, two_people, account
):
    name, _ = account
    (dana, project), _ = two_people
    job = submit(dana, project, n=3)
    scheduler.tick()
    job.refresh_from_db()
    rate_limiter().stamp_sent(name, job.permit_holder, 3)
    ApiCall.objects.create(job=job, account=name)  # in flight when its worker died
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        lease_owner="host:1:dead",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )

    scheduler.reclaim()

    assert rate_limiter().state(name).used == 3


def test_canceling_a_handed_out_job_gives_its_permits_back(scheduler, two_people, account):
    name, _ = account
    (dana, project), _ = two_people
    job = submit(dana, project, n=5)
    scheduler.tick()

    job = services.job_cancel(membership=dana, job=Job.objects.get(pk=job.pk))

    assert job.status == JobStatus.CANCELED
    assert rate_limiter().state(name).used == 0
