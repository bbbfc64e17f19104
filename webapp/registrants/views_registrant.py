"""One registrant: answers, order, payments, ticket, emails, check-ins; edit, cancel, refund, move.
And adding a participant by hand."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import JOIN

from webapp.accounts.access import event_required, org_id
from webapp.accounts.models import User
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Product, Question
from webapp.catalog.questions import answers_from_form, build_fields, field_name, form_data, format_answer
from webapp.checkin import door
from webapp.checkin.models import Checkin, CheckinList
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.mail import service as mail
from webapp.mail.notify import NotAdmitted, resend_ticket
from webapp.mail.service import NotResent, emails_for_registrant
from webapp.orders import service as orders
from webapp.orders import states
from webapp.orders.models import Order, Registrant
from webapp.orders.service import OrderError
from webapp.registrants.forms import AddParticipantForm, MoveForm, PersonForm
from webapp.tickets.service import NoTickets, registrant_pdf

bp = Blueprint("registrant", __name__, url_prefix="/console")

ANSWER_PREFIX = "a-"


def _questions(event) -> list[Question]:
    return list(
        Question.select()
        .where((Question.organization == org_id()) & (Question.event == event.id))
        .order_by(Question.position, Question.id)
    )


def _ticket_products(event) -> list[Product]:
    return list(
        Product.select()
        .where((Product.organization == org_id()) & (Product.event == event.id) & (Product.admits_entry == True))  # noqa: E712
        .order_by(Product.position, Product.id)
    )


def _with_questions(base, questions):

    return type(base.__name__, (base,), build_fields(questions, prefix=ANSWER_PREFIX))


def _field_names(questions) -> list[str]:

    return [field_name(q, ANSWER_PREFIX) for q in questions]


def _registrant(event, registrant_id: int) -> Registrant:
    return (
        Registrant.select(Registrant, Order, Product)
        .join(Order)
        .switch(Registrant)
        .join(Product)
        .where(
            (Registrant.id == registrant_id) & (Registrant.organization == org_id()) & (Registrant.event == event.id)
        )
        .get()
    )


def _service_error_types():

    return (OrderError, NotAdmitted, NotResent)


# -- adding ---------------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/participants/new", methods=["GET", "POST"])
@event_required("registrants")
def add_participant(event_id: int):

    event = event_or_404(event_id)
    questions = _questions(event)
    products = _ticket_products(event)
    form = _with_questions(AddParticipantForm, questions)()
    form.product.choices = [(p.id, f"{p.name}") for p in products]
    if request.method == "GET" and products:
        form.product.data = products[0].id
    if form.validate_on_submit():
        product = next(p for p in products if p.id == form.product.data)
        person = {
            "name": form.name.data.strip(),
            "email": form.email.data.strip(),
            "answers": answers_from_form(form, questions, prefix=ANSWER_PREFIX),
        }
        try:
            order = orders.add_participants(
                event, product, [person], source="console", paid=form.paid.data,
                send_ticket=form.send_ticket.data, actor=current_user,
            )  # fmt: skip
        except orders.OrderError as exc:
            form.product.errors = [*form.product.errors, str(exc)]
        else:
            registrant = order.registrants.get()
            sent = " " + _("The ticket is on its way.") if form.send_ticket.data and form.paid.data else ""
            flash(
                _("%(name)s is registered (order %(code)s).%(sent)s", name=registrant.name, code=order.code, sent=sent),
                "success",
            )
            if request.form.get("another"):
                return redirect(url_for("registrant.add_participant", event_id=event.id), code=303)
            return redirect(url_for("registrant.registrant", event_id=event.id, registrant_id=registrant.id), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "console/registrants/new.html", event=event, form=form, questions=questions, products=products,
        question_fields=_field_names(questions),
    ), status  # fmt: skip


# -- the registrant's page -------------------------------------------------------------------------


def _page(event, registrant, *, edit_form=None, move_form=None, status=200):

    questions = _questions(event)
    if edit_form is None:
        data = {"name": registrant.name, "email": registrant.email}
        merged = {**(registrant.order.answers or {}), **(registrant.answers or {})}
        data.update(form_data(questions, merged, prefix=ANSWER_PREFIX))
        edit_form = _with_questions(PersonForm, questions)(formdata=None, data=data)
    if move_form is None:
        move_form = MoveForm(formdata=None, data={"product": registrant.product_id})
    move_form.product.choices = [(p.id, p.name) for p in _ticket_products(event)]
    answers = {**(registrant.order.answers or {}), **(registrant.answers or {})}
    return render_template(
        "console/registrants/detail.html",
        event=event,
        r=registrant,
        order=registrant.order,
        answers=[(q, format_answer(q, answers.get(str(q.id)))) for q in questions],
        emails=emails_for_registrant(registrant),
        checkins=_checkins(registrant),
        door_answers=door.answer_messages(),
        others=list(registrant.order.registrants.where(Registrant.id != registrant.id).order_by(Registrant.id)),
        edit_form=edit_form,
        move_form=move_form,
        question_fields=_field_names(questions),
        groups=catalog_groups.groups_of(event),
        state=states.of_registrant(registrant, registrant.order, event),
        state_labels=states.LABELS,
    ), status


def _checkins(registrant):

    return list(
        Checkin.select(Checkin, CheckinList, User)
        .join(CheckinList)
        .switch(Checkin)
        .join(User, on=(Checkin.user == User.id), join_type=JOIN.LEFT_OUTER)
        .where(Checkin.registrant == registrant.id)
        .order_by(Checkin.id.desc())
        .limit(100)
    )


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>")
@event_required("participants")
def registrant(event_id: int, registrant_id: int):
    event = event_or_404(event_id)
    return _page(event, _registrant(event, registrant_id))


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>/edit", methods=["POST"])
@event_required("registrants")
def registrant_edit(event_id: int, registrant_id: int):

    event = event_or_404(event_id)
    reg = _registrant(event, registrant_id)
    questions = _questions(event)
    form = _with_questions(PersonForm, questions)()
    if form.validate_on_submit():
        try:
            orders.update_registrant(
                reg,
                name=form.name.data,
                email=form.email.data,
                answers=_edited_answers(reg, questions, answers_from_form(form, questions, prefix=ANSWER_PREFIX)),
                actor=current_user,
            )
        except orders.OrderError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            flash(_("Saved. The ticket now carries the new details."), "success")
            return redirect(url_for("registrant.registrant", event_id=event.id, registrant_id=reg.id), code=303)
    return _page(event, reg, edit_form=form, status=422)


def _edited_answers(registrant, questions, submitted: dict) -> dict:
    """The form's answers replace those of the questions it shows (an emptied field removes its
    answer); answers to questions deleted since are kept."""
    shown = {str(q.id) for q in questions}
    kept = {k: v for k, v in (registrant.answers or {}).items() if k not in shown}
    return {**kept, **submitted}


def _action(event_id: int, registrant_id: int, do, success: str):
    event = event_or_404(event_id)
    reg = _registrant(event, registrant_id)
    try:
        do(reg)
    except _service_error_types() as exc:
        flash(str(exc), "error")
    else:
        flash(success.format(name=reg.name), "success")
    return redirect(url_for("registrant.registrant", event_id=event.id, registrant_id=reg.id), code=303)


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>/cancel", methods=["POST"])
@event_required("registrants")
def registrant_cancel(event_id: int, registrant_id: int):
    return _action(
        event_id, registrant_id, lambda r: orders.cancel_registrant(r, actor=current_user),
        "{name}'s registration is canceled; the ticket no longer admits.",
    )  # fmt: skip


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>/refund", methods=["POST"])
@event_required("registrants")
def registrant_refund(event_id: int, registrant_id: int):
    return _action(
        event_id, registrant_id, lambda r: orders.mark_refunded(r.order, actor=current_user),
        "The order is marked as refunded. Send the money back through your bank or gateway.",
    )  # fmt: skip


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>/approve", methods=["POST"])
@event_required("registrants")
def registrant_approve(event_id: int, registrant_id: int):

    decision = request.form.get("decision")
    if decision == "decline":
        return _action(event_id, registrant_id, lambda r: orders.decline_order(r.order, actor=current_user),
                       "The registration is declined.")  # fmt: skip
    return _action(event_id, registrant_id, lambda r: orders.approve_order(r.order, actor=current_user),
                   "The registration is approved.")  # fmt: skip


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>/resend", methods=["POST"])
@event_required("registrants")
def registrant_resend(event_id: int, registrant_id: int):
    return _action(event_id, registrant_id, lambda r: resend_ticket(r, actor=current_user),
                   "The ticket is on its way to {name}.")  # fmt: skip


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>/emails/<int:message_id>/resend", methods=["POST"])
@event_required("registrants")
def registrant_email_resend(event_id: int, registrant_id: int, message_id: int):

    def resend(reg):
        message = mail.get_message(org_id(), message_id)
        if message.registrant_id != reg.id:
            raise mail.Outbox.DoesNotExist
        mail.resend(message, actor=current_user)

    return _action(event_id, registrant_id, resend, "The email is queued again.")


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>/move", methods=["POST"])
@event_required("registrants")
def registrant_move(event_id: int, registrant_id: int):

    event = event_or_404(event_id)
    reg = _registrant(event, registrant_id)
    form = MoveForm()
    products = _ticket_products(event)
    form.product.choices = [(p.id, p.name) for p in products]
    if form.validate_on_submit():
        product = next(p for p in products if p.id == form.product.data)
        try:
            orders.change_product(reg, product, actor=current_user)
        except orders.OrderError as exc:
            form.product.errors = [*form.product.errors, str(exc)]
        else:
            flash(_("%(name)s now holds a %(name2)s ticket.", name=reg.name, name2=product.name), "success")
            return redirect(url_for("registrant.registrant", event_id=event.id, registrant_id=reg.id), code=303)
    return _page(event, reg, move_form=form, status=422)


@bp.route("/events/<int:event_id>/registrants/<int:registrant_id>/ticket.pdf")
@event_required("registrants")
def registrant_ticket(event_id: int, registrant_id: int):

    event = event_or_404(event_id)
    reg = _registrant(event, registrant_id)
    try:
        pdf = registrant_pdf(reg)
    except NoTickets:
        flash(_("This registrant has no valid ticket (unpaid, canceled or awaiting approval)."), "error")
        return redirect(url_for("registrant.registrant", event_id=event.id, registrant_id=reg.id), code=303)
    filename = f"ticket-{reg.order.code}-{reg.id}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})
