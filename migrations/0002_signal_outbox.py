"""Signal outbox."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "signal_outbox" ("id" INTEGER NOT NULL PRIMARY KEY, "signal" VARCHAR(64) NOT NULL, "payload" TEXT NOT NULL, "created_at" DATETIME NOT NULL, "claim" VARCHAR(16), "claimed_at" DATETIME, "attempts" INTEGER NOT NULL)',
        'CREATE INDEX "signal_outbox_claim" ON "signal_outbox" ("claim")',
    ],
    "postgresql": [
        'CREATE TABLE "signal_outbox" ("id" SERIAL NOT NULL PRIMARY KEY, "signal" VARCHAR(64) NOT NULL, "payload" TEXT NOT NULL, "created_at" TIMESTAMP NOT NULL, "claim" VARCHAR(16), "claimed_at" TIMESTAMP, "attempts" INTEGER NOT NULL)',
        'CREATE INDEX "signal_outbox_claim" ON "signal_outbox" ("claim")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
