"""Charges written as the pipeline writes them: an event on the trail and the ledger."""

from recraft_studio.audit.ledger import ledger_charge
from recraft_studio.audit.services import audit_record


def charge(workspace, units: int, *, project=None, actor=None, verb="job.charged", **fields):
    """Record that the API charged `units`, on the trail and in the running ledger."""
    event = audit_record(
        workspace=workspace,
        project=project,
        actor=actor,
        verb=verb,
        actual_cost=units,
        **fields,
    )
    ledger_charge(
        event=event,
        user_id=actor.pk if actor else None,
        operation="generate",
        charged=units,
    )
    return event
