import io

from PIL import Image

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_coupon, make_product, make_question
from tests.factories.events import make_event
from webapp.catalog.models import Coupon, Product, Question
from webapp.events.models import Event


def _setup(auth, **kw):
    org = make_org()
    event = make_event(org, **kw)
    client = auth.client_for(make_member(org, "manager"), org)
    return org, event, client


def _png(width=800, height=400, fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def test_cover_upload_is_stored_and_served(app, auth, client):
    org, event, manager = _setup(auth)
    response = manager.post(
        f"/console/events/{event.id}/cover",
        data={"cover": (io.BytesIO(_png()), "cover.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    name = Event.get_by_id(event.id).cover_image
    assert name.endswith(".png")
    served = client.get(f"/media/covers/{name}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert Image.open(io.BytesIO(served.data)).size == (800, 400)
    assert name in client.get(f"/e/{org.slug}/{event.slug}").get_data(as_text=True)


def test_a_non_image_renamed_png_is_refused(app, auth):
    org, event, manager = _setup(auth)
    fake = io.BytesIO(b"<?php system($_GET['c']); ?>" + b"\x00" * 100)
    response = manager.post(
        f"/console/events/{event.id}/cover", data={"cover": (fake, "cover.png")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "not an image" in response.get_data(as_text=True)
    assert Event.get_by_id(event.id).cover_image is None


def test_a_too_large_cover_is_refused(app, auth):
    org, event, manager = _setup(auth)
    big = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * (6 * 1024 * 1024))
    response = manager.post(
        f"/console/events/{event.id}/cover", data={"cover": (big, "big.png")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "larger than 5 MB" in response.get_data(as_text=True)


def test_cover_names_cannot_reach_other_files(app, client):
    assert client.get("/media/covers/..%2Fsecret_key").status_code == 404
    assert client.get("/media/covers/secret_key").status_code == 404


def test_languages_and_one_page_translation_of_every_text(app, auth):
    org, event, manager = _setup(auth, name="Summit")
    product = make_product(event, name="Regular")
    question = make_question(event, label="Diet", kind="choice", options=["Vegetarian", "None"])
    response = manager.post(f"/console/events/{event.id}/languages", data={"main": "en", "languages": ["en", "id"]})
    assert response.status_code == 303
    assert Event.get_by_id(event.id).languages == ["en", "id"]
    response = manager.post(
        f"/console/events/{event.id}/languages/id",
        data={
            "event_name": "KTT",
            "event_summary": "",
            f"p{product.id}_name": "Reguler",
            f"q{question.id}_label": "Makanan",
            f"q{question.id}_options": "Vegetarian\nTidak ada",
        },
    )
    assert response.status_code == 303
    assert Event.get_by_id(event.id).translations == {"id": {"name": "KTT"}}
    assert Product.get_by_id(product.id).translations == {"id": {"name": "Reguler"}}
    assert Question.get_by_id(question.id).translations["id"]["options"] == ["Vegetarian", "Tidak ada"]


def test_currency_change_keeps_major_amounts_until_someone_orders(app, auth):
    org, event, manager = _setup(auth, currency="IDR", timezone="UTC")
    product = make_product(event, price=150000)
    coupon = make_coupon(event, kind="fixed", value=25000)
    data = {
        "name": event.name,
        "slug": event.slug,
        "timezone": "UTC",
        "starts_at": event.starts_at.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": event.ends_at.strftime("%Y-%m-%dT%H:%M"),
        "currency": "USD",
    }
    assert manager.post(f"/console/events/{event.id}", data=data).status_code == 303
    assert (Product.get_by_id(product.id).price, Product.get_by_id(product.id).currency) == (15000000, "USD")
    assert Coupon.get_by_id(coupon.id).value == 2500000


def test_currency_cannot_change_once_someone_ordered(app, auth):
    from webapp.orders.models import Order

    org, event, manager = _setup(auth, currency="IDR", timezone="UTC")
    Order.create(
        organization=org.id,
        event=event,
        code="Q1W2E3",
        secret="z" * 40,
        buyer_name="A",
        buyer_email="a@example.org",
        currency="IDR",
    )
    data = {
        "name": event.name,
        "slug": event.slug,
        "timezone": "UTC",
        "starts_at": event.starts_at.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": event.ends_at.strftime("%Y-%m-%dT%H:%M"),
        "currency": "USD",
    }
    response = manager.post(f"/console/events/{event.id}", data=data)
    assert response.status_code == 422
    assert 'id="currency-error"' in response.get_data(as_text=True)
    assert Event.get_by_id(event.id).currency == "IDR"
