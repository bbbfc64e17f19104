"""Money: an integer in minor units plus an ISO 4217 code. Never floats."""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency

from webapp.i18n import _

# ISO 4217 minor-unit exponents that differ from 2 (IDR counts whole rupiah, as gateways expect).
EXPONENTS = {"IDR": 0, "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "KWD": 3, "BHD": 3, "JOD": 3}
CURRENCIES = ("IDR", "USD", "EUR", "SGD", "MYR", "AUD", "GBP", "JPY", "PHP", "THB", "VND")
# The largest amount a price, a discount or a payment may be, in minor units: far above any real
# one, well inside what either database's 64-bit integer holds (orders add up several).
MAX_MINOR = 10**15
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)  # scaling and rounding that round nothing


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency.upper(), 2)


def to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-exponent(currency))


def parse_amount(text: str, currency: str) -> int:
    """ "150000" or "12.50" (a dot or comma before the minor digits) -> minor units.
    Raises ValueError with a message fit for a form field."""
    cleaned = text.strip().replace(" ", "").replace("_", "")
    exp = exponent(currency)
    # Thousands separators: "100.000" / "100,000" for IDR, "1,234.50" for USD.
    if exp == 0:
        cleaned = cleaned.replace(".", "").replace(",", "")
    elif "," in cleaned and "." in cleaned:
        cleaned = (
            cleaned.replace(",", "")
            if cleaned.rfind(".") > cleaned.rfind(",")
            else cleaned.replace(".", "").replace(",", ".")
        )
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():  # "NaN" and "Infinity" are Decimals too
        raise ValueError(_("Enter an amount such as 150000 or 12.50"))
    if value < 0:
        raise ValueError(_("The amount cannot be negative"))
    if value > to_major(MAX_MINOR, currency):  # before scaling: "1e999999" cannot be scaled
        raise ValueError(_("The amount is too large: at most %(amount)s", amount=format_money(MAX_MINOR, currency)))
    minor = value.scaleb(exp, context=_EXACT)
    if minor != minor.to_integral_value(context=_EXACT):
        raise ValueError(
            _("%(currency)s amounts have at most %(places)s decimal places", currency=currency, places=exp)
        )
    return int(minor)


@lru_cache(maxsize=4096)
def format_money(amount: int, currency: str, locale: str = "en") -> str:
    """The amount as people read it, in `locale` ("IDR150,000", "US$12.50"). Remembered: Babel
    takes some 40 µs per call, and a page or a door answer shows the same few amounts again and
    again (a door scan shows its order's total)."""
    exp = exponent(currency)
    pattern = "¤#,##0" if exp == 0 else "¤#,##0." + "0" * exp
    return format_currency(to_major(amount, currency), currency, format=pattern, locale=locale, currency_digits=False)
