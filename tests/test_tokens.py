"""Signed URL tokens made by webapp.tokens are byte for byte those of a plain itsdangerous
URLSafeSerializer, so links already sent (open images, click redirects, unsubscribes) keep working."""

from __future__ import annotations

import enum

import pytest
from itsdangerous import URLSafeSerializer

from webapp import tokens


class _Kind(enum.IntEnum):
    OPEN = 7


VALUES = [
    0,
    7,
    123_456_789,
    1_234_567_890,
    11_111_111_111_111_111_111,  # long enough for zlib to shorten it
    -5,
    True,
    False,
    _Kind.OPEN,
    [123, "https://example.org/map"],
    [123, "https://example.org/" + "abc" * 60],  # compressed
    "unsubscribe",
]


@pytest.mark.parametrize("salt", ["mail.open", "mail.click", "campaign.unsubscribe"])
def test_tokens_are_those_of_a_plain_serializer_and_read_its_tokens(salt):
    ours, plain = tokens.serializer("a-secret", salt), URLSafeSerializer("a-secret", salt=salt)
    for value in VALUES:
        assert ours.dumps(value) == plain.dumps(value), value
        assert ours.loads(plain.dumps(value)) == value
    assert tokens.serializer("another-secret", salt).dumps(7) != plain.dumps(7)
