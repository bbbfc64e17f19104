"""What the console's pages share: the organization's event, the form-page pattern, field errors from
services, and the answers to a form or button handed to a service (`submitted`, `attempted`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request

from webapp import timeutil
from webapp.accounts.access import org_id
from webapp.events.models import Event
from webapp.events.service import FieldError


def event_or_404(event_id: int) -> Event:
    """The current organization's event (another organization's id answers 404)."""
    return Event.get_for_org(org_id(), event_id)


def apply_field_error(form, exc: FieldError) -> None:
    """Put a service's FieldError beside its field (or on top of the form)."""
    field = getattr(form, exc.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def form_page(form, save: Callable[[], tuple[str, str]], template: str, **context):
    """A valid submission is handed to `save()`, which returns (message, where to go next) or
    raises FieldError; the page is shown otherwise, with 422 after a refused submission."""
    if form.validate_on_submit():
        try:
            message, target = save()
        except FieldError as exc:
            apply_field_error(form, exc)
        else:
            flash(message, "success")
            return redirect(target, code=303)
    return render_template(template, form=form, **context), 422 if request.method == "POST" else 200


def done(message: str, target: str):
    """A console POST that worked: `message` flashed, the browser sent to `target` (303)."""
    flash(message, "success")
    return redirect(target, code=303)


def submitted(
    call: Callable[[], Any],
    errors: type[Exception],
    again: Callable[[Exception], Any],
    message: str | Callable[[Any], str],
    target: str,
):
    """A console form handed to a service: `call()`; refused with one of `errors`, the page again
    (`again(exc)`: the message beside its field, 422); otherwise `message` (or `message(result)`)
    flashed and the browser sent to `target` (303)."""
    try:
        result = call()
    except errors as exc:
        return again(exc)
    return done(message(result) if callable(message) else message, target)


def attempted(call: Callable[[], Any], errors: type[Exception], message: str, target: str):
    """A console button handed to a service: `call()`; refused with one of `errors`, its message
    flashed as an error, otherwise `message` as a success; back to `target` (303) either way."""
    try:
        call()
    except errors as exc:
        flash(str(exc), "error")
    else:
        flash(message, "success")
    return redirect(target, code=303)


def found_or_404(call: Callable[[], Any], missing: type[Exception]) -> Any:
    """`call()`, a row it does not find (`missing`, another event's or organization's) a 404."""
    try:
        return call()
    except missing:
        abort(404)


def initial(data: dict):
    """Form data from the stored row on GET; None on POST (the form reads the submission)."""
    return None if request.method == "POST" else data


def local(value, tz: str):
    """A stored UTC time as the wall-clock value of a datetime-local field."""
    local_value = timeutil.to_local(value, tz)
    return local_value.replace(tzinfo=None) if local_value else None


def saved(changes) -> str:
    return "Saved." if changes else "Nothing changed."
