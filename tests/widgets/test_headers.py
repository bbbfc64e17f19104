"""Framing: every answer refuses it (frame-ancestors 'none' and X-Frame-Options DENY) except the
widget pages, which only the organization's allowed websites may frame."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.tickets import make_paid_order
from tests.widgets.helpers import SITE, checkin_path, hidden, register_path, widget_event
from webapp.security import allow_framing
from webapp.widgets import service


def _refuses_framing(response) -> bool:
    policy = response.headers["Content-Security-Policy"]
    return response.headers.get("X-Frame-Options") == "DENY" and "frame-ancestors 'none'" in policy


def _frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(p.strip() for p in policy.split(";") if p.strip().startswith("frame-ancestors"))


def test_every_route_but_the_widgets_refuses_to_be_framed(app, client):
    org, event = widget_event()
    tried = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith("widgets."):
            continue
        args = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x" for name in rule.arguments}
        url = app.url_map.bind("rollcall.test").build(rule.endpoint, args)
        response = client.get(url)
        assert _refuses_framing(response), url
        tried += 1
    assert tried > 100


@pytest.mark.parametrize("route_class", ["landing", "register", "order", "console", "door", "api", "static"])
def test_each_route_class_refuses_framing_even_for_an_allowed_site(route_class, client, auth):
    org, event = widget_event()
    make_product(event, price=0)
    user = make_member(org, role="owner")
    signed_in = auth.client_for(user, org)
    urls = {
        "landing": f"/e/{org.slug}/{event.slug}",
        "register": f"/e/{org.slug}/{event.slug}/register",
        "order": "/o/unknown",
        "console": f"/console/events/{event.id}/widgets",
        "door": f"/checkin/{event.id}",
        "api": "/api/v1/events",
        "static": "/static/js/widget.js",
    }
    response = (signed_in if route_class in ("console", "door") else client).get(urls[route_class])
    assert response.status_code < 500
    assert _refuses_framing(response)


def test_widget_pages_may_be_framed_by_the_allowed_sites_only(client):
    org, event = widget_event(origins=(SITE, "https://*.example.net"))
    make_product(event, price=0)
    service.set_self_checkin(event, True, actor=None)
    for path in (register_path(event), checkin_path(event)):
        response = client.get(path)
        assert response.status_code == 200
        assert _frame_ancestors(response) == f"frame-ancestors {SITE} https://*.example.net"
        assert "X-Frame-Options" not in response.headers
        assert "https://evil.example" not in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_an_organization_without_allowed_sites_has_its_widgets_framed_nowhere(client):
    org, event = widget_event(origins=None)
    make_product(event, price=0)
    response = client.get(register_path(event))
    assert response.status_code == 200
    assert _refuses_framing(response)


def test_another_organizations_sites_do_not_open_this_ones_widgets(client):
    widget_event(origins=("https://other.example",))
    org, event = widget_event(origins=(SITE,))
    make_product(event, price=0)
    response = client.get(register_path(event))
    assert "other.example" not in response.headers["Content-Security-Policy"]


def test_the_widget_never_sets_a_cookie(client):
    org, event = widget_event()
    make_product(event, price=0)
    response = client.get(register_path(event) + f"?parent={SITE}")
    assert "Set-Cookie" not in response.headers
    assert f'data-parent-origin="{SITE}"' in response.get_data(as_text=True)
    assert 'name="csrf_token"' not in response.get_data(as_text=True)


def test_the_frame_posts_its_height_only_to_an_allowed_parent(client):
    org, event = widget_event()
    make_product(event, price=0)
    html = client.get(register_path(event) + "?parent=https://evil.example").get_data(as_text=True)
    assert 'data-parent-origin=""' in html
    assert "evil.example" not in html


def test_a_draft_or_unknown_event_has_no_widget(client):
    org = make_org()
    draft = make_event(org, status="draft")
    assert client.get(register_path(draft)).status_code == 404
    assert client.get(f"/widget/{org.slug}/nothing/register").status_code == 404


def test_the_widget_wears_the_organizations_brand(client):
    org, event = widget_event()
    org.brand_color, org.name = "#aa2200", "Acme Events"
    org.save()
    make_product(event, price=0)
    html = client.get(register_path(event)).get_data(as_text=True)
    assert "--brand: #aa2200" in html
    assert "Acme Events" in html  # the name stands where a logo would


def test_a_stored_value_that_is_no_origin_never_reaches_the_header(app):
    response = app.response_class("")
    allow_framing(response, ["https://ok.example", "https://a.example; script-src *", "'self'"])
    assert response.frame_ancestors == ["https://ok.example"]
    allow_framing(response, ["'none' https://x.example"])
    assert response.frame_ancestors == []


# Error pages under /widget/: shown inside the frame, never the browser's refusal to frame.


def test_a_widget_address_of_a_gone_event_answers_a_message_the_allowed_sites_may_frame(client):
    org, event = widget_event(origins=(SITE,))
    org.name = "Acme Events"
    org.save()
    response = client.get(f"/widget/{org.slug}/no-such-event/register?parent={SITE}")
    assert response.status_code == 404
    assert _frame_ancestors(response) == f"frame-ancestors {SITE}"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "This form is not available" in html and "Acme Events" in html
    assert f'data-parent-origin="{SITE}"' in html  # the frame still sizes itself
    assert "requested URL was not found" not in html


def test_a_widget_error_whose_organization_is_unknown_is_a_bare_message_any_site_may_frame(client):
    for path in ("/widget/no-such-org/summit/register", "/widget/o/no-such-order", "/widget/o/no-such-order/pay"):
        response = client.get(path)
        assert response.status_code in (404, 405), path
        assert _frame_ancestors(response) == "frame-ancestors *", path
        assert "X-Frame-Options" not in response.headers
        html = response.get_data(as_text=True)
        assert "<a " not in html and "<form" not in html and 'data-parent-origin=""' in html


def test_a_widget_form_sent_stale_answers_400_inside_the_frame(client):
    org, event = widget_event(origins=(SITE, "https://*.example.net"))
    order = make_paid_order(["Ana Putri"], org=org, event=event)
    response = client.post(f"/widget/o/{order.secret}/pay", data={"widget_token": "forged"})
    assert response.status_code == 400
    assert _frame_ancestors(response) == f"frame-ancestors {SITE} https://*.example.net"
    assert "The form expired" in response.get_data(as_text=True)


def test_a_widget_error_of_an_organization_that_allows_no_site_is_framed_nowhere(client):
    org, event = widget_event(origins=None)
    response = client.get(f"/widget/{org.slug}/no-such-event/checkin")
    assert response.status_code == 404
    assert _refuses_framing(response)


def test_the_self_checkin_limit_answers_429_inside_the_frame(client):
    org, event = widget_event(origins=(SITE,))
    service.set_self_checkin(event, True, actor=None)
    page = client.get(checkin_path(event)).get_data(as_text=True)
    token = hidden(page, "widget_token")
    answers = [client.post(checkin_path(event), data={"widget_token": token, "who": f"p{i}@x.test"}) for i in range(12)]
    limited = answers[-1]
    assert limited.status_code == 429
    assert _frame_ancestors(limited) == f"frame-ancestors {SITE}"


def test_error_pages_elsewhere_still_refuse_framing(client):
    org, event = widget_event(origins=(SITE,))
    for path in (f"/e/{org.slug}/no-such-event", "/o/no-such-order", "/widgets/x", "/no-such-page"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert _refuses_framing(response), path
