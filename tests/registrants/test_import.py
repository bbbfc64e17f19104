"""CSV import: mapping, preview, per-row errors, encodings, size limits, duplicates, capacity."""

from __future__ import annotations

import io
import re

import pytest

from tests.factories.catalog import make_question
from tests.factories.orders import make_registrant
from webapp import work
from webapp.orders.models import Order, Registrant
from webapp.registrants import imports
from webapp.storage import storage
from webapp.work import jobs
from webapp.work.models import Job


def upload(desk, data: bytes, filename: str = "people.csv"):
    return desk.client.post(
        f"/console/events/{desk.event.id}/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def run_import(desk, data: bytes, *, duplicates="skip", product=None, mapping=None, send_ticket=False):
    response = upload(desk, data)
    assert response.status_code == 303, response.text
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    job = Job.get_by_id(job_id)
    form = {"product": str((product or desk.product).id), "duplicates": duplicates, "paid": "y"}
    if send_ticket:
        form["send_ticket"] = "y"
    chosen = mapping if mapping is not None else job.params["mapping"]
    form.update({f"map-{k}": str(v) for k, v in chosen.items()})
    response = desk.client.post(f"/console/imports/{job_id}", data=form)
    assert response.status_code == 303, response.text
    return Job.get_by_id(job_id)


def people(desk):
    return {r.email: r for r in Registrant.select().where(Registrant.event == desk.event.id)}


def test_good_file_imports_everyone_and_guesses_the_columns(desk):
    job = run_import(desk, b"Full name,E-mail,Company\nAna Lopez,ana@example.org,Acme\nBudi,budi@example.org,\n")
    assert job.state == "done" and job.created_rows == 2 and job.failed_rows == 0
    assert job.params["mapping"] == {"name": 0, "email": 1}
    imported = people(desk)
    assert imported["ana@example.org"].name == "Ana Lopez"
    assert imported["ana@example.org"].order.source == "import"
    assert imported["ana@example.org"].order.status == "paid"
    page = desk.client.get(f"/console/jobs/{job.id}").text
    assert "100 %" in page and "<strong>2</strong> added" in page


def test_bad_rows_are_reported_and_import_nothing_while_good_rows_go_in(desk):
    size = make_question(desk.event, label="T-shirt size", kind="choice", options=["S", "M", "L"], per_attendee=True)
    data = (
        b"name,email,T-shirt size\n"
        b"Ana,ana@example.org,M\n"
        b",nobody@example.org,S\n"
        b"Carl,not-an-email,L\n"
        b"Dewi,dewi@example.org,XXL\n"
        b"Eko,eko@example.org,S\n"
    )
    job = run_import(desk, data)
    assert job.created_rows == 2 and job.failed_rows == 3
    by_row = {e["row"]: " ".join(e["errors"]) for e in job.row_errors}
    assert "name is empty" in by_row[3]
    assert "not an email address" in by_row[4]
    assert "T-shirt size" in by_row[5]
    imported = people(desk)
    assert set(imported) == {"ana@example.org", "eko@example.org"}
    assert imported["ana@example.org"].answers == {str(size.id): "M"}
    errors_csv = desk.client.get(f"/console/imports/{job.id}/errors.csv").text
    assert "Dewi" in errors_csv and "Ana" not in errors_csv and "error" in errors_csv.splitlines()[0]


def test_a_file_with_only_bad_rows_imports_nothing(desk):
    job = run_import(desk, b"name,email\nAna,\n,b@example.org\n")
    assert job.state == "done" and job.created_rows == 0 and job.failed_rows == 2
    assert people(desk) == {}


def test_utf8_with_bom_and_semicolons_is_read(desk):
    job = run_import(desk, "\ufeffNama;Email\nJosé Núñez;jose@example.org\n".encode())
    assert job.created_rows == 1
    assert people(desk)["jose@example.org"].name == "José Núñez"


def test_a_file_saved_as_windows_csv_keeps_its_accents(desk):
    """Excel's plain "CSV" on Windows writes Windows-1252, as the contact import already read it."""
    job = run_import(desk, "name,email\nJosé Núñez,jose@example.org\n".encode("cp1252"))
    assert job.created_rows == 1
    assert people(desk)["jose@example.org"].name == "José Núñez"


def test_a_file_that_is_not_text_is_refused_with_a_message(desk):
    response = upload(desk, b"name,email\n\x81\x8d\x8f,jose@example.org\n")
    assert response.status_code == 422
    assert "not text we can read" in response.text and "CSV UTF-8" in response.text
    assert Job.select().count() == 0


def test_a_huge_file_is_refused_with_a_message(desk, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 2000)
    response = upload(desk, b"name,email\n" + b"Ana,ana@example.org\n" * 200)
    assert response.status_code == 422
    assert "too large" in response.text
    assert Job.select().count() == 0


def test_a_file_above_the_upload_limit_gets_the_same_message(desk, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(desk, b"name,email\n" + b"Ana,ana@example.org\n" * 200)
    assert response.status_code == 422 and "too large" in response.text


def test_too_many_rows_is_refused(desk, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    response = upload(desk, b"name,email\n" + b"Ana,ana@example.org\n" * 4)
    assert response.status_code == 422 and "more than 3 rows" in response.text


def test_duplicates_of_registered_people_are_skipped(desk):
    make_registrant(desk.event, buyer_name="Ana Old", buyer_email="ana@example.org")
    job = run_import(desk, b"name,email\nAna New,ANA@example.org\nBudi,budi@example.org\n", duplicates="skip")
    assert job.skipped_rows == 1 and job.created_rows == 1
    assert people(desk)["ana@example.org"].name == "Ana Old"


def test_duplicates_of_registered_people_are_updated_when_asked(desk):
    make_registrant(desk.event, buyer_name="Ana Old", buyer_email="ana@example.org")
    job = run_import(desk, b"name,email\nAna New,ana@example.org\n", duplicates="update")
    assert job.updated_rows == 1 and job.created_rows == 0
    assert people(desk)["ana@example.org"].name == "Ana New"
    assert Registrant.select().where(Registrant.event == desk.event.id).count() == 1


def test_the_same_email_twice_in_the_file_is_reported(desk):
    job = run_import(desk, b"name,email\nAna,ana@example.org\nAna again,ana@example.org\n")
    assert job.created_rows == 1 and job.failed_rows == 1
    assert "row 2" in job.row_errors[0]["errors"][0]


def test_rows_beyond_capacity_are_reported_not_dropped(desk):
    data = "name,email\n" + "".join(f"P{i},p{i}@example.org\n" for i in range(5))
    job = run_import(desk, data.encode(), product=desk.vip)  # quota 3
    assert job.created_rows == 3 and job.failed_rows == 2
    assert all("seat" in " ".join(e["errors"]) for e in job.row_errors)
    assert Registrant.select().where(Registrant.product == desk.vip.id).count() == 3


def test_mapping_without_email_is_refused_beside_the_field(desk):
    response = upload(desk, b"who,address\nAna,ana@example.org\n")
    job_url = response.headers["Location"]
    page = desk.client.get(job_url).text
    assert "Preview of the first rows" in page and "Ana" in page
    response = desk.client.post(job_url, data={"map-name": "0", "product": str(desk.product.id), "duplicates": "skip"})
    assert response.status_code == 422
    assert re.search(r'id="map-email-error"[^>]*>Choose the column', response.text)
    assert Job.get().state == "mapping"


def test_preview_shows_row_problems_before_importing(desk):
    response = upload(desk, b"name,email\nAna,broken\n")
    job_url = response.headers["Location"]
    fragment = desk.client.post(
        job_url,
        data={"map-name": "0", "map-email": "1", "product": str(desk.product.id), "duplicates": "skip"},
        headers={"HX-Request": "true"},
    ).text
    assert "not an email address" in fragment and "<html" not in fragment
    assert people(desk) == {}


@pytest.mark.parametrize("data", [b"", b"\n\n", b"name,email\n"])
def test_empty_files_are_refused(desk, data):
    response = upload(desk, data)
    assert response.status_code == 422 and ("empty" in response.text or "no participants" in response.text)


def test_uploaded_files_are_deleted_after_a_week(desk):
    import datetime as dt

    job = run_import(desk, b"name,email\nAna,\n")
    assert desk.client.get(f"/console/imports/{job.id}/errors.csv").status_code == 200
    assert imports.forget_old_files(now=job.created_at + dt.timedelta(days=8)) == 1
    assert (
        not storage().exists(imports.job_file(Job.get_by_id(job.id))) if Job.get_by_id(job.id).params["path"] else True
    )
    assert desk.client.get(f"/console/imports/{job.id}/errors.csv").status_code == 404
    assert "Rows with errors" in desk.client.get(f"/console/jobs/{job.id}").text


# -- batches ----------------------------------------------------------------------------------------


def test_a_batch_that_straddles_the_quota_adds_up_to_it_and_reports_the_rest(desk, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 2)
    data = "name,email\n" + "".join(f"P{i},p{i}@example.org\n" for i in range(6))
    job = run_import(desk, data.encode(), product=desk.vip)  # quota 3: the second batch straddles it
    assert job.state == "done" and job.processed == 6
    assert job.created_rows == 3 and job.failed_rows == 3
    assert [e["row"] for e in job.row_errors] == [5, 6, 7]
    assert all("no seat left for “VIP”" in e["errors"][0] for e in job.row_errors)
    assert set(people(desk)) == {"p0@example.org", "p1@example.org", "p2@example.org"}


def test_the_same_email_in_two_batches_is_reported_once_and_the_first_row_kept(desk, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 2)
    job = run_import(desk, b"name,email\nAna,ana@example.org\nBudi,budi@example.org\nAna Two,ANA@example.org\n")
    assert job.created_rows == 2 and job.failed_rows == 1
    assert [{k: v for k, v in e.items() if k != "errors_i18n"} for e in job.row_errors] == [
        {"row": 4, "email": "ana@example.org", "errors": ["the same email as row 2 of this file"]}
    ]
    assert people(desk)["ana@example.org"].name == "Ana"


def test_a_bad_row_in_the_middle_of_a_batch_does_not_hold_back_the_others(desk):
    job = run_import(desk, b"name,email\nAna,ana@example.org\nBad,nope\nCarl,carl@example.org\n")
    assert job.created_rows == 2 and [e["row"] for e in job.row_errors] == [3]
    assert set(people(desk)) == {"ana@example.org", "carl@example.org"}


def test_a_row_the_database_refuses_fails_alone(desk, monkeypatch):
    from webapp.orders import additions

    real = additions.write_orders_each

    def write(event, product, batch, *args):
        if any(p["email"] == "boom@example.org" for p in batch):
            raise RuntimeError("value refused by the database")
        return real(event, product, batch, *args)

    monkeypatch.setattr(additions, "write_orders_each", write)
    job = run_import(desk, b"name,email\nAna,ana@example.org\nBoom,boom@example.org\nCarl,carl@example.org\n")
    assert job.state == "done" and job.created_rows == 2 and job.failed_rows == 1
    assert [{k: v for k, v in e.items() if k != "errors_i18n"} for e in job.row_errors] == [
        {"row": 3, "email": "boom@example.org", "errors": ["value refused by the database"]}
    ]
    assert set(people(desk)) == {"ana@example.org", "carl@example.org"}
    assert Order.select().where(Order.event == desk.event.id).count() == 2


def test_updates_skips_and_new_people_mix_in_one_batch(desk):
    company = make_question(desk.event, label="Company", kind="text", per_attendee=True)
    ana = make_registrant(desk.event, buyer_name="Ana Old", buyer_email="ana@example.org")
    data = b"name,email,Company\nAna New,ana@example.org,Acme\nBudi,budi@example.org,Initech\n"
    job = run_import(desk, data, duplicates="update")
    assert (job.updated_rows, job.created_rows, job.skipped_rows, job.failed_rows) == (1, 1, 0, 0)
    imported = people(desk)
    assert imported["ana@example.org"].id == ana.id and imported["ana@example.org"].name == "Ana New"
    assert imported["ana@example.org"].answers == {str(company.id): "Acme"}
    assert imported["budi@example.org"].answers == {str(company.id): "Initech"}


def test_someone_who_registers_during_the_import_is_not_added_twice(desk, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 1)
    saved = imports._save_progress

    def save_progress(run, **kwargs):  # the first row is in: Carl registers on the landing page
        saved(run, **kwargs)
        if kwargs["processed"] == 1 and not kwargs.get("state"):
            make_registrant(desk.event, buyer_name="Carl Web", buyer_email="carl@example.org")

    monkeypatch.setattr(imports, "_save_progress", save_progress)
    job = run_import(desk, b"name,email\nAna,ana@example.org\nCarl,carl@example.org\n", duplicates="skip")
    assert job.created_rows == 1 and job.skipped_rows == 1
    assert people(desk)["carl@example.org"].name == "Carl Web"


def test_progress_is_saved_after_every_batch(desk, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 2)
    seen = []
    saved = imports._save_progress

    def save_progress(run, **kwargs):
        saved(run, **kwargs)
        seen.append((Job.get_by_id(run.job.id).processed, run.created))

    monkeypatch.setattr(imports, "_save_progress", save_progress)
    data = "name,email\n" + "".join(f"P{i},p{i}@example.org\n" for i in range(5))
    run_import(desk, data.encode())
    assert seen == [(2, 2), (4, 4), (5, 5), (5, 5)]


def test_the_import_announces_each_order(desk):
    from webapp import signals

    heard = []

    def created(sender, order_id, **kwargs):
        heard.append(order_id)

    with signals.registration_created.connected_to(created):
        run_import(desk, b"name,email\nAna,ana@example.org\nBudi,budi@example.org\n")
    assert sorted(heard) == sorted(r.order_id for r in people(desk).values())


def test_a_control_character_deep_in_the_file_fails_its_row_only(desk):
    padding = "".join(f"P{i},p{i}@example.org\n" for i in range(250))  # past the upload's binary sniff
    data = f"name,email\n{padding}Nul\x00Name,nul@example.org\nOk,ok\x00@example.org\nLast,last@example.org\n"
    job = run_import(desk, data.encode())
    assert job.created_rows == 251 and job.failed_rows == 2
    by_row = {e["row"]: e["errors"] for e in job.row_errors}
    assert by_row[252] == ["the name contains an invisible control character"]
    assert by_row[253] == ["“ok@example.org” is not an email address"]
    assert "last@example.org" in people(desk)


def test_a_large_import_gives_way_between_slices_and_still_finishes_once(desk, monkeypatch):
    """Bulk work runs in bounded slices: after each, urgent work goes first; the job carries on
    from its checkpoint, and the pauses are not counted as runs of a dead worker."""
    paused = []
    real_pause = jobs._pause

    def pause(job):
        paused.append(job.processed)
        real_pause(job)

    monkeypatch.setattr(jobs, "SLICE_SECONDS", 0.0)
    monkeypatch.setattr(jobs, "_pause", pause)
    monkeypatch.setattr(imports, "PROGRESS_STEPS", 1)  # batches of BATCH rows
    rows = "".join(f"Person {i},p{i}@example.org\n" for i in range(600))
    job = run_import(desk, ("Name,Email\n" + rows).encode())
    while work.more_ready():  # a loaded machine spends a run's time budget before the job ends
        work.run_ready()
    job = Job.get_by_id(job.id)
    assert job.state == "done" and job.created_rows == 600 and job.runs == 1
    assert len(paused) == 2  # 250, 500, then the last 100 in a third slice
    assert Registrant.select().where(Registrant.event == desk.event.id).count() == 600


def test_a_small_file_moves_its_progress_in_steps_from_the_start(desk, monkeypatch):
    seen = []
    checkpoint = jobs.checkpoint

    def record(job, **values):
        seen.append(values["processed"])
        return checkpoint(job, **values)

    monkeypatch.setattr(jobs, "checkpoint", record)
    data = "name,email\n" + "".join(f"P{i},p{i}@example.org\n" for i in range(60))
    job = run_import(desk, data.encode())
    assert job.state == "done" and job.created_rows == 60
    # 60 rows: twelve steps of five, not one jump from 0 to 100 %.
    assert sorted(set(seen)) == list(range(5, 65, 5))
    assert imports.batch_size(50_000) == imports.BATCH
