"""Organization settings: a logo the site cannot take is refused beside its field."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import Image

from tests.factories.accounts import make_member, make_org
from webapp.accounts.models import Organization

SETTINGS = {"name": "Ana Events", "timezone": "Asia/Jakarta", "currency": "IDR", "brand_color": "#112233"}


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def owner_client(app, auth):
    org = make_org()
    return org, auth.client_for(make_member(org, "owner"), org)


def _post_logo(client, data: bytes):
    form = {**SETTINGS, "logo": (io.BytesIO(data), "logo.png")}
    return client.post("/console/settings", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [(5000, 5000, "at most 4000×4000 pixels"), (20000, 20000, "at most 4000×4000 pixels")],
)
def test_a_logo_with_too_many_pixels_is_refused_beside_the_field(owner_client, width, height, message):
    org, client = owner_client
    response = _post_logo(client, _png(width, height))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    org = Organization.get_by_id(org.id)
    assert org.logo_path is None and org.name != "Ana Events"


def test_a_logo_over_2_mb_is_refused_beside_the_field(owner_client):
    org, client = owner_client
    response = _post_logo(client, _png(10, 10) + b"\0" * (2 * 1024 * 1024))
    assert response.status_code == 422
    assert "at most 2 MB" in response.get_data(as_text=True)
    assert Organization.get_by_id(org.id).logo_path is None


def test_a_png_whose_chunk_name_is_not_text_is_refused_beside_the_field(owner_client):
    """Pillow reads a chunk's name as text: bytes that are none raised in the logo's check."""
    org, client = owner_client
    chunk = b"\xff\xfe\xfd\xfc" + b"data"
    broken = _png(8, 8)[:33] + struct.pack(">I", 4) + chunk + struct.pack(">I", zlib.crc32(chunk)) + _png(8, 8)[33:]
    response = _post_logo(client, broken)
    assert response.status_code == 422
    assert "The logo must be a PNG, JPEG or WebP image." in response.get_data(as_text=True)
    assert Organization.get_by_id(org.id).logo_path is None


def test_a_good_logo_is_kept(owner_client):
    org, client = owner_client
    assert _post_logo(client, _png(64, 64)).status_code == 303
    assert Organization.get_by_id(org.id).logo_path


def test_mail_tracking_is_on_by_default_and_can_be_switched_off(owner_client):
    org, client = owner_client
    page = client.get("/console/settings").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="track_mail"|<input[^>]*name="track_mail"[^>]*checked', page)
    assert client.post("/console/settings", data=SETTINGS).status_code == 303
    assert Organization.get_by_id(org.id).track_mail is False
    assert client.post("/console/settings", data={**SETTINGS, "track_mail": "y"}).status_code == 303
    assert Organization.get_by_id(org.id).track_mail is True
