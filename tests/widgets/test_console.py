"""The console side: the allow-list of websites (admins; checked origins; audited), and an
event's widget page with its snippets and the self check-in switch."""

from __future__ import annotations

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.widgets import service
from webapp.widgets.origins import OriginError, parse_origins


@pytest.mark.parametrize(
    "text, origins",
    [
        ("https://www.example.org", ["https://www.example.org"]),
        ("HTTPS://WWW.Example.ORG/\nhttps://www.example.org:443", ["https://www.example.org"]),
        (
            "https://shop.example.org:8443, https://*.example.net",
            ["https://shop.example.org:8443", "https://*.example.net"],
        ),
        ("http://localhost:8000", ["http://localhost:8000"]),
        ("https://bücher.example", ["https://xn--bcher-kva.example"]),
        ("", []),
    ],
)
def test_origins_are_written_one_clean_way(text, origins):
    assert parse_origins(text) == origins


@pytest.mark.parametrize(
    "text",
    [
        "www.example.org",
        "http://www.example.org",
        "https://www.example.org/register",
        "https://www.example.org?x=1",
        "https://user@www.example.org",
        "https://www.example.org:99999",
        "https://www.example.org;script-src",
        "https://'self'",
        "javascript://alert(1)",
        "https://*",
        "https://-bad-.example.org",
        "https://exa mple.org",
        "https://" + "a" * 300 + ".org",
        "https://a.example\x00.org",
        "*",
        "'none'",
        "\n".join(f"https://s{n}.example.org" for n in range(21)),
    ],
)
def test_anything_but_an_origin_is_refused(text):
    with pytest.raises(OriginError):
        parse_origins(text)


def test_an_admin_saves_the_allowed_sites_and_the_change_is_audited(auth):
    org = make_org()
    admin = auth.client_for(make_member(org, role="admin"), org)
    empty = admin.get("/console/widgets").get_data(as_text=True)
    assert "refused on every website" in empty

    response = admin.post("/console/widgets", data={"origins": "https://www.example.org\nhttps://shop.example.org"})

    assert response.status_code == 303
    assert service.allowed_origins(org.id) == ["https://www.example.org", "https://shop.example.org"]
    entry = AuditEntry.get(AuditEntry.action == "widgets.origins")
    assert entry.changes == {"origins": [[], ["https://www.example.org", "https://shop.example.org"]]}


def test_a_bad_site_is_refused_beside_the_field_and_nothing_changes(auth):
    org = make_org()
    service.save_origins(org, "https://www.example.org", actor=None)
    admin = auth.client_for(make_member(org, role="admin"), org)
    for bad in ("https://www.example.org/path", "ftp://x.example.org", "https://a.example.org\x00", "x" * 6000):
        response = admin.post("/console/widgets", data={"origins": bad})
        assert response.status_code in (400, 422), bad
    response = admin.post("/console/widgets", data={"origins": "https://www.example.org/path"})
    html = response.get_data(as_text=True)
    assert 'id="origins-error"' in html and "without a path" in html
    assert service.allowed_origins(org.id) == ["https://www.example.org"]


def test_only_admins_set_the_allowed_sites(auth):
    org = make_org()
    manager = auth.client_for(make_member(org, role="manager"), org)
    assert manager.post("/console/widgets", data={"origins": "https://www.example.org"}).status_code == 403
    assert service.allowed_origins(org.id) == []


def test_the_event_page_gives_the_snippets_and_warns_without_sites(auth):
    org = make_org()
    event = make_event(org, name='Gala "Night"')
    manager = auth.client_for(make_member(org, role="manager"), org)
    html = manager.get(f"/console/events/{event.id}/widgets").get_data(as_text=True)
    assert "browsers refuse to show these widgets anywhere" in html
    assert f"data-rollcall-widget=&#34;http://rollcall.test/widget/{org.slug}/{event.slug}/register&#34;" in html
    assert "http://rollcall.test/static/js/widget.js" in html
    assert "&amp;#34;Night&amp;#34;" in html  # the name is escaped inside the snippet, and the snippet on the page
    service.save_origins(org, "https://www.example.org", actor=None)
    html = manager.get(f"/console/events/{event.id}/widgets").get_data(as_text=True)
    assert "<code>https://www.example.org</code>" in html


def test_self_checkin_is_switched_on_per_event_and_audited(auth):
    org = make_org()
    event, other = make_event(org), make_event(org)
    manager = auth.client_for(make_member(org, role="manager"), org)
    response = manager.post(f"/console/events/{event.id}/widgets", data={"self_checkin": "y"})
    assert response.status_code == 303
    assert service.self_checkin_enabled(event) and not service.self_checkin_enabled(other)
    assert AuditEntry.get(AuditEntry.action == "widgets.self_checkin").target_id == event.id


def test_another_organizations_event_answers_404(auth):
    org, stranger = make_org(), make_org()
    event = make_event(stranger)
    manager = auth.client_for(make_member(org, role="owner"), org)
    assert manager.get(f"/console/events/{event.id}/widgets").status_code in (403, 404)
    assert manager.post(f"/console/events/{event.id}/widgets", data={"self_checkin": "y"}).status_code in (403, 404)
    assert not service.self_checkin_enabled(event)
