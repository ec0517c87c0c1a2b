"""The Celery configuration is the one we meant: a misspelt setting fails silently."""

from recraft_studio.celery import app


def test_tasks_travel_as_json_and_are_acknowledged_only_once_done():
    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit > conf.task_soft_time_limit > 0
    # A task unacknowledged longer than this is redelivered: it must outlast the longest.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_the_broker_is_the_redis_the_settings_name():
    from django.conf import settings

    assert app.conf.broker_url == settings.REDIS_URL


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]
