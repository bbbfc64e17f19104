"""CSV import (mapping, per-row errors, upsert by email, progress) and CSV export (escaping)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.contacts import make_contact
from webapp.contacts import exports, service
from webapp.contacts.models import Contact
from webapp.db import utcnow
from webapp.work.models import Job


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def client(auth, org):
    return auth.client_for(make_member(org, "manager"), org)


def _upload(client, text: str | bytes, name="people.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/console/contacts/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _import(client, text, mapping: dict[int, str] | None = None, labels: str | None = ""):
    response = _upload(client, text)
    assert response.status_code == 303, response.get_data(as_text=True)
    job = Job.select().order_by(Job.id.desc()).first()
    if mapping is None:
        mapping = {int(k): v.split(":")[0] for k, v in job.params["mapping"].items()}
    form = {f"col_{i}": target for i, target in mapping.items()}
    if labels is not None:  # None: a post without the field at all
        form["labels"] = labels
    response = client.post(f"/console/contacts/import/{job.id}", data=form)
    return job, response


def test_good_rows_are_imported_with_guessed_columns(client, org):
    text = "Email,Full name,Phone,Tags,Shirt\nana@example.org,Ana,0811,VIP; Speaker,M\nBUDI@example.org,Budi,,,L\n"
    job, response = _import(
        client, text, {0: "email", 1: "name", 2: "phone", 3: "labels", 4: "custom"}, labels="Imported"
    )
    assert response.status_code == 303
    job = Job.get_by_id(job.id)
    assert (job.state, job.created_rows, job.failed_rows) == ("done", 2, 0)
    ana = Contact.get(Contact.email == "ana@example.org")
    assert (ana.name, ana.phone, ana.custom) == ("Ana", "0811", {"Shirt": "M"})
    assert sorted(lb.name for lb in service.labels_of(ana)) == ["Imported", "Speaker", "VIP"]
    assert Contact.get(Contact.email == "budi@example.org").custom == {"Shirt": "L"}


def test_a_file_name_with_a_nul_or_a_folder_is_recorded_by_its_readable_part(client, org):
    """The browser's name goes into the job and the audit trail: a NUL there failed the import
    on PostgreSQL, after the file was taken."""
    response = _upload(client, "Email\nana@example.org\n", name="../lists/a\x00b.csv")
    assert response.status_code == 303
    job = Job.select().order_by(Job.id.desc()).first()
    assert job.params["filename"] == "ab.csv"
    response = client.post(f"/console/contacts/import/{job.id}", data={"col_0": "email", "labels": ""})
    assert response.status_code == 303
    assert (Job.get_by_id(job.id).state, Contact.select().count()) == ("done", 1)


def test_bad_rows_are_reported_and_write_nothing(client, org):
    text = "email,name,stage\nnot-an-email,Ana,\n,Nobody,\nciti@example.org,Citra,royalty\n"
    job, _ = _import(client, text, {0: "email", 1: "name", 2: "stage"})
    job = Job.get_by_id(job.id)
    assert (job.state, job.created_rows, job.failed_rows) == ("done", 0, 3)
    assert [e["row"] for e in job.row_errors] == [2, 3, 4]
    assert "not an email address" in job.row_errors[0]["message"]
    assert "royalty" in job.row_errors[2]["message"]
    assert Contact.for_org(org.id).count() == 0
    page = client.get(f"/console/contacts/import/{job.id}").get_data(as_text=True)
    assert "Rows not imported" in page and "royalty" in page


def test_mixed_file_updates_by_email_without_erasing(client, org):
    make_contact(org, "ana@example.org", name="Ana", phone="0811", company="Kopi")
    text = (
        "email,name,phone,company,stage\nAna@Example.org,Ana Putri,,,Customer\nbad,,,,\nbudi@example.org,Budi,0812,,\n"
    )
    job, _ = _import(client, text, {0: "email", 1: "name", 2: "phone", 3: "company", 4: "stage"})
    job = Job.get_by_id(job.id)
    assert (job.created_rows, job.updated_rows, job.failed_rows) == (1, 1, 1)
    ana = Contact.get(Contact.email == "ana@example.org")
    assert (ana.name, ana.phone, ana.company, ana.stage, ana.stage_source) == (
        "Ana Putri",
        "0811",
        "Kopi",
        "customer",
        "import",
    )
    assert Contact.for_org(org.id).count() == 2


def test_progress_fragment_reports_the_job(client, org):
    job, _ = _import(client, "email\nana@example.org\n", {0: "email"})
    fragment = client.get(f"/console/contacts/import/{job.id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert "done: 1 row" in html and 'value="100"' in html and "<strong>1</strong> new" in html
    assert "hx-trigger" not in html  # finished: it stops polling


def test_a_running_import_polls_itself(client, org):
    job = Job.create(
        organization_id=org.id, kind="contacts_import", params={"filename": "x.csv", "path": "x"}, state="running",
        total=10, processed=4, heartbeat_at=utcnow(),
    )  # fmt: skip
    html = client.get(f"/console/contacts/import/{job.id}").get_data(as_text=True)
    assert 'hx-trigger="load delay:500ms"' in html and 'value="40"' in html


def test_mapping_needs_an_email_column(client, org):
    job, response = _import(client, "mail,name\nana@example.org,Ana\n", {0: "", 1: "name"})
    assert response.status_code == 422
    assert "Email" in response.get_data(as_text=True)
    assert Job.get_by_id(job.id).state == "mapping"


def test_uploads_that_cannot_be_imported_get_a_message(client, org):
    for content, message in [
        (b"", "empty"),
        (b"email\n", "no contacts"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "not a CSV file"),
    ]:
        response = _upload(client, content)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)


def test_windows_encoded_file_is_read(client, org):
    job, _ = _import(client, "email,name\nana@example.org,Zoë\n".encode("cp1252"), {0: "email", 1: "name"})
    assert Contact.get(Contact.email == "ana@example.org").name == "Zoë"
    assert Job.get_by_id(job.id).params["encoding"] == "cp1252"


def test_semicolon_separated_file_is_read(client, org):
    _import(client, "email;name\nana@example.org;Ana\n", {0: "email", 1: "name"})
    assert Contact.get(Contact.email == "ana@example.org").name == "Ana"


def test_another_organizations_import_is_not_found(client, org):
    other = Job.create(organization_id=make_org().id, kind="contacts_import", params={"filename": "x.csv"})
    assert client.get(f"/console/contacts/import/{other.id}").status_code == 404
    assert client.get(f"/console/jobs/{other.id}", headers={"HX-Request": "true"}).status_code == 404


def test_export_escapes_formulas(client, org):
    make_contact(
        org, "ana@example.org", name='=HYPERLINK("http://evil")', company="+1 Corp", custom={"note": "@SUM(A1)"}
    )
    budi = make_contact(org, "budi@example.org", name="-Budi")
    Contact.update(phone="\t0812").where(Contact.id == budi.id).execute()  # the service trims; old rows may not be
    response = client.get("/console/contacts/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert rows["ana@example.org"]["name"] == '\'=HYPERLINK("http://evil")'
    assert rows["ana@example.org"]["company"] == "'+1 Corp"
    assert rows["ana@example.org"]["custom:note"] == "'@SUM(A1)"
    assert rows["budi@example.org"]["name"] == "'-Budi"
    assert rows["budi@example.org"]["phone"] == "'\t0812"


def test_export_follows_the_filters(client, org):
    make_contact(org, "ana@example.org", name="Ana")
    make_contact(org, "budi@example.org", name="Budi")
    make_contact(make_org(), "outsider@example.org", name="Ana Other Org")
    body = client.get("/console/contacts/export.csv?q=ana").get_data(as_text=True)
    emails = [r["email"] for r in csv.DictReader(io.StringIO(body))]
    assert emails == ["ana@example.org"]


def test_escape_cell():
    assert exports.escape_cell("=1+1") == "'=1+1"
    assert exports.escape_cell("\rx") == "'\rx"
    assert exports.escape_cell("plain") == "plain"
    assert exports.escape_cell(None) == ""


@pytest.mark.parametrize("value", ["=1+1", "+62 811", "-2", "@SUM(A1)", "＝1+1", "＋1", "－1", "＠A1"])
def test_contacts_export_neutralizes_every_formula_start_the_registrant_export_does(client, org, value):
    make_contact(org, "ana@example.org", name=value)
    body = client.get("/console/contacts/export.csv").get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["name"] == "'" + value


def test_a_mapping_posted_without_its_labels_field_imports_without_labels(client, org):
    job, response = _import(client, "Email,Name\nana@example.org,Ana\n", {0: "email", 1: "name"}, labels=None)
    assert response.status_code == 303
    assert Job.get_by_id(job.id).state == "done"
    assert service.labels_of(Contact.get(Contact.email == "ana@example.org")) == []
