"""Campaign templates."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "campaign_template" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "subject" VARCHAR(500) NOT NULL, "preheader" VARCHAR(300) NOT NULL, "body_blocks" TEXT, "body_html" TEXT NOT NULL, "body_text" TEXT NOT NULL, "created_by_id" INTEGER, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "campaign_template_organization_id" ON "campaign_template" ("organization_id")',
        'CREATE INDEX "campaign_template_created_by_id" ON "campaign_template" ("created_by_id")',
        'CREATE UNIQUE INDEX "campaign_template_organization_id_name" ON "campaign_template" ("organization_id", "name")',
    ],
    "postgresql": [
        'CREATE TABLE "campaign_template" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "subject" VARCHAR(500) NOT NULL, "preheader" VARCHAR(300) NOT NULL, "body_blocks" TEXT, "body_html" TEXT NOT NULL, "body_text" TEXT NOT NULL, "created_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "campaign_template_organization_id" ON "campaign_template" ("organization_id")',
        'CREATE INDEX "campaign_template_created_by_id" ON "campaign_template" ("created_by_id")',
        'CREATE UNIQUE INDEX "campaign_template_organization_id_name" ON "campaign_template" ("organization_id", "name")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
