from webapp.catalog.models import Coupon, Product, Question
from webapp.db import utcnow
from webapp.events.models import Event


def test_demo_org_gets_a_published_event_people_can_register_for(app, client, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    event = Event.get(Event.slug == "product-summit")
    assert event.status == "published" and event.timezone == "Asia/Jakarta"
    assert 14 <= (event.starts_at - utcnow()).days <= 35
    products = list(Product.select().where(Product.event == event.id))
    assert {p.price for p in products if p.admits_entry} == {0, 250000}
    assert any(not p.admits_entry for p in products)
    assert all(p.currency == "IDR" for p in products)
    assert Question.select().where(Question.event == event.id).count() == 2
    assert Coupon.get(Coupon.event == event.id).code == "EARLYBIRD"
    page = client.get("/e/demo/product-summit")
    assert page.status_code == 200 and "Jakarta Product Summit" in page.get_data(as_text=True)
