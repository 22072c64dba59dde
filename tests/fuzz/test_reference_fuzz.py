"""Image references from anywhere (playbooks, archives' annotations, the command line):
parsing gives a Reference or the library's InvalidInput, nothing else; normalising is
idempotent; and what is accepted is a reference docker's own grammar accepts."""

from __future__ import annotations

import re

from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.registry.reference import (
    normalize_name,
    parse_reference,
)
from hypothesis import example, given
from hypothesis import strategies as st

from .budget import BOUNDED, FUZZ

# The oracle: distribution/reference's regexp.go, written out independently of the
# library (Go's \w is ASCII; anchors are whole-string).
_GO_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_GO_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_GO_DOMAIN = rf"(?:{_GO_DOMAIN_PART}(?:\.{_GO_DOMAIN_PART})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
GO_NAMED_TAGGED = re.compile(
    rf"{_GO_DOMAIN}/{_GO_COMPONENT}(?:/{_GO_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?",
    re.ASCII,
)

_PIECES = st.sampled_from(
    [
        "busybox",
        "library/",
        "team/app",
        "a",
        "A",
        "x-y",
        "x__y",
        "x..y",
        "_",
        "-",
        ".",
        "/",
        "//",
        ":",
        "::",
        "@",
        "sha256:",
        "0" * 64,
        "abc",
        "latest",
        "1.4",
        "v1_0",
        "localhost",
        "localhost:5000/",
        "docker.io/",
        "index.docker.io/",
        "[::1]:5000/",
        "Example.COM:443/",
        "\n",
        " ",
        "\t",
        "é",
        "ǅ",
        "\x00",
        "\u200b",
        "t" * 130,
    ]
)
REFERENCES = st.one_of(
    st.lists(_PIECES, max_size=10).map("".join),
    st.text(max_size=40),
    st.text(alphabet="abc019./:@-_[]ABC", max_size=40),
)


def _accepted(text: object):
    try:
        return parse_reference(text)  # type: ignore[arg-type]
    except InvalidInput:
        return None


@BOUNDED
@FUZZ
@given(text=REFERENCES)
@example(text="a\n:1")  # "$" matched before the newline: the path kept it
@example(text="a:1\n@sha256:" + "a" * 64)  # ... and the tag
@example(text="registry.test\n/a:1")  # ... and the host
@example(text="busybox:ǅ")  # Python's \w is Unicode, Go's is not
def test_parse_gives_a_reference_or_invalid_input_and_normalising_is_idempotent(
    text: str,
) -> None:
    ref = _accepted(text)
    if ref is None:
        return
    name = normalize_name(text)
    assert name == str(ref)
    assert normalize_name(name) == name
    assert parse_reference(name) == ref
    assert re.fullmatch(r"[\x21-\x7e]+", name), name  # printable ASCII, no whitespace
    named = name.split("@", 1)[0]
    assert GO_NAMED_TAGGED.fullmatch(named), f"{text!r} -> {name!r}: docker would refuse it"


@BOUNDED
@FUZZ
@given(value=st.one_of(st.none(), st.integers(), st.binary(max_size=8), st.lists(st.text())))
def test_a_reference_that_is_not_a_string_is_invalid_input(value: object) -> None:
    assert _accepted(value) is None
