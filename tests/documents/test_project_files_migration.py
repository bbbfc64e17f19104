"""Migration 0731 on a database of the version before it: a project's file becomes a document owned
by the project, its stored bytes still downloaded by the project's manager, and `project_file` is
gone."""

from __future__ import annotations

import peewee
import pytest

from tests.conftest import TEST_DATABASE_URL, Auth, make_test_app, scratch_database_url
from tests.factories.accounts import make_member, make_org
from tests.factories.events import make_event
from tests.migrations import migrate_before
from webapp import migrate
from webapp.db import db, make_database
from webapp.documents.models import Document
from webapp.projects import service as projects
from webapp.projects.models import Project, ProjectEvent
from webapp.storage import storage

NOTES = b"Load-in at 7, sponsors' booths by 9.\n"


@pytest.fixture
def old_url(tmp_path, monkeypatch):
    """The URL of a database migrated up to the one before 0731."""
    with scratch_database_url(tmp_path) as url:
        database = make_database(url)
        with database.connection_context():
            migrate_before(database, "0731", monkeypatch)
        if TEST_DATABASE_URL:
            database.close_all()
        yield url


def test_a_project_file_becomes_a_project_document_and_still_downloads(old_url, tmp_path):
    app = make_test_app(tmp_path, old_url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            org = make_org()
            manager = make_member(org, "manager")
            event = make_event(org, name="Day one")
            # Rows of the old version, written straight (the services of today audit into columns
            # of later migrations).
            project = Project.create(organization=org.id, name="Summit", created_by=manager.id)
            ProjectEvent.create(organization=org.id, project=project.id, event=event.id)
            key = f"uploads/org-{org.id}/project-{project.id}/Zq3v.txt"
            storage().write(key, NOTES)
            marks = ", ".join([db.obj.param] * 8)
            db.execute_sql(
                'INSERT INTO "project_file" ("organization_id", "project_id", "name", "key", "content_type", "size", '
                f'"uploaded_by_id", "created_at") VALUES ({marks})',
                (org.id, project.id, "run sheet.txt", key, "text/plain; charset=utf-8", len(NOTES), manager.id,
                 "2026-11-02 03:04:05"),
            )  # fmt: skip

            migrate.upgrade(db.obj)

            assert not db.table_exists("project_file")
            document = Document.get()
            assert (document.project_id, document.event_id, document.organization_id) == (project.id, None, org.id)
            assert (document.title, document.filename, document.storage_key) == ("run sheet", "run sheet.txt", key)
            assert (document.visibility, document.group_ids, document.uploaded_by_id) == ("operators", [], manager.id)
            client = Auth(app).client_for(manager, org)
            page = client.get(f"/console/projects/{project.id}/documents").get_data(as_text=True)
            assert "run sheet" in page
            got = client.get(f"/console/documents/{document.id}/download")
            assert got.status_code == 200 and got.data == NOTES
            assert 'filename="run sheet.txt"' in got.headers["Content-Disposition"]
            with pytest.raises(peewee.IntegrityError), db.atomic():  # the migrated table checks its owner
                Document.create(organization=org.id, title="T", filename="t.txt", content_type="text/plain", size=1,
                                storage_key="documents/none.txt")  # fmt: skip
            projects.delete(project, actor=None)  # the project takes its documents along
            assert not Document.select().exists()
        finally:
            if not db.is_closed():
                db.close()
            if isinstance(db.obj, peewee.PostgresqlDatabase):
                db.obj.close_all()
