"""Password reset requests: what the per-address limit on reset emails counts."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "password_reset_request" ("id" INTEGER NOT NULL PRIMARY KEY, "email" VARCHAR(254) NOT NULL, "ip" VARCHAR(64) NOT NULL, "at" DATETIME NOT NULL)',
        'CREATE INDEX "password_reset_request_ip" ON "password_reset_request" ("ip")',
        'CREATE INDEX "password_reset_request_at" ON "password_reset_request" ("at")',
    ],
    "postgresql": [
        'CREATE TABLE "password_reset_request" ("id" SERIAL NOT NULL PRIMARY KEY, "email" VARCHAR(254) NOT NULL, "ip" VARCHAR(64) NOT NULL, "at" TIMESTAMP NOT NULL)',
        'CREATE INDEX "password_reset_request_ip" ON "password_reset_request" ("ip")',
        'CREATE INDEX "password_reset_request_at" ON "password_reset_request" ("at")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
