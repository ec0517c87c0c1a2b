"""The audit trail: who did what, on which project, at what cost. Append-only."""
