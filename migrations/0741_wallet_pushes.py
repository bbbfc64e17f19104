"""Wallet pushes: per device registration, the pass version it was last told about over APNs and
the last refusal APNs gave (a bad or foreign push token)."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "wallet_registration" ADD COLUMN "pushed_at" DATETIME',
        'ALTER TABLE "wallet_registration" ADD COLUMN "push_error" VARCHAR(255) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "wallet_registration" ADD COLUMN "push_error_at" DATETIME',
    ],
    "postgresql": [
        'ALTER TABLE "wallet_registration" ADD COLUMN "pushed_at" TIMESTAMP',
        'ALTER TABLE "wallet_registration" ADD COLUMN "push_error" VARCHAR(255) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "wallet_registration" ADD COLUMN "push_error_at" TIMESTAMP',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
