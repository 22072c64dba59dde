"""Random edits of real config.toml texts through the config document (MU/config/document):
settings of random keys (many of them the keys the texts already have, so edits land on real
tables, inline tables, arrays of tables and scalars) and random values. For every edit the
settings are refused with ValueError, or: the result re-parses and means base + settings,
the comments survive an edit that removes nothing, and a second apply changes no byte and
reports no change."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import tomlkit
from ansible_collections.ocirt.containerd.plugins.module_utils.config import document
from harness.daemon import bin_dir_for
from hypothesis import example, given
from hypothesis import strategies as st

from .budget import BOUNDED, FUZZ

DEBIAN = Path(__file__).resolve().parents[1] / "config" / "data" / "debian12-config.toml"

#: What `containerd config default` does not write but people do: inline tables, arrays of
#: tables, dotted and quoted keys, multi-line strings, inline comments.
RICH = '''\
version = 2
oom_score = 0  # fuzz-inline-1

[grpc]
  address = "/run/containerd/containerd.sock"  # fuzz-inline-2
  "quoted.key" = 1
  dotted.key = "d"
  limits = { max_recv = 16777216, max_send = 16777216 }  # fuzz-inline-3

[[proxy_plugins_list]]
  name = "one"
  note = """
multi-line
"""

[[proxy_plugins_list]]
  name = "two"

[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
  endpoint = ["https://mirror.test", "https://registry-1.docker.io"]
'''


def _with_comments(text: str) -> str:
    """A numbered comment line before every table header, one at the top."""
    out = ["# fuzz-top"]
    for i, line in enumerate(text.splitlines()):
        if line.lstrip().startswith("["):
            out.append(f"# fuzz-{i}")
        out.append(line)
    return "\n".join(out) + "\n"


def _base_texts() -> Dict[str, str]:
    texts = {"debian12": DEBIAN.read_text(), "rich": RICH}
    for series in ("1.6", "2.1"):
        binary = bin_dir_for(series) / "containerd"
        if binary.exists():  # no daemon needed: only the binary prints its defaults
            texts[f"default-{series}"] = subprocess.run(
                [str(binary), "config", "default"], capture_output=True, text=True, check=True
            ).stdout
    return {name: _with_comments(text) for name, text in texts.items()}


BASES = _base_texts()
NAMES = sorted(BASES)


def _keys_of(value: Any, out: set) -> set:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _keys_of(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys_of(v, out)
    return out


REAL_KEYS = sorted(
    set().union(*(_keys_of(tomlkit.parse(t).unwrap(), set()) for t in BASES.values()))
)
KEY = st.one_of(st.sampled_from(REAL_KEYS), st.sampled_from(REAL_KEYS), st.text(max_size=8))
SCALAR = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.text(max_size=10),
    st.lists(st.one_of(st.integers(), st.text(max_size=4), st.floats()), max_size=3),
)
SETTINGS = st.recursive(
    st.dictionaries(KEY, st.one_of(SCALAR, st.none()), max_size=4),
    lambda children: st.dictionaries(
        KEY, st.one_of(SCALAR, st.none(), children, st.lists(children, max_size=2)), max_size=3
    ),
    max_leaves=12,
)


def _canon(value: Any) -> Any:
    """Plain data with NaN made comparable (NaN != NaN would make every check fail)."""
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "<nan>"
    return value


def _sets_something(value: Any) -> bool:
    if isinstance(value, dict):
        return not value or any(_sets_something(v) for v in value.values())
    return value is not None


def _expected(base: Dict[str, Any], settings: Dict[str, Any]) -> Dict[str, Any]:
    """The meaning of a deep merge: mappings merge (replacing what is not a table), None
    deletes, anything else replaces; deleting inside a table that is not there adds nothing."""
    result = dict(base)
    for k, v in settings.items():
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            inner = result.get(k)
            if not isinstance(inner, dict) and not _sets_something(v):
                continue
            result[k] = _expected(inner if isinstance(inner, dict) else {}, v)
        else:
            result[k] = v
    return result


def _removes_something(base: Any, settings: Dict[str, Any]) -> bool:
    """Whether the edit deletes a key, replaces a table or an array of tables, or puts a
    table where a value was (then the comments that belonged to what went may go with it)."""
    for k, v in settings.items():
        if not isinstance(base, dict) or k not in base:
            continue
        have = base[k]
        if isinstance(have, dict) and isinstance(v, dict):
            if _removes_something(have, v):
                return True
            continue
        an_array_of_tables = isinstance(have, list) and any(isinstance(x, dict) for x in have)
        if v is None or isinstance(have, dict) or isinstance(v, dict) or an_array_of_tables:
            return True
    return False


def _comments(text: str) -> List[str]:
    return [line[line.index("# fuzz") :] for line in text.splitlines() if "# fuzz" in line]


@BOUNDED
@FUZZ
@given(which=st.sampled_from(NAMES), settings=SETTINGS)
@example(which="rich", settings={"x": float("nan")})  # NaN != NaN: "changed" on every run
@example(which="rich", settings={"l": [{"a": 1, "b": None}]})  # null in a table in a list
@example(which="rich", settings={"oom_score": {"t": {}}, "x": {"oom_score": 1}})
@example(which="rich", settings={"grpc": {"address": {}, "x": 1}})  # empty table over a value
@example(which="rich", settings={"proxy_plugins_list": {"t": {}, "k": False}})  # ... over an AoT
def test_random_edits_reparse_keep_comments_and_apply_once(
    which: str, settings: Dict[str, Any]
) -> None:
    text = BASES[which]
    try:
        document.check_values(settings)
    except ValueError:
        return  # refused up front, naming the key: what the config module reports
    doc = document.load(text)
    base = doc.unwrap()
    document.merge(doc, settings)
    out = document.dump(doc)

    again = document.load(out, "the edited text")  # re-parses
    assert _canon(again.unwrap()) == _canon(_expected(base, settings))
    if not _removes_something(base, settings):
        assert _comments(out) == _comments(text)
    assert document.merge(again, settings) == []
    assert document.dump(again) == out
