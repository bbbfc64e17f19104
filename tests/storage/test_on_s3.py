"""The app with STORAGE_BACKEND=s3 against an S3-compatible server started by the tests: what is
stored lands in the bucket (nothing in the instance folder) and comes back to the person who asks."""

from __future__ import annotations

import io

import boto3
import peewee
import pytest
from PIL import Image

from tasks import huey
from tests.conftest import make_test_app
from tests.factories.accounts import make_member
from tests.factories.tickets import make_paid_order, pdf_text
from tests.storage.conftest import KEY_ID, SECRET
from webapp.db import db
from webapp.events.models import Event
from webapp.tickets import order_pdf_jobs
from webapp.tickets.models import TicketDocument
from webapp.work.models import Job


@pytest.fixture
def app(database_url, tmp_path, s3_bucket):
    app = make_test_app(tmp_path, database_url, ENVIRON=s3_bucket)
    huey.immediate = True
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()
    if isinstance(db.obj, peewee.PostgresqlDatabase):
        db.obj.close_all()


@pytest.fixture
def bucket(s3_bucket):
    client = boto3.client(
        "s3",
        endpoint_url=s3_bucket["S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )

    class Bucket:
        def keys(self, prefix=""):
            found = client.list_objects_v2(Bucket=s3_bucket["S3_BUCKET"], Prefix=prefix).get("Contents", [])
            return sorted(item["Key"] for item in found)

        def read(self, key):
            return client.get_object(Bucket=s3_bucket["S3_BUCKET"], Key=key)["Body"].read()

    return Bucket()


def _files_in(folder) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_ticket_pdf_is_generated_into_the_bucket_and_downloaded_from_it(app, client, bucket):
    order = make_paid_order(["Ana Putri", "Budi Santoso"])

    first = client.get(f"/tickets/{order.secret}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert "Ana Putri" in pdf_text(first.data) and "Budi Santoso" in pdf_text(first.data)

    stored = TicketDocument.get(TicketDocument.key == f"order:{order.id}")
    assert bucket.keys("tickets/") == [stored.path]
    assert bucket.read(stored.path) == first.data
    instance = app.config["SETTINGS"].instance_dir
    assert not [name for name in _files_in(instance) if name.startswith("tickets/")]

    again = client.get(f"/tickets/{order.secret}.pdf")
    assert again.data == first.data  # served from the bucket, not made again
    assert TicketDocument.get_by_id(stored.id).generated_at == stored.generated_at


def test_a_large_order_is_built_in_parts_in_the_bucket_and_the_parts_are_dropped(app, auth, bucket, monkeypatch):
    monkeypatch.setattr(order_pdf_jobs, "LARGE_ORDER", 2)
    monkeypatch.setattr(order_pdf_jobs, "CHUNK", 2)
    names = ["Ana Putri", "Budi Santoso", "Citra Dewi", "Dewi Lestari", "Eko Prasetyo"]
    order = make_paid_order(names)
    manager = auth.client_for(make_member(order.organization, "manager"), order.organization)

    asked = manager.get(f"/console/orders/{order.id}/tickets.pdf")
    assert asked.status_code == 303
    assert Job.get(Job.kind == order_pdf_jobs.KIND).state == "done"
    pdf = manager.get(f"/console/orders/{order.id}/tickets.pdf")
    assert pdf.status_code == 200
    assert all(name in pdf_text(pdf.data) for name in names)
    assert bucket.keys("job_parts/") == []
    assert len(bucket.keys("tickets/")) == 1


def test_a_cover_is_uploaded_to_the_bucket_and_served_from_it(app, auth, client, bucket):
    order = make_paid_order()
    event = order.event
    manager = auth.client_for(make_member(event.organization, "manager"), event.organization)
    image = io.BytesIO()
    Image.new("RGB", (800, 400), (200, 30, 30)).save(image, "PNG")
    answer = manager.post(
        f"/console/events/{event.id}/cover",
        data={"cover": (io.BytesIO(image.getvalue()), "cover.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    name = Event.get_by_id(event.id).cover_image
    assert bucket.keys("uploads/covers/") == [f"uploads/covers/{name}"]

    served = client.get(f"/media/covers/{name}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert Image.open(io.BytesIO(served.data)).size == (800, 400)
    assert "immutable" in served.headers["Cache-Control"]
    assert client.get("/media/covers/AAAAAAAAAAAAAAAAAAAAAA.png").status_code == 404
