"""The block composer: every block renders into email-safe HTML and a plain-text version, texts
are escaped while placeholders survive for personalization, and bad block lists are refused with
messages that name the bad block."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from webapp.campaigns import blocks as b
from webapp.mail import sandbox

EVENT = b.EventCard(
    name="Jakarta Tech Day",
    when="Tuesday, 1 December 2026, 09:00–17:00 WIB",
    venue="Balai Kartini",
    url="https://rollcall.test/e/acme/tech-day",
)


def _ctx(**kw) -> b.RenderContext:
    values = {"org_name": "Acme & Co", "org_address": "Jl. Sudirman 1\nJakarta 10220", "events": {7: EVENT}}
    return b.RenderContext(**(values | kw))


EVERY_BLOCK = [
    {"type": "heading", "text": "Doors open at 8"},
    {
        "type": "text",
        "markdown": 'Hello **{{ contact.first_name | default("there") }}**, here is [the map](https://maps.example/x?a=1&b=2).',
    },
    {"type": "image", "src": "https://cdn.example/map.png", "alt": "Map of the hall", "href": "https://maps.example/x"},
    {"type": "button", "label": "Get directions", "url": "https://maps.example/x", "color": "#FF0000"},
    {"type": "divider"},
    {
        "type": "columns",
        "left": [
            {"type": "heading", "text": "Morning", "level": 3},
            {"type": "text", "markdown": "- Keynote\n- Talks"},
        ],
        "right": [{"type": "heading", "text": "Afternoon", "level": 3}, {"type": "text", "markdown": "Workshops"}],
    },
    {"type": "event", "event_id": 7},
    {"type": "footer", "text": "See you there."},
]


def test_every_block_renders_into_a_600_pixel_table_email_with_inline_styles():
    rendered = b.render(b.validate(EVERY_BLOCK), _ctx(preheader="Map and times inside"))
    html = rendered.html
    assert 'width="600"' in html and "max-width:600px" in html
    assert "<table" in html and "<script" not in html.lower()
    assert "Doors open at 8" in html
    assert 'src="https://cdn.example/map.png"' in html and 'alt="Map of the hall"' in html
    assert "background:#ff0000" in html  # the button's own colour
    assert "Get directions" in html and 'href="https://maps.example/x"' in html
    assert "Morning" in html and "Afternoon" in html and "display:inline-block" in html
    # The event card: name, date in the event's zone (as given), venue, register link to its page.
    assert "Jakarta Tech Day" in html and "09:00–17:00 WIB" in html and "Balai Kartini" in html
    assert 'href="https://rollcall.test/e/acme/tech-day"' in html and ">Register<" in html
    # The footer: organization and its address, the unsubscribe link placeholder.
    assert "Acme &amp; Co" in html and "Jl. Sudirman 1<br>Jakarta 10220" in html
    assert 'href="{{ unsubscribe_url }}"' in html
    # The preheader is there, hidden.
    assert re.search(r'<div style="display:none[^"]*">Map and times inside</div>', html)
    # Every element that shows something carries its style inline (no <style> sheet).
    assert "<style" not in html
    assert all("style=" in m for m in re.findall(r"<(?:p|h1|h3|a|ul|li)\b[^>]*>", html))


def test_plain_text_version_has_the_words_and_every_link():
    text = b.render(b.validate(EVERY_BLOCK), _ctx()).text
    assert text.startswith("Doors open at 8\n===")
    assert "the map (https://maps.example/x?a=1&b=2)" in text
    assert "Get directions: https://maps.example/x" in text
    assert "- Keynote" in text and "Workshops" in text
    assert "Jakarta Tech Day\nTuesday, 1 December 2026, 09:00–17:00 WIB\nBalai Kartini" in text
    assert "Register: https://rollcall.test/e/acme/tech-day" in text
    assert "Jl. Sudirman 1\nJakarta 10220" in text
    assert "Unsubscribe: {{ unsubscribe_url }}" in text
    assert "<p" not in text and "<a" not in text


def test_texts_are_escaped_and_markdown_loses_its_raw_html():
    blocks = b.validate(
        [
            {"type": "heading", "text": '<b>Big</b> & "bold"'},
            {
                "type": "text",
                "markdown": "Hi <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))",
            },
            {"type": "button", "label": "<i>Go</i>", "url": 'https://example.org/?q="a"'.replace('"', "%22")},
        ]
    )
    html = b.render(blocks, _ctx(org_name="<Evil>")).html
    assert "&lt;b&gt;Big&lt;/b&gt; &amp; &quot;bold&quot;" in html
    assert "<script" not in html and "alert(1)" not in html and "onerror" not in html
    assert "javascript:" not in html
    assert "&lt;i&gt;Go&lt;/i&gt;" in html
    assert "<Evil>" not in html


def test_placeholders_survive_and_personalize_safely_in_the_sandbox():
    blocks = b.validate(
        [
            {"type": "heading", "text": 'Hi {{ contact.first_name | default("there") }} & friends'},
            {"type": "text", "markdown": "Dear *{{ contact.first_name }}*, welcome."},
            {"type": "footer"},
        ]
    )
    rendered = b.render(blocks, _ctx())
    parts = {"subject": "Hi", "html_body": rendered.html, "text_body": rendered.text}
    context = {"contact": {"first_name": "<Ana>"}, "unsubscribe_url": "https://rollcall.test/u/tok"}
    out = sandbox.render(parts, context)
    assert "Hi &lt;Ana&gt; &amp; friends" in out["html_body"]  # the value escaped by the sandbox
    assert "<em>&lt;Ana&gt;</em>" in out["html_body"]
    assert 'href="https://rollcall.test/u/tok"' in out["html_body"]
    assert "Hi <Ana> & friends" in out["text_body"]
    assert "Unsubscribe: https://rollcall.test/u/tok" in out["text_body"]
    heading = b.render(blocks[:1], _ctx()).html
    fallback = sandbox.render({"subject": "Hi", "html_body": heading, "text_body": ""}, {"contact": {}})
    assert "Hi there &amp; friends" in fallback["html_body"]


def test_an_event_that_is_gone_says_so_instead_of_failing():
    rendered = b.render(b.validate([{"type": "event", "event_id": 99}]), _ctx())
    assert "no longer available" in rendered.html and "no longer available" in rendered.text


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"type": "image", "src": "http://cdn.example/a.png"},
            "Block 2 (image): “src” must be an address starting with https://.",
        ),
        (
            {"type": "image", "src": "javascript:alert(1)"},
            "Block 2 (image): “src” must be an address starting with https://.",
        ),
        ({"type": "button", "label": "Go", "url": "javascript:alert(1)"}, "Block 2 (button): “url” must be an address"),
        ({"type": "button", "label": "", "url": "https://x.org"}, "Block 2 (button): “label” is required."),
        (
            {"type": "button", "label": "Go", "url": "https://x.org", "color": "red"},
            "Block 2 (button): “color” must be",
        ),
        (
            {"type": "heading", "text": "x", "level": 7},
            "Block 2 (heading): “level” must be a whole number from 1 to 3.",
        ),
        ({"type": "heading", "text": "x", "onclick": "y"}, 'Block 2 (heading): unknown field "onclick".'),
        ({"type": "marquee"}, 'Block 2: unknown type "marquee"'),
        ("text", "Block 2: must be an object"),
        (
            {"type": "text", "markdown": "a\x00b"},
            "Block 2 (text): “markdown” contains a character that cannot be sent.",
        ),
        (
            {"type": "text", "markdown": "a\ud800b"},
            "Block 2 (text): “markdown” contains a character that cannot be sent.",
        ),
        ({"type": "text", "markdown": "x" * (b.MAX_TEXT + 1)}, "Block 2 (text): “markdown” is too long"),
        ({"type": "event", "event_id": True}, "Block 2 (event): “event_id” must be a whole number"),
        ({"type": "event", "event_id": 2**40}, "Block 2 (event): “event_id” must be a whole number"),
        (
            {"type": "columns", "left": [{"type": "footer"}], "right": []},
            'Block 2 (columns) left 1: unknown type "footer"',
        ),
        (
            {"type": "columns", "left": [], "right": [{"type": "image", "src": "http://a"}]},
            "Block 2 (columns) right 1 (image): “src” must be an address starting with https://.",
        ),
    ],
)
def test_a_bad_block_is_refused_with_a_message_naming_it(block, message):
    with pytest.raises(b.BlocksInvalid) as raised:
        b.validate([{"type": "divider"}, block])
    assert any(error.startswith(message) for error in raised.value.errors), raised.value.errors


def test_every_bad_block_is_reported_at_once():
    with pytest.raises(b.BlocksInvalid) as raised:
        b.validate([{"type": "image", "src": "x"}, {"type": "divider"}, {"type": "button"}])
    assert [e.split(":")[0] for e in raised.value.errors] == ["Block 1 (image)", "Block 3 (button)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "The blocks are not valid JSON."),
        ('[{"type": "image", "width": NaN}]', "The blocks are not valid JSON."),
        ("[" * 100_000 + "]" * 100_000, "The blocks are"),
        ("[" * 10 + "]" * 10, "The blocks are nested too deeply."),
        ('{"type": "divider"}', "The blocks must be a list."),
        (json.dumps([{"type": "divider"}] * (b.MAX_BLOCKS + 1)), "A campaign has at most 100 blocks."),
    ],
)
def test_bad_json_is_refused_clearly(text, message):
    with pytest.raises(b.BlocksInvalid) as raised:
        b.parse_json(text)
    assert raised.value.errors[0].startswith(message)


def test_validate_cleans_and_fills_in_defaults():
    cleaned = b.parse_json(
        '[{"type": "heading", "text": "  Hi  "}, {"type": "button", "label": "Go", "url": "https://x.org", "color": "#ABCDEF"}]'
    )
    assert cleaned == [
        {"type": "heading", "text": "Hi", "level": 1, "align": "left"},
        {"type": "button", "label": "Go", "url": "https://x.org", "color": "#abcdef"},
    ]


def test_the_json_schema_agrees_with_the_validator():
    jsonschema.Draft202012Validator.check_schema(b.SCHEMA)
    jsonschema.validate(EVERY_BLOCK, b.SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"type": "image", "src": "http://a"}], b.SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"type": "columns", "left": [{"type": "event", "event_id": 1}], "right": []}], b.SCHEMA)


def test_html_to_text_reads_a_raw_html_email():
    source = """<html><head><title>T</title><style>p{color:red}</style></head><body>
    <div style="display: none">hidden preheader</div>
    <h1>Welcome&nbsp;back</h1><p>Line one<br>line two &amp; more</p>
    <ul><li>First</li><li>Second</li></ul>
    <p>Read <a href="https://example.org/post">the post</a> or <a href="mailto:hi@example.org">hi@example.org</a>.</p>
    <img src="https://x/y.png" alt="Logo"><script>var x = 1;</script><hr><p>Bye</p></body></html>"""
    text = b.html_to_text(source)
    assert "hidden preheader" not in text and "var x" not in text and "color:red" not in text and "T\n" not in text
    assert "Welcome back" in text
    assert "Line one\nline two & more" in text
    assert "- First\n- Second" in text
    assert "the post (https://example.org/post)" in text
    assert "hi@example.org (" not in text  # an address shown as its own text is not repeated
    assert "Logo" in text and "Bye" in text
    assert "----" in text
    assert "\n\n\n" not in text


def test_html_to_text_of_nothing_is_nothing():
    assert b.html_to_text("") == ""
    assert b.html_to_text("<p>  </p>") == ""
