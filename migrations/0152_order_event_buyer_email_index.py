"""Order event buyer email index."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE INDEX "order_event_id_buyer_email" ON "order" ("event_id", "buyer_email")',
    ],
    "postgresql": [
        'CREATE INDEX "order_event_id_buyer_email" ON "order" ("event_id", "buyer_email")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
