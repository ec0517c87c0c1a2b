"""Run the job scheduler: `python manage.py run_scheduler`.

Run one per host for redundancy: they elect a leader through Redis, and the others
wait to take over within a few seconds of it stopping.
"""

import signal

from django.core.management.base import BaseCommand

from recraft_studio.jobs.scheduler import Scheduler


class Command(BaseCommand):
    help = "Hand waiting jobs to the Celery workers, in fair order, within the API's rate limit."

    def handle(self, *args, **options):
        stopping = []

        def stop(*_):
            stopping.append(True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("Scheduler ready.")
        self.stdout.flush()
        Scheduler().run(stop=lambda: bool(stopping))
