import datetime as dt

from werkzeug.datastructures import MultiDict
from wtforms import Form

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_question
from tests.factories.events import make_event
from webapp.catalog import questions
from webapp.catalog.models import Question


def _setup(auth):
    org = make_org()
    event = make_event(org)
    client = auth.client_for(make_member(org, "manager"), org)
    return org, event, client


def test_choice_question_with_contact_mapping(app, auth):
    org, event, client = _setup(auth)
    response = client.post(
        f"/console/events/{event.id}/questions/new",
        data={
            "label": "T-shirt size",
            "kind": "choice",
            "options": "S\nM\n\nL\nM",
            "required": "y",
            "per_attendee": "y",
            "show_at_checkin": "y",
            "contact_choice": "custom",
            "contact_key": "tshirt_size",
        },
    )
    assert response.status_code == 303
    q = Question.get(Question.event == event.id)
    assert q.options == ["S", "M", "L"]
    assert (q.required, q.per_attendee, q.show_at_checkin, q.contact_field) == (True, True, True, "custom:tshirt_size")


def test_choice_without_options_gets_a_field_error(app, auth):
    org, event, client = _setup(auth)
    response = client.post(f"/console/events/{event.id}/questions/new", data={"label": "Size", "kind": "choice"})
    assert response.status_code == 422
    assert 'id="options-error"' in response.get_data(as_text=True)
    assert Question.select().count() == 0


def test_custom_contact_field_needs_a_name(app, auth):
    org, event, client = _setup(auth)
    response = client.post(
        f"/console/events/{event.id}/questions/new",
        data={"label": "Diet", "kind": "text", "contact_choice": "custom", "contact_key": ""},
    )
    assert response.status_code == 422
    assert Question.select().count() == 0


def test_questions_move_up_and_down(app, auth):
    org, event, client = _setup(auth)
    first = make_question(event, label="First")
    make_question(event, label="Second")
    client.post(f"/console/events/{event.id}/questions/{first.id}/move", data={"direction": "down"})
    assert [q.label for q in Question.select().order_by(Question.position)] == ["Second", "First"]


def _bind(qs, data, locale="en"):
    cls = questions.form_class(qs, locale=locale, base=Form)
    return cls(formdata=MultiDict(data))


def test_fields_validate_each_kind(app):
    org = make_org()
    event = make_event(org)
    qs = [
        make_question(event, kind="number", required=True),
        make_question(event, kind="date"),
        make_question(event, kind="phone"),
        make_question(event, kind="country"),
        make_question(event, kind="multichoice", options=["Talks", "Workshops"]),
        make_question(event, kind="checkbox", required=True),
    ]
    with app.test_request_context():
        bad = ["abc", "31-02-2026", "call me", "XX", "Dancing"]
        form = _bind(qs, {f"q{q.id}": value for q, value in zip(qs, bad, strict=False)})
        assert not form.validate()
        assert set(form.errors) == {f"q{q.id}" for q in qs}

        form = _bind(
            qs,
            MultiDict(
                [
                    (f"q{qs[0].id}", "42.5"),
                    (f"q{qs[1].id}", "2026-02-28"),
                    (f"q{qs[2].id}", "+62 812-3456-7890"),
                    (f"q{qs[3].id}", "ID"),
                    (f"q{qs[4].id}", "Workshops"),
                    (f"q{qs[4].id}", "Talks"),
                    (f"q{qs[5].id}", "y"),
                ]
            ),
        )
        assert form.validate(), form.errors
        answers = questions.answers_from_form(form, qs)
    assert answers == {
        str(qs[0].id): 42.5,
        str(qs[1].id): "2026-02-28",
        str(qs[2].id): "+62 812-3456-7890",
        str(qs[3].id): "ID",
        str(qs[4].id): ["Talks", "Workshops"],
        str(qs[5].id): True,
    }


def test_required_message_follows_the_language(app):
    event = make_event(make_org())
    q = make_question(event, kind="text", required=True)
    with app.test_request_context(headers={"Accept-Language": "id"}):
        form = _bind([q], {})
        assert not form.validate()
        assert form.errors[f"q{q.id}"] == ["Kolom ini wajib diisi."]


def test_labels_and_options_are_shown_in_the_visitors_language(app):
    event = make_event(make_org())
    q = make_question(
        event,
        label="Diet",
        kind="choice",
        options=["Vegetarian", "None"],
        translations={"id": {"label": "Makanan", "options": ["Vegetarian", "Tidak ada"]}},
    )
    with app.test_request_context():
        form = _bind([q], {}, locale="id")
        field = form[f"q{q.id}"]
        assert field.label.text == "Makanan"
        assert ("None", "Tidak ada") in [(c[0], c[1]) for c in field.choices]
        # the stored answer is the main-language option, whatever language was shown
        form = _bind([q], {f"q{q.id}": "None"}, locale="id")
        assert form.validate()
        assert questions.answers_from_form(form, [q]) == {str(q.id): "None"}
        assert questions.format_answer(q, "None", "id") == "Tidak ada"


def test_format_answer_reads_like_a_person_wrote_it(app):
    event = make_event(make_org())
    with app.test_request_context():
        assert questions.format_answer(make_question(event, kind="country"), "ID", "en") == "Indonesia"
        assert questions.format_answer(make_question(event, kind="checkbox"), True) == "Yes"
        assert questions.format_answer(make_question(event, kind="date"), "2026-03-06", "en") == "Mar 6, 2026"
        multi = make_question(event, kind="multichoice", options=["Talks", "Workshops"])
        assert questions.format_answer(multi, ["Talks", "Workshops"]) == "Talks, Workshops"
        assert questions.format_answer(make_question(event), None) == ""


def test_stored_answers_prefill_an_edit_form(app):
    event = make_event(make_org())
    d = make_question(event, kind="date")
    n = make_question(event, kind="number")
    with app.test_request_context():
        data = questions.form_data([d, n], {str(d.id): "2026-03-06", str(n.id): 3})
        form = questions.form_class([d, n], base=Form)(data=data)
        assert form[f"q{d.id}"].data == dt.date(2026, 3, 6)
        assert 'value="2026-03-06"' in form[f"q{d.id}"]()


def test_contact_data_collects_mapped_answers(app):
    event = make_event(make_org())
    phone = make_question(event, kind="phone", contact_field="phone")
    company = make_question(event, kind="text", contact_field="company")
    size = make_question(event, kind="choice", options=["S", "M"], contact_field="custom:size")
    other = make_question(event, kind="text")
    answers = {str(phone.id): "+62 812", str(company.id): "Acme", str(size.id): "M", str(other.id): "x"}
    with app.test_request_context():
        data = questions.contact_data([phone, company, size, other], answers)
    assert data == {"phone": "+62 812", "company": "Acme", "custom": {"size": "M"}}
