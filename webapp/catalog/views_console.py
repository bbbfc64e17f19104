"""Console: an event's products, coupons and registration questions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required, org_id
from webapp.catalog import coupons, forms, service
from webapp.catalog.models import Coupon, Product, Question
from webapp.events.models import Event
from webapp.events.pages import event_or_404, form_page, initial, local, saved
from webapp.events.service import FieldError
from webapp.i18n import _
from webapp.money import to_major
from webapp.orders import capacity, offers
from webapp.templating import is_fragment_request, render_page

bp = Blueprint("catalog", __name__, url_prefix="/console/events/<int:event_id>")


def _row(model, event: Event, pk: int):
    return model.get((model.id == pk) & (model.event == event.id) & (model.organization == org_id()))


def _amount_text(amount: int | None, currency: str) -> str:
    return "" if amount is None else format(to_major(amount, currency), "f")


# ---- products -----------------------------------------------------------------------------


def _product_rows_context(event: Event) -> dict:
    products = list(Product.select().where(Product.event == event.id).order_by(Product.position, Product.id))
    return {
        "event": event,
        "products": products,
        "counts": offers.sales_counts(event),
        "left": capacity.availability(event),
    }


@bp.route("/products")
@event_required("manage")
def products(event_id: int):
    event = event_or_404(event_id)
    return render_page(
        "console/catalog/products.html", "console/catalog/_product_rows.html", **_product_rows_context(event)
    )


def _product_data(form: forms.ProductForm) -> dict:
    data = dict(form.data)
    data["price"] = form.price.minor or 0
    return data


@bp.route("/products/new", methods=["GET", "POST"])
@event_required("manage")
def product_new(event_id: int):
    event = event_or_404(event_id)
    form = forms.ProductForm(currency=event.currency)

    def save():
        product = service.create_product(event, _product_data(form), actor=current_user)
        return f"“{product.name}” added.", url_for("catalog.products", event_id=event.id)

    return form_page(form, save, "console/catalog/product_form.html", event=event, product=None)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@event_required("manage")
def product_edit(event_id: int, product_id: int):
    event = event_or_404(event_id)
    product = _row(Product, event, product_id)
    form = forms.ProductForm(
        currency=event.currency,
        data=initial(
            {
                "name": product.name,
                "description": product.description,
                "price": _amount_text(product.price, product.currency),
                "quota": product.quota,
                "sale_starts_at": local(product.sale_starts_at, event.timezone),
                "sale_ends_at": local(product.sale_ends_at, event.timezone),
                "min_per_order": product.min_per_order,
                "max_per_order": product.max_per_order,
                "admits_entry": product.admits_entry,
                "hidden": product.hidden,
                "active": product.active,
            }
        ),
    )

    def save():
        changes = service.update_product(product, _product_data(form), actor=current_user)
        return saved(changes), url_for("catalog.products", event_id=event.id)

    counts = offers.sales_counts(event).get(product.id, {"sold": 0, "pending": 0})
    context = {"event": event, "product": product, "counts": counts}
    return form_page(form, save, "console/catalog/product_form.html", **context)


@bp.route("/products/<int:product_id>/delete", methods=["POST"])
@event_required("manage")
def product_delete(event_id: int, product_id: int):
    event = event_or_404(event_id)
    product = _row(Product, event, product_id)
    try:
        service.delete_product(product, actor=current_user)
    except FieldError as exc:
        flash(exc.message, "error")
    else:
        flash(_("“%(name)s” deleted.", name=product.name), "success")
    return redirect(url_for("catalog.products", event_id=event.id), code=303)


@bp.route("/products/<int:product_id>/move", methods=["POST"])
@event_required("manage")
def product_move(event_id: int, product_id: int):
    event = event_or_404(event_id)
    service.move_product(_row(Product, event, product_id), request.form.get("direction", ""), actor=current_user)
    if is_fragment_request():
        return render_template("console/catalog/_product_rows.html", **_product_rows_context(event))
    return redirect(url_for("catalog.products", event_id=event.id), code=303)


@bp.route("/products/<int:product_id>/link", methods=["POST"])
@event_required("manage")
def product_new_link(event_id: int, product_id: int):
    event = event_or_404(event_id)
    service.new_access_key(_row(Product, event, product_id), actor=current_user)
    flash(_("New secret link made; the previous one no longer works."), "success")
    return redirect(url_for("catalog.product_edit", event_id=event.id, product_id=product_id), code=303)


# ---- coupons ------------------------------------------------------------------------------


def _products_of(event: Event) -> list[Product]:
    return list(Product.select().where(Product.event == event.id).order_by(Product.position, Product.id))


@bp.route("/coupons")
@event_required("manage")
def coupon_list(event_id: int):
    event = event_or_404(event_id)
    rows = list(Coupon.select().where(Coupon.event == event.id).order_by(Coupon.code))
    names = {p.id: p.name for p in _products_of(event)}
    return render_template("console/catalog/coupons.html", event=event, coupons=rows, product_names=names)


def _coupon_data(form: forms.CouponForm) -> dict:
    data = dict(form.data)
    data["value"] = form.value_minor
    return data


@bp.route("/coupons/new", methods=["GET", "POST"])
@event_required("manage")
def coupon_new(event_id: int):
    event = event_or_404(event_id)
    form = forms.CouponForm(currency=event.currency, products=_products_of(event))

    def save():
        coupon = coupons.create_coupon(event, _coupon_data(form), actor=current_user)
        return f"Coupon {coupon.code} added.", url_for("catalog.coupon_list", event_id=event.id)

    return form_page(form, save, "console/catalog/coupon_form.html", event=event, coupon=None)


@bp.route("/coupons/<int:coupon_id>", methods=["GET", "POST"])
@event_required("manage")
def coupon_edit(event_id: int, coupon_id: int):
    event = event_or_404(event_id)
    coupon = _row(Coupon, event, coupon_id)
    value = str(coupon.value) if coupon.kind == "percent" else _amount_text(coupon.value, event.currency)
    form = forms.CouponForm(
        currency=event.currency,
        products=_products_of(event),
        data=initial(
            {
                "code": coupon.code,
                "kind": coupon.kind,
                "value": value,
                "product_ids": coupon.product_ids,
                "usage_limit": coupon.usage_limit,
                "per_order_limit": coupon.per_order_limit,
                "valid_from": local(coupon.valid_from, event.timezone),
                "valid_until": local(coupon.valid_until, event.timezone),
                "active": coupon.active,
            }
        ),
    )

    def save():
        changes = coupons.update_coupon(coupon, _coupon_data(form), actor=current_user)
        return saved(changes), url_for("catalog.coupon_list", event_id=event.id)

    return form_page(form, save, "console/catalog/coupon_form.html", event=event, coupon=coupon)


@bp.route("/coupons/<int:coupon_id>/delete", methods=["POST"])
@event_required("manage")
def coupon_delete(event_id: int, coupon_id: int):
    event = event_or_404(event_id)
    coupon = _row(Coupon, event, coupon_id)
    try:
        coupons.delete_coupon(coupon, actor=current_user)
    except FieldError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Coupon %(code)s deleted.", code=coupon.code), "success")
    return redirect(url_for("catalog.coupon_list", event_id=event.id), code=303)


# ---- questions ----------------------------------------------------------------------------


@bp.route("/questions")
@event_required("manage")
def question_list(event_id: int):
    event = event_or_404(event_id)
    context = {"event": event, "questions": service.event_questions(event), "kinds": forms.QUESTION_KIND_LABELS}
    return render_page("console/catalog/questions.html", "console/catalog/_question_rows.html", **context)


def _question_data(form: forms.QuestionForm) -> dict:
    data = dict(form.data)
    data["contact_field"] = form.contact_field()
    return data


def _question_initial(question: Question) -> dict:
    mapped = question.contact_field or ""
    return {
        "label": question.label,
        "help_text": question.help_text,
        "kind": question.kind,
        "options": "\n".join(question.options or []),
        "required": question.required,
        "per_attendee": question.per_attendee,
        "show_at_checkin": question.show_at_checkin,
        "contact_choice": "custom" if mapped.startswith("custom:") else mapped,
        "contact_key": mapped.split(":", 1)[1] if mapped.startswith("custom:") else "",
    }


@bp.route("/questions/new", methods=["GET", "POST"])
@event_required("manage")
def question_new(event_id: int):
    event = event_or_404(event_id)
    form = forms.QuestionForm()

    def save():
        question = service.create_question(event, _question_data(form), actor=current_user)
        return f"Question “{question.label}” added.", url_for("catalog.question_list", event_id=event.id)

    return form_page(form, save, "console/catalog/question_form.html", event=event, question=None)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@event_required("manage")
def question_edit(event_id: int, question_id: int):
    event = event_or_404(event_id)
    question = _row(Question, event, question_id)
    form = forms.QuestionForm(data=initial(_question_initial(question)))

    def save():
        changes = service.update_question(question, _question_data(form), actor=current_user)
        return saved(changes), url_for("catalog.question_list", event_id=event.id)

    return form_page(form, save, "console/catalog/question_form.html", event=event, question=question)


@bp.route("/questions/<int:question_id>/delete", methods=["POST"])
@event_required("manage")
def question_delete(event_id: int, question_id: int):
    event = event_or_404(event_id)
    question = _row(Question, event, question_id)
    service.delete_question(question, actor=current_user)
    flash(_("Question “%(label)s” deleted.", label=question.label), "success")
    return redirect(url_for("catalog.question_list", event_id=event.id), code=303)


@bp.route("/questions/<int:question_id>/move", methods=["POST"])
@event_required("manage")
def question_move(event_id: int, question_id: int):
    event = event_or_404(event_id)
    service.move_question(_row(Question, event, question_id), request.form.get("direction", ""), actor=current_user)
    if is_fragment_request():
        context = {"event": event, "questions": service.event_questions(event), "kinds": forms.QUESTION_KIND_LABELS}
        return render_template("console/catalog/_question_rows.html", **context)
    return redirect(url_for("catalog.question_list", event_id=event.id), code=303)
