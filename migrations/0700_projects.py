"""Projects: events grouped under one initiative, with milestones, tasks and files; campaigns sent from a project."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "campaign" ADD COLUMN "project_id" INTEGER',
        'CREATE INDEX "campaign_project_id" ON "campaign" ("project_id")',
        'CREATE TABLE "project" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "description" TEXT NOT NULL, "created_by_id" INTEGER, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "project_organization_id" ON "project" ("organization_id")',
        'CREATE INDEX "project_created_by_id" ON "project" ("created_by_id")',
        'CREATE INDEX "project_organization_id_name" ON "project" ("organization_id", "name")',
        'CREATE TABLE "milestone" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "project_id" INTEGER NOT NULL, "title" VARCHAR(200) NOT NULL, "due_on" DATE NOT NULL, "done" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "milestone_organization_id" ON "milestone" ("organization_id")',
        'CREATE INDEX "milestone_project_id" ON "milestone" ("project_id")',
        'CREATE TABLE "project_event" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "project_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "project_event_organization_id" ON "project_event" ("organization_id")',
        'CREATE INDEX "project_event_project_id" ON "project_event" ("project_id")',
        'CREATE INDEX "project_event_event_id" ON "project_event" ("event_id")',
        'CREATE UNIQUE INDEX "project_event_project_id_event_id" ON "project_event" ("project_id", "event_id")',
        'CREATE TABLE "project_file" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "project_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "key" VARCHAR(255) NOT NULL, "content_type" VARCHAR(100) NOT NULL, "size" INTEGER NOT NULL, "uploaded_by_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("uploaded_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "project_file_organization_id" ON "project_file" ("organization_id")',
        'CREATE INDEX "project_file_project_id" ON "project_file" ("project_id")',
        'CREATE INDEX "project_file_uploaded_by_id" ON "project_file" ("uploaded_by_id")',
        'CREATE TABLE "project_task" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "project_id" INTEGER NOT NULL, "title" VARCHAR(200) NOT NULL, "assignee_id" INTEGER, "due_on" DATE, "status" VARCHAR(8) NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("assignee_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "project_task_organization_id" ON "project_task" ("organization_id")',
        'CREATE INDEX "project_task_project_id" ON "project_task" ("project_id")',
        'CREATE INDEX "project_task_assignee_id" ON "project_task" ("assignee_id")',
    ],
    "postgresql": [
        'ALTER TABLE "campaign" ADD COLUMN "project_id" INTEGER',
        'CREATE INDEX "campaign_project_id" ON "campaign" ("project_id")',
        'CREATE TABLE "project" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "description" TEXT NOT NULL, "created_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "project_organization_id" ON "project" ("organization_id")',
        'CREATE INDEX "project_created_by_id" ON "project" ("created_by_id")',
        'CREATE INDEX "project_organization_id_name" ON "project" ("organization_id", "name")',
        'CREATE TABLE "milestone" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "project_id" INTEGER NOT NULL, "title" VARCHAR(200) NOT NULL, "due_on" DATE NOT NULL, "done" BOOLEAN NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "milestone_organization_id" ON "milestone" ("organization_id")',
        'CREATE INDEX "milestone_project_id" ON "milestone" ("project_id")',
        'CREATE TABLE "project_event" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "project_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "project_event_organization_id" ON "project_event" ("organization_id")',
        'CREATE INDEX "project_event_project_id" ON "project_event" ("project_id")',
        'CREATE INDEX "project_event_event_id" ON "project_event" ("event_id")',
        'CREATE UNIQUE INDEX "project_event_project_id_event_id" ON "project_event" ("project_id", "event_id")',
        'CREATE TABLE "project_file" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "project_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "key" VARCHAR(255) NOT NULL, "content_type" VARCHAR(100) NOT NULL, "size" INTEGER NOT NULL, "uploaded_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("uploaded_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "project_file_organization_id" ON "project_file" ("organization_id")',
        'CREATE INDEX "project_file_project_id" ON "project_file" ("project_id")',
        'CREATE INDEX "project_file_uploaded_by_id" ON "project_file" ("uploaded_by_id")',
        'CREATE TABLE "project_task" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "project_id" INTEGER NOT NULL, "title" VARCHAR(200) NOT NULL, "assignee_id" INTEGER, "due_on" DATE, "status" VARCHAR(8) NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("assignee_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "project_task_organization_id" ON "project_task" ("organization_id")',
        'CREATE INDEX "project_task_project_id" ON "project_task" ("project_id")',
        'CREATE INDEX "project_task_assignee_id" ON "project_task" ("assignee_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
