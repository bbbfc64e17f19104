"""What a request may carry: no NUL character in its path, query or form fields (PostgreSQL cannot
store one, so a view would fail on it; checked once for every request), a multipart body whose
parts read, redirect targets that stay on this site, row ids within the range a database column
holds (in a query, a form or a URL's path), and names that fit in an email header."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

MAX_ROW_ID = 2**31 - 1  # an id column's range on both databases
SEARCH_MAX = 200


def safe_redirect_target(target: str | None) -> str | None:
    """`target` when it is a path on this site (such as /console/orders?page=2); None otherwise.
    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    "/\\t/evil.example" would lead to another site: any control character or backslash refuses it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or has_control_characters(target):
        return None
    return target


def has_control_characters(text: str) -> bool:
    """True for a line break, tab or other control character: a name or subject with one cannot
    go into an email header."""
    return any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029" for char in text)


NAME_MAX = 200  # a person's name on an order, a ticket, a waiting list or an invitation (their columns' length)


def person_name_problem(name: str) -> str | None:
    """What is wrong with a person's name (given and stripped), the one rule for a buyer, an
    attendee (at checkout or changed later), a waiting list, an operator's addition and an
    invitation: on one line, so that it fits in an email header, and within its column, refused
    rather than cut."""
    if has_control_characters(name):
        return _("Write the name on one line, without tabs or line breaks.")
    if len(name) > NAME_MAX:
        return _("Keep the name to %(most)s characters or fewer.", most=NAME_MAX)
    return None


def row_id(text: str) -> int:
    """A row id from a query or form field (as `request.args.get(name, type=row_id)`): a value
    that no row can have (0, negative, or beyond the column's range) is no value."""
    value = int(text)
    if not 1 <= value <= MAX_ROW_ID:
        raise ValueError(text)
    return value


def page_number(args) -> int:
    """The `page` of a paged list: 1 unless the query names a page a list can have."""
    return args.get("page", 1, type=row_id)


def search_text(args, name: str = "q") -> str:
    """A list's search box: spaces folded, at most SEARCH_MAX characters (no one types more, and
    SQLite refuses a LIKE pattern longer than 50,000 bytes)."""
    return " ".join((args.get(name) or "").split())[:SEARCH_MAX]


def _holds_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _form_holds_nul() -> bool:
    if request.mimetype not in FORM_TYPES:
        return False  # no form fields (a JSON body is checked when the API reads it)
    try:
        if request.mimetype == "application/x-www-form-urlencoded":
            # Read through a copy: a view may still want the raw body (a signed payment
            # notification, or the API answering 415 to a body that is not JSON).
            request.get_data(cache=True)
        return _holds_nul(request.form)
    except RequestEntityTooLarge:
        return False  # the view says so beside its upload field, or the error page does


def refuse_nul_characters() -> None:
    """Answer 400 to a request with a NUL character in its path, query or form fields."""
    if "\x00" in request.path or _holds_nul(request.args) or _form_holds_nul():
        abort(400, _("The request contains a NUL character, which is not accepted anywhere."))


def refuse_unreadable_form() -> None:
    """Answer 400 to a multipart body that held something but gave no field and no file: werkzeug
    drops the whole form when it cannot read a part's headers (a file name that is not UTF-8), and
    the request then failed as "CSRF token missing", or as a form sent without its file."""
    if request.mimetype != "multipart/form-data" or not request.content_length:
        return
    try:
        unread = not request.form and not request.files
    except RequestEntityTooLarge:
        return  # the view says so beside its upload field, or the error page does
    if unread:
        abort(
            400, _("The form could not be read. If it held a file, name the file in plain letters and send it again.")
        )


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond what an id column holds names no row, so the
    answer is 404 (the route's own, not "method not allowed" by a neighbouring route), before it
    reaches a query SQLite cannot run ("Python int too large")."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ROW_ID:
            raise NotFound()
        return number


def init_app(app) -> None:
    """Before any route is added: the routes' `int` is RowIdConverter."""
    app.url_map.converters["int"] = RowIdConverter
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_unreadable_form)
