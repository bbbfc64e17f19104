"""The words of the door's answers, one table for the scanner's screen (`door.answer_message`) and
for texts stored about a scan (an audit entry of a forced check-in or of an offline admission
reviewed), which each reader sees in their own language."""

from __future__ import annotations

from webapp.i18n import stored_text

ANSWER_WORDS = {
    "entry": stored_text("Welcome in"),
    "exit": stored_text("Exit recorded"),
    "invalid": stored_text("Unknown ticket"),
    "wrong_event": stored_text("Ticket for another event"),
    "unpaid": stored_text("Not paid"),
    "canceled": stored_text("Ticket canceled"),
    "unapproved": stored_text("Registration not approved"),
    "already_checked_in": stored_text("Already checked in"),
    "product": stored_text("Ticket not valid at this entrance"),
    "not_yet": stored_text("Too early for this entrance"),
    "expired": stored_text("This entrance is closed"),
    "blocked": stored_text("Ticket blocked"),
}
