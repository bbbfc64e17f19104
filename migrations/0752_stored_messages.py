"""Stored texts people read later (audit entries, timeline entries, order and payment flags, job
errors, campaign pause reasons) keep their message beside the English text: msgid and parameters as JSON
(webapp.i18n.stored_text), so each reader sees them in their own language. Rows written before
keep NULL and show their English text."""

from webapp.migrate import run_sql

_COLUMNS = [
    ("audit_entry", "summary_i18n"),
    ("activity", "summary_i18n"),
    ("order", "flag_i18n"),
    ("payment", "flag_i18n"),
    ("job", "error_i18n"),
    ("campaign", "paused_reason_i18n"),
]
_ADD = [f'ALTER TABLE "{table}" ADD COLUMN "{column}" TEXT' for table, column in _COLUMNS]

SQL = {"sqlite": _ADD, "postgresql": _ADD}


def upgrade(db, migrator):
    run_sql(db, SQL)
