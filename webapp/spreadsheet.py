"""The one rule every CSV and XLSX export follows against spreadsheet formula injection."""

from __future__ import annotations

# What a spreadsheet may read as the start of a formula: = + - @ (also their fullwidth forms,
# which some spreadsheets fold to ASCII), and a leading tab or carriage return.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value):
    """A value a spreadsheet shows as typed, never evaluates: text that could start a formula gets
    a leading apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
