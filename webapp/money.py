"""Money: an integer in minor units plus an ISO 4217 code. Never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency

from webapp.i18n import _

# ISO 4217 minor-unit exponents that differ from 2 (IDR counts whole rupiah, as gateways expect).
EXPONENTS = {"IDR": 0, "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "KWD": 3, "BHD": 3, "JOD": 3}
CURRENCIES = ("IDR", "USD", "EUR", "SGD", "MYR", "AUD", "GBP", "JPY", "PHP", "THB", "VND")


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
        raise ValueError(_("Enter an amount such as 150000 or 12.50")) from None
    if value < 0:
        raise ValueError(_("The amount cannot be negative"))
    minor = value.scaleb(exp)
    if minor != minor.to_integral_value():
        raise ValueError(f"{currency} amounts have at most {exp} decimal places")
    return int(minor)


@lru_cache(maxsize=4096)
def format_money(amount: int, currency: str, locale: str = "en") -> str:
    """The amount as people read it, in `locale` ("IDR150,000", "US$12.50"). Remembered: Babel
    takes some 40 µs per call, and a page or a door answer shows the same few amounts again and
    again (a door scan shows its order's total)."""
    exp = exponent(currency)
    pattern = "¤#,##0" if exp == 0 else "¤#,##0." + "0" * exp
    return format_currency(to_major(amount, currency), currency, format=pattern, locale=locale, currency_digits=False)
