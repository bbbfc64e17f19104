from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_coupon, make_product, make_question
from tests.factories.events import make_event


def test_every_setup_page_opens(app, auth):
    org = make_org()
    event = make_event(org, languages=["en", "id"])
    product = make_product(event, name="Speaker", hidden=True, access_key="speaker-key")
    coupon = make_coupon(event)
    question = make_question(event, kind="multichoice", options=["A", "B"], contact_field="custom:topics")
    client = auth.client_for(make_member(org, "manager"), org)
    base = f"/console/events/{event.id}"
    pages = [
        "/console/events/",
        "/console/events/?status=draft",
        "/console/events/new",
        base,
        f"{base}/registration",
        f"{base}/languages",
        f"{base}/languages/id",
        f"{base}/products",
        f"{base}/products/new",
        f"{base}/products/{product.id}",
        f"{base}/coupons",
        f"{base}/coupons/new",
        f"{base}/coupons/{coupon.id}",
        f"{base}/questions",
        f"{base}/questions/new",
        f"{base}/questions/{question.id}",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    product_page = client.get(f"{base}/products/{product.id}").get_data(as_text=True)
    assert f"/e/{org.slug}/{event.slug}?product=speaker-key" in product_page
    question_page = client.get(f"{base}/questions/{question.id}").get_data(as_text=True)
    assert 'value="topics"' in question_page


def test_htmx_list_requests_get_only_the_rows(app, auth):
    org = make_org()
    make_event(org, name="Htmx Meetup")
    client = auth.client_for(make_member(org, "manager"), org)
    response = client.get("/console/events/", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "Htmx Meetup" in body and "<html" not in body
    assert "HX-Request" in response.headers.get("Vary", "")
    full = client.get("/console/events/")
    assert "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers.get("Vary", "")


def test_a_boosted_link_to_the_event_list_gets_the_whole_page(app, auth):
    org = make_org()
    make_event(org, name="Boosted Meetup")
    client = auth.client_for(make_member(org, "manager"), org)
    response = client.get("/console/events/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    body = response.get_data(as_text=True)
    assert "<html" in body and "Boosted Meetup" in body


def test_translation_page_only_for_offered_languages(app, auth):
    org = make_org()
    event = make_event(org)  # English only
    client = auth.client_for(make_member(org, "manager"), org)
    assert client.get(f"/console/events/{event.id}/languages/id").status_code == 302
