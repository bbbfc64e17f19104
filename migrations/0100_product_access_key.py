"""Product access key."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "product" ADD COLUMN "access_key" VARCHAR(32)',
        'CREATE INDEX "product_access_key" ON "product" ("access_key")',
    ],
    "postgresql": [
        'ALTER TABLE "product" ADD COLUMN "access_key" VARCHAR(32)',
        'CREATE INDEX "product_access_key" ON "product" ("access_key")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
