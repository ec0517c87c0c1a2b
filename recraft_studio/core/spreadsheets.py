"""Cells for CSV files that people open in a spreadsheet.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)` in a project's
name would run when the file is opened). Such text gets a leading apostrophe, the
escape OWASP recommends: the spreadsheet shows the text, and never evaluates it.
"""

from __future__ import annotations

import json

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str | int | float:
    """A value as a safe CSV cell: numbers stay numbers; lists and dicts become JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def row(values) -> list:
    return [cell(v) for v in values]
