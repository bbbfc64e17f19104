"""Order coupon uses send ticket."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "order" ADD COLUMN "coupon_uses" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "order" ADD COLUMN "send_ticket" INTEGER NOT NULL DEFAULT TRUE',
        'CREATE INDEX "order_status_expires_at" ON "order" ("status", "expires_at")',
    ],
    "postgresql": [
        'ALTER TABLE "order" ADD COLUMN "coupon_uses" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "order" ADD COLUMN "send_ticket" BOOLEAN NOT NULL DEFAULT TRUE',
        'CREATE INDEX "order_status_expires_at" ON "order" ("status", "expires_at")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
