from werkzeug.datastructures import LanguageAccept

from tests.factories.accounts import make_org
from tests.factories.events import make_event
from webapp.events.i18n import choose_locale


def test_explicit_choice_then_remembered_then_browser_then_main_language(app):
    event = make_event(make_org(), languages=["en", "id"])
    browser = LanguageAccept([("id", 1)])
    assert choose_locale(event, requested="en", remembered=["id"], accept=browser) == ("en", True)
    assert choose_locale(event, requested=None, remembered=[None, "en"], accept=browser) == ("en", False)
    assert choose_locale(event, requested="fr", remembered=[], accept=browser) == ("id", False)
    assert choose_locale(event, requested=None, remembered=[], accept=LanguageAccept([("fr", 1)])) == ("en", False)


def test_only_the_events_languages_are_used(app):
    event = make_event(make_org(), languages=["id"])
    assert choose_locale(event, requested="en", remembered=["en"], accept=LanguageAccept([("en", 1)])) == ("id", False)
