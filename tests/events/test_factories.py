from tests.factories.accounts import make_org
from tests.factories.catalog import make_coupon, make_product, make_question
from tests.factories.events import make_event


def test_factories_build_a_sellable_event(app):
    org = make_org(timezone="Asia/Jakarta")
    event = make_event(org)
    ticket = make_product(event, price=150000)
    addon = make_product(event, admits_entry=False)
    coupon = make_coupon(event, code="early")
    question = make_question(event, kind="choice", options=["S", "M"])

    assert event.status == "published" and event.timezone == "Asia/Jakarta"
    assert event.ends_at > event.starts_at
    assert (ticket.position, addon.position) == (0, 1)
    assert ticket.currency == event.currency and ticket.organization_id == org.id
    assert coupon.code == "EARLY"
    assert question.options == ["S", "M"]
    assert make_event(org).slug != event.slug
