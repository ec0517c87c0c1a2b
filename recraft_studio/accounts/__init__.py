"""Accounts: signing in (throttled by django-axes), passwords, verified email addresses."""
