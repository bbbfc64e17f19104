"""Templates translate whole sentences: a sentence is one message with its variables (and its plural
forms), never translated pieces glued around a variable, a string or an English plural "s"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import Environment

from tests.console.test_indonesian_pages import readable_text

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in (".html", ".txt"))
ENV = Environment(extensions=["jinja2.ext.i18n"])

# `_("piece") ~ value` or `value ~ _("piece")`: a sentence glued from a translated piece.
GLUED = re.compile(r"""_\(\s*(["'])(?:(?!\1).)*\1\s*\)\s*~|~\s*_\(""")
# `"" if n == 1 else "s"`: an English plural written by hand instead of ngettext / {% pluralize %}.
HAND_PLURAL = re.compile(r"""else\s+(["'])s\1""")
TRANSLATED = re.compile(r"^\s*(_|gettext|ngettext)\(")


def outputs(source: str):
    """The template as a list of (line, kind, text): kind "T" for a translated output
    ({{ _(…) }}), "V" for any other output, "D" for template text."""
    items, tokens, i = [], list(ENV.lex(source)), 0
    while i < len(tokens):
        line, kind, value = tokens[i]
        if kind == "variable_begin":
            j = i + 1
            while tokens[j][1] != "variable_end":
                j += 1
            expr = "".join(str(t[2]) for t in tokens[i + 1 : j])
            items.append((line, "T" if TRANSLATED.match(expr) else "V", expr))
            i = j + 1
            continue
        if kind in ("block_begin", "comment_begin"):
            end = "block_end" if kind == "block_begin" else "comment_end"
            while tokens[i][1] != end:
                i += 1
            items.append((line, "B", ""))  # a tag ends the run of text
        elif kind == "data":
            items.append((line, "D", value))
        i += 1
    return items


def piecewise_sentences(source: str) -> list[int]:
    """Lines where a variable sits between two translated pieces with only spaces or punctuation
    around it: `{{ _("Page") }} {{ n }} {{ _("of") }} {{ total }}`."""
    # Spaces and punctuation join the pieces of one line; a line break or markup ends the run.
    items = [item for item in outputs(source) if not (item[1] == "D" and not item[2].strip(" \t.,:;()“”\"'·–—"))]
    found = []
    for (line, a, _), (_, b, _), (_, c, _) in zip(items, items[1:], items[2:]):
        if (a, b, c) == ("T", "V", "T"):
            found.append(line)
    return found


def test_the_checks_find_the_patterns_they_forbid():
    assert piecewise_sentences('<p>{{ _("Page") }} {{ page }} {{ _("of") }} {{ pages }}</p>') == [1]
    assert piecewise_sentences('<p>{{ _("(max") }} {{ n }} {{ _("per order)") }}</p>') == [1]
    assert piecewise_sentences("{% trans page=page, pages=pages %}Page {{ page }} of {{ pages }}{% endtrans %}") == []
    assert piecewise_sentences('<dt>{{ _("Total") }}</dt><dd>{{ total }}</dd><dt>{{ _("Paid") }}</dt>') == []
    assert GLUED.search("""{{ post_button(url, _("Delete"), confirm=_("Delete ") ~ name ~ "?") }}""")
    assert not GLUED.search("""{{ post_button(url, _("Delete"), confirm=_("Delete %(name)s?", name=name)) }}""")
    text = readable_text(untranslated_text('<p title="Close">Hello {{ name }}</p>{% trans %}Fine{% endtrans %}'))
    assert "Hello" in text and "Close" in text and "Fine" not in text
    assert "true" not in readable_text(untranslated_text('<input{% if e %} aria-invalid="true"{% endif %}>'))
    assert HAND_PLURAL.search("""{{ _("row") }}{{ "" if n == 1 else "s" }}""")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_glues_a_sentence_from_pieces(path):
    source = path.read_text()
    assert not piecewise_sentences(source), f"{path}: lines {piecewise_sentences(source)}"
    assert not GLUED.search(source), GLUED.search(source).group(0)
    assert not HAND_PLURAL.search(source), HAND_PLURAL.search(source).group(0)


def test_console_and_door_templates_mark_every_text_they_show():
    """Text written straight into a console, door, account or email template (outside {% trans %}
    and _()) is English for every reader; only names, symbols and code examples may stand there."""
    allowed = re.compile(r"^(Rollcall|URL|HTTP|OK|KB|MB|CSV|JSON|v)$")
    found = []
    for path in TEMPLATES:
        relative = str(path.relative_to(ROOT / "templates"))
        if not relative.startswith(("console/", "checkin/", "accounts/", "email/accounts/")):
            continue
        text = readable_text(untranslated_text(path.read_text()))
        for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", text):
            if not allowed.match(word) and word not in EXAMPLES:
                found.append(f"{relative}: {word}")
    assert not found, "\n".join(found)


# Code examples a template shows as they are (API paths, headers, DNS records).
EXAMPLES = {
    "Authorization",
    "Bearer",
    "GET",
    "api",
    "v1",
    "client",
    "events",
    "public",
    "authenticated",
    "incoming",
    "status",
    "failed",
    "purchase",
    "plan",
    "pro",
    "Rollcall-Signature",
    "unix time",
    "hex",
    "raw body",
    "t",
    "key",
    "spf1",
    "upper",
    "json",
    "openapi",
    "events@yourcompany",
    "com",
    "action",
    "https",
}


def untranslated_text(source: str) -> str:
    """The template's own text outside {% trans %} blocks, every output and tag replaced by a mark
    (so the markup around them still parses), and the text of blocks that name a CSS class left
    out."""
    out, tokens, i, translating, block = [], list(ENV.lex(source)), 0, 0, []
    while i < len(tokens):
        _line, kind, value = tokens[i]
        if kind == "block_begin":
            j = i + 1
            names = []
            while tokens[j][1] != "block_end":
                if tokens[j][1] == "name":
                    names.append(tokens[j][2])
                j += 1
            tag = names[0] if names else ""
            translating += {"trans": 1, "endtrans": -1}.get(tag, 0)
            if tag == "block":
                block.append(names[1])
            elif tag == "endblock" and block:
                block.pop()
            out.append(MARK)
            i = j + 1
            continue
        if kind in ("variable_begin", "comment_begin"):
            end = "variable_end" if kind == "variable_begin" else "comment_end"
            while tokens[i][1] != end:
                i += 1
            out.append(MARK)
        elif kind == "data":
            skip = translating or (block and block[-1].endswith("class"))
            out.append(MARK if skip else value)
        i += 1
    # Attributes (those a macro or a condition adds to a tag too) are not prose; the ones a person
    # reads stay and are checked.
    return ATTRIBUTE.sub(MARK, "".join(out))


MARK = "\x01"
ATTRIBUTE = re.compile(
    r"""(?<![\w-])(?!(?:title|aria-label|placeholder|alt|data-confirm|label)=)[\w:-]+=(["'])[^"'<>]*\1"""
)
