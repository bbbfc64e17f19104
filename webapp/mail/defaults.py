"""The built-in email templates, in English and Indonesian: what an event sends until an operator
writes its own. Same placeholders as operator templates (webapp/mail/sandbox.py)."""

from __future__ import annotations

from webapp.i18n import _l

SLOTS = {  # the event's built-in emails, named for the console (in the reader's language)
    "ticket": _l("Ticket email — after a successful registration, with the ticket PDF"),
    "payment": _l("Order confirmation — to the buyer after payment, or for a free order placed for other people"),
    "checkin": _l("Check-in confirmation — after the attendee is checked in (optional)"),
}

_WHERE = "{% if event.venue %}{{ event.venue }}{% if event.address %}, {{ event.address }}{% endif %}{% else %}{{ event.online_url }}{% endif %}"

# The ticket's add-to-wallet buttons, shown only when the organization issues those passes.
_WALLET_HTML = (
    "{{% if wallet.apple_url or wallet.google_url %}}<p>"
    '{{% if wallet.apple_url %}}<a href="{{{{ wallet.apple_url }}}}">{apple}</a>{{% endif %}}'
    "{{% if wallet.apple_url and wallet.google_url %}} · {{% endif %}}"
    '{{% if wallet.google_url %}}<a href="{{{{ wallet.google_url }}}}">{google}</a>{{% endif %}}'
    "</p>\n{{% endif %}}"
)
_WALLET_TEXT = (
    "{{% if wallet.apple_url %}}{apple}: {{{{ wallet.apple_url }}}}\n{{% endif %}}"
    "{{% if wallet.google_url %}}{google}: {{{{ wallet.google_url }}}}\n{{% endif %}}"
)

