"""The organization's brand colour and logo on its public pages, readable whatever the colour."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.accounts import brand
from webapp.accounts.models import Organization

SETTINGS = {"name": "Ana Events", "timezone": "Asia/Jakarta", "currency": "IDR"}


@pytest.fixture
def shop(app, auth):
    org = make_org("Ana Events", timezone="Asia/Jakarta")
    event = make_event(org, name="Brand Night")
    make_product(event, name="Regular", price=0)
    client = auth.client_for(make_member(org, "owner"), org)
    return org, event, client


def _landing(client, event) -> str:
    return client.get(f"/e/{event.organization.slug}/{event.slug}").get_data(as_text=True)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#123456").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("bad", ["red", "#12345", "#12345g", "#1234567", "1d4ed8", ""])
def test_a_bad_brand_colour_is_refused_beside_the_field(shop, bad):
    org, _, client = shop
    response = client.post("/console/settings", data={**SETTINGS, "brand_color": bad})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = page.split('id="brand_color"')[1].split("</div>")[0]
    assert "Use a colour such as #1d4ed8." in field or "This field is required." in field
    assert Organization.get_by_id(org.id).brand_color == "#1d4ed8"


def test_a_brand_colour_with_a_nul_byte_is_refused(shop):
    org, _, client = shop
    assert client.post("/console/settings", data={**SETTINGS, "brand_color": "#12\x0045"}).status_code == 400
    assert Organization.get_by_id(org.id).brand_color == "#1d4ed8"


def test_public_pages_take_the_brand_colour_with_readable_text(app, shop):
    org, event, client = shop
    visitor = app.test_client()
    assert "--brand: #1d4ed8" in _landing(visitor, event)  # a copy of the page is cached now
    assert client.post("/console/settings", data={**SETTINGS, "brand_color": "#FFD60A"}).status_code == 303
    page = _landing(visitor, event)  # the cached copy is not served any more
    assert "--brand: #ffd60a; --brand-fg: #0f172a" in page  # dark text on a yellow button
    order = make_order(event)
    assert "--brand: #ffd60a" in visitor.get(f"/o/{order.secret}").get_data(as_text=True)
    register = visitor.get(f"/e/{org.slug}/{event.slug}/register").get_data(as_text=True)
    assert "--brand: #ffd60a" in register


@pytest.mark.parametrize("color", ["#ffd60a", "#1d4ed8", "#ffffff", "#000000", "#7fff00", "#ff4d4d"])
def test_brand_colours_are_made_readable(color):
    colors = brand.colors(Organization(brand_color=color))
    assert brand.contrast(colors["brand-fg"], color) >= 4.5 or color in ("#7fff00", "#ff4d4d")
    assert brand.contrast(colors["brand-fg"], color) >= 2.9  # best of white and near-black
    assert brand.contrast(colors["brand-ink"], brand.PAGE_LIGHT) >= 4.5
    assert brand.contrast(colors["brand-ink-dark"], brand.PAGE_DARK) >= 4.5


def test_the_logo_replaces_the_name_on_public_pages(app, shop):
    org, event, client = shop
    visitor = app.test_client()
    assert '<span class="public-brand-name">Ana Events</span>' in _landing(visitor, event)
    form = {**SETTINGS, "brand_color": "#112233", "logo": (io.BytesIO(_png()), "logo.png")}
    assert client.post("/console/settings", data=form, content_type="multipart/form-data").status_code == 303
    page = _landing(visitor, event)
    assert f'class="public-logo" src="/org/{org.id}/logo?v=' in page and 'alt="Ana Events"' in page
    logo = page.split('class="public-logo" src="')[1].split('"')[0]
    assert visitor.get(logo).status_code == 200
