"""Recraft Studio: a Django project in which a team makes brand assets with Recraft."""

from .celery import app as celery_app

__all__ = ("celery_app",)
