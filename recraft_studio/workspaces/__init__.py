"""Workspaces, their members and roles, and the projects inside them."""
