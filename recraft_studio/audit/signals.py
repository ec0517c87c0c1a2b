"""Signals of the spend ledger."""

from django.dispatch import Signal

#: Sent once the transaction that recorded a charge has committed, with
#: `workspace_id`, `project_id` and `month` (a date, the first of the month).
spend_recorded = Signal()