DEFAULTS: dict[str, dict[str, dict[str, str]]] = {
    "ticket": {
        "en": {
            "subject": "Your ticket for {{ event.name }}",
            "html_body": (
                "<p>Hello {{ attendee.first_name }},</p>\n"
                "<p>You are registered for <strong>{{ event.name }}</strong>.</p>\n"
                "<p><strong>When:</strong> {{ event.when }}<br>\n<strong>Where:</strong> " + _WHERE + "</p>\n"
                "<p>Your ticket ({{ attendee.ticket_type }}) is attached as a PDF. Show its QR code at the entrance, "
                "on your phone or printed.</p>\n"
                '<p><a href="{{ ticket_url }}">Download your ticket</a> · '
                '<a href="{{ order.url }}">Your order {{ order.code }}</a></p>\n'
                + _WALLET_HTML.format(apple="Add to Apple Wallet", google="Add to Google Wallet")
                + "<p>See you there,<br>{{ organization.name }}</p>"
            ),
            "text_body": (
                "Hello {{ attendee.first_name }},\n\n"
                "You are registered for {{ event.name }}.\n\n"
                "When: {{ event.when }}\nWhere: " + _WHERE + "\n\n"
                "Your ticket ({{ attendee.ticket_type }}) is attached as a PDF. Show its QR code at the entrance, "
                "on your phone or printed.\n\n"
                "Download your ticket: {{ ticket_url }}\n"
                "Your order {{ order.code }}: {{ order.url }}\n"
                + _WALLET_TEXT.format(apple="Add to Apple Wallet", google="Add to Google Wallet")
                + "\n"
                "See you there,\n{{ organization.name }}"
            ),
        },
        "id": {
            "subject": "Tiket Anda untuk {{ event.name }}",
            "html_body": (
                "<p>Halo {{ attendee.first_name }},</p>\n"
                "<p>Anda terdaftar untuk <strong>{{ event.name }}</strong>.</p>\n"
                "<p><strong>Waktu:</strong> {{ event.when }}<br>\n<strong>Tempat:</strong> " + _WHERE + "</p>\n"
                "<p>Tiket Anda ({{ attendee.ticket_type }}) terlampir dalam bentuk PDF. Tunjukkan kode QR-nya di "
                "pintu masuk, di ponsel atau dicetak.</p>\n"
                '<p><a href="{{ ticket_url }}">Unduh tiket Anda</a> · '
                '<a href="{{ order.url }}">Pesanan Anda {{ order.code }}</a></p>\n'
                + _WALLET_HTML.format(apple="Tambahkan ke Apple Wallet", google="Tambahkan ke Google Wallet")
                + "<p>Sampai jumpa,<br>{{ organization.name }}</p>"
            ),
            "text_body": (
                "Halo {{ attendee.first_name }},\n\n"
                "Anda terdaftar untuk {{ event.name }}.\n\n"
                "Waktu: {{ event.when }}\nTempat: " + _WHERE + "\n\n"
                "Tiket Anda ({{ attendee.ticket_type }}) terlampir dalam bentuk PDF. Tunjukkan kode QR-nya di "
                "pintu masuk, di ponsel atau dicetak.\n\n"
                "Unduh tiket Anda: {{ ticket_url }}\n"
                "Pesanan Anda {{ order.code }}: {{ order.url }}\n"
                + _WALLET_TEXT.format(apple="Tambahkan ke Apple Wallet", google="Tambahkan ke Google Wallet")
                + "\n"
                "Sampai jumpa,\n{{ organization.name }}"
            ),
        },
    },
    "payment": {
        "en": {
            "subject": "{% if order.free %}Registration confirmed{% else %}Payment received{% endif %}: "
            "{{ event.name }} ({{ order.code }})",
            "html_body": (
                "<p>Hello {{ order.buyer_name }},</p>\n"
                "{% if order.free %}<p>Your registration <strong>{{ order.code }}</strong> for "
                "<strong>{{ event.name }}</strong> ({{ event.when }}) is confirmed.</p>\n"
                "{% else %}<p>We received your payment of <strong>{{ order.total }}</strong> for order "
                "<strong>{{ order.code }}</strong> ({{ event.name }}, {{ event.when }}).</p>\n{% endif %}"
                "<p>Each attendee receives their ticket by email. You can also find every ticket on "
                '<a href="{{ order.url }}">your order page</a>.</p>\n'
                "<p>Thank you,<br>{{ organization.name }}</p>"
            ),
            "text_body": (
                "Hello {{ order.buyer_name }},\n\n"
                "{% if order.free %}Your registration {{ order.code }} for {{ event.name }} ({{ event.when }}) "
                "is confirmed.{% else %}We received your payment of {{ order.total }} for order {{ order.code }} "
                "({{ event.name }}, {{ event.when }}).{% endif %}\n\n"
                "Each attendee receives their ticket by email. You can also find every ticket on your order page:\n"
                "{{ order.url }}\n\nThank you,\n{{ organization.name }}"
            ),
        },
        "id": {
            "subject": "{% if order.free %}Pendaftaran terkonfirmasi{% else %}Pembayaran diterima{% endif %}: "
            "{{ event.name }} ({{ order.code }})",
            "html_body": (
                "<p>Halo {{ order.buyer_name }},</p>\n"
                "{% if order.free %}<p>Pendaftaran Anda <strong>{{ order.code }}</strong> untuk "
                "<strong>{{ event.name }}</strong> ({{ event.when }}) telah terkonfirmasi.</p>\n"
                "{% else %}<p>Kami telah menerima pembayaran Anda sebesar <strong>{{ order.total }}</strong> untuk "
                "pesanan <strong>{{ order.code }}</strong> ({{ event.name }}, {{ event.when }}).</p>\n{% endif %}"
                "<p>Setiap peserta menerima tiketnya melalui email. Semua tiket juga tersedia di "
                '<a href="{{ order.url }}">halaman pesanan Anda</a>.</p>\n'
                "<p>Terima kasih,<br>{{ organization.name }}</p>"
            ),
            "text_body": (
                "Halo {{ order.buyer_name }},\n\n"
                "{% if order.free %}Pendaftaran Anda {{ order.code }} untuk {{ event.name }} ({{ event.when }}) "
                "telah terkonfirmasi.{% else %}Kami telah menerima pembayaran Anda sebesar {{ order.total }} untuk "
                "pesanan {{ order.code }} ({{ event.name }}, {{ event.when }}).{% endif %}\n\n"
                "Setiap peserta menerima tiketnya melalui email. Semua tiket juga tersedia di halaman pesanan Anda:\n"
                "{{ order.url }}\n\nTerima kasih,\n{{ organization.name }}"
            ),
        },
    },
    "checkin": {
        "en": {
            "subject": "Welcome to {{ event.name }}",
            "html_body": (
                "<p>Hello {{ attendee.first_name }},</p>\n"
                "<p>You were checked in to <strong>{{ event.name }}</strong> at {{ checkin.time }}"
                "{% if checkin.gate %} ({{ checkin.gate }}){% endif %}. Enjoy the event!</p>\n"
                "<p>{{ organization.name }}</p>"
            ),
            "text_body": (
                "Hello {{ attendee.first_name }},\n\n"
                "You were checked in to {{ event.name }} at {{ checkin.time }}"
                "{% if checkin.gate %} ({{ checkin.gate }}){% endif %}. Enjoy the event!\n\n{{ organization.name }}"
            ),
        },
        "id": {
            "subject": "Selamat datang di {{ event.name }}",
            "html_body": (
                "<p>Halo {{ attendee.first_name }},</p>\n"
                "<p>Anda telah check-in di <strong>{{ event.name }}</strong> pada {{ checkin.time }}"
                "{% if checkin.gate %} ({{ checkin.gate }}){% endif %}. Selamat menikmati acaranya!</p>\n"
                "<p>{{ organization.name }}</p>"
            ),
            "text_body": (
                "Halo {{ attendee.first_name }},\n\n"
                "Anda telah check-in di {{ event.name }} pada {{ checkin.time }}"
                "{% if checkin.gate %} ({{ checkin.gate }}){% endif %}. Selamat menikmati acaranya!\n\n"
                "{{ organization.name }}"
            ),
        },
    },
    # What a new automation starts with (a reminder); the operator rewrites it as needed.
    "automation": {
        "en": {
            "subject": "Reminder: {{ event.name }} — {{ event.date }}",
            "html_body": (
                "<p>Hello {{ attendee.first_name }},</p>\n"
                "<p>A reminder that <strong>{{ event.name }}</strong> takes place on {{ event.when }}.</p>\n"
                "<p><strong>Where:</strong> " + _WHERE + "</p>\n"
                '<p>Bring your ticket: <a href="{{ ticket_url }}">download it here</a>.</p>\n'
                "<p>See you soon,<br>{{ organization.name }}</p>"
            ),
            "text_body": (
                "Hello {{ attendee.first_name }},\n\n"
                "A reminder that {{ event.name }} takes place on {{ event.when }}.\n"
                "Where: " + _WHERE + "\n\n"
                "Bring your ticket: {{ ticket_url }}\n\nSee you soon,\n{{ organization.name }}"
            ),
        },
        "id": {
            "subject": "Pengingat: {{ event.name }} — {{ event.date }}",
            "html_body": (
                "<p>Halo {{ attendee.first_name }},</p>\n"
                "<p>Sekadar mengingatkan, <strong>{{ event.name }}</strong> berlangsung pada {{ event.when }}.</p>\n"
                "<p><strong>Tempat:</strong> " + _WHERE + "</p>\n"
                '<p>Bawa tiket Anda: <a href="{{ ticket_url }}">unduh di sini</a>.</p>\n'
                "<p>Sampai jumpa,<br>{{ organization.name }}</p>"
            ),
            "text_body": (
                "Halo {{ attendee.first_name }},\n\n"
                "Sekadar mengingatkan, {{ event.name }} berlangsung pada {{ event.when }}.\n"
                "Tempat: " + _WHERE + "\n\n"
                "Bawa tiket Anda: {{ ticket_url }}\n\nSampai jumpa,\n{{ organization.name }}"
            ),
        },
    },
}


# The subject a new automation starts with, fitting what triggers it (the body is the reminder's).
AUTOMATION_SUBJECTS: dict[str, dict[str, str]] = {
    "registered": {
        "en": "Thank you for registering for {{ event.name }} — {{ event.date }}",
        "id": "Terima kasih telah mendaftar di {{ event.name }} — {{ event.date }}",
    },
    "paid": {
        "en": "Thank you for your payment: {{ event.name }} — {{ event.date }}",
        "id": "Terima kasih atas pembayaran Anda: {{ event.name }} — {{ event.date }}",
    },
    "checked_in": {
        "en": "Thank you for coming to {{ event.name }}",
        "id": "Terima kasih telah hadir di {{ event.name }}",
    },
    "before_start": {
        "en": DEFAULTS["automation"]["en"]["subject"],
        "id": DEFAULTS["automation"]["id"]["subject"],
    },
}


# Under every promotional email (automations) whose template does not link {{ unsubscribe_url }}.
UNSUBSCRIBE_FOOTER = {
    "en": {
        "reason": "You get this email because you registered for {event}.",
        "link": "Unsubscribe",
        "text": "To get no more emails like this one: {url}",
    },
    "id": {
        "reason": "Anda menerima email ini karena terdaftar di {event}.",
        "link": "Berhenti berlangganan",
        "text": "Agar tidak menerima email seperti ini lagi: {url}",
    },
}


def is_promotional_slot(slot: str) -> bool:
    return slot.startswith("automation:") or slot == "automation"


def default_for(slot: str, lang: str, trigger: str | None = None) -> dict[str, str]:
    """The built-in texts of a slot; an automation's subject follows its `trigger`."""
    base = "automation" if slot.startswith("automation:") else slot
    texts = DEFAULTS[base]
    parts = dict(texts.get(lang) or texts["en"])
    if base == "automation" and trigger in AUTOMATION_SUBJECTS:
        subjects = AUTOMATION_SUBJECTS[trigger]
        parts["subject"] = subjects.get(lang) or subjects["en"]
    return parts
