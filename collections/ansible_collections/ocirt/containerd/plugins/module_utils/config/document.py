"""config.toml as a tomlkit document: edits keep comments, key order and unknown keys.

A ``settings`` mapping is deep-merged into the document; a ``None`` value deletes that key
(YAML ``null``; TOML itself has no null, so it cannot mean anything else). A key is only
assigned when its value differs, so an edit that changes nothing leaves the bytes alone and
a second apply yields the same file.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple

from ..common.errors import ConfigParseError

try:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import AoT, InlineTable, Item, Table

    TOMLKIT_IMPORT_ERROR: Optional[str] = None
except ImportError as exc:  # reported by front ends as a missing requirement
    tomlkit = None  # type: ignore[assignment]
    TOMLKIT_IMPORT_ERROR = str(exc)

    class TOMLKitError(Exception):  # type: ignore[no-redef]
        pass


Path = Tuple[str, ...]
DELETE = None  # the settings value that removes a key


def require_tomlkit() -> None:
    if tomlkit is None:
        raise ConfigParseError(
            f"the Python library tomlkit is needed for configuration files "
            f"(Debian: python3-tomlkit): {TOMLKIT_IMPORT_ERROR}"
        )


def load(text: str, source: str = "config.toml") -> Any:
    """Parse TOML text into a tomlkit document; a syntax error names the line and column."""
    require_tomlkit()
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigParseError(f"{source} is not valid TOML: {exc}") from None
    except (ValueError, KeyError) as exc:  # tomlkit raises these for some broken input
        raise ConfigParseError(f"{source} is not valid TOML: {exc}") from None


def dump(doc: Any) -> str:
    return tomlkit.dumps(doc)


def plain(value: Any) -> Any:
    """A tomlkit item (or document) as plain Python data."""
    if hasattr(value, "unwrap"):
        return value.unwrap()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def is_table(value: Any) -> bool:
    return isinstance(value, Mapping) and not isinstance(value, AoT)


def get_path(doc: Any, path: Sequence[str], default: Any = None) -> Any:
    """The plain value at path, or ``default`` when a key on the way is missing."""
    node = doc
    for key in path:
        if not is_table(node) or key not in node:
            return default
        node = node[key]
    return plain(node)


def _child_table(parent: Any, key: str, leaf: bool) -> Any:
    """parent[key] as a table, created when missing.

    Intermediate tables are created as super tables so the file gets
    ``[a.b.c]`` rather than empty ``[a]`` and ``[a.b]`` headers.
    """
    if key in parent:
        child = parent[key]
        if is_table(child):
            return child
        del parent[key]  # the declared mapping replaces a scalar or list
    if isinstance(parent, InlineTable):
        parent[key] = tomlkit.inline_table()
    else:
        parent[key] = tomlkit.table(is_super_table=not leaf)
    return parent[key]


def _indent_like_siblings(table: Any, key: str) -> None:
    """Give a new key the indentation its table's other keys have (cosmetic only)."""
    if not isinstance(table, Table):
        return
    item = table.value.item(key) if key in table.value else None
    if not isinstance(item, Item) or isinstance(item, (Table, AoT)):
        return
    for other_key, other in table.value.body:
        if other_key is None or other_key.key == key or isinstance(other, (Table, AoT)):
            continue
        indent = other.trivia.indent
        if indent and not item.trivia.indent:
            item.trivia.indent = indent
        return
    if table.trivia.indent and not item.trivia.indent:  # first key under an indented header
        item.trivia.indent = table.trivia.indent + "  "


def _typed(value: Any) -> Any:
    """value with its types made part of it: true != 1 and 1 != 1.0 in TOML."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_typed(v) for v in value]
    if isinstance(value, float) and value != value:
        return ("float", "nan")  # NaN equals nothing, itself included: compare it by name
    return (type(value).__name__, value)


def same_value(current: Any, value: Any) -> bool:
    return _typed(plain(current)) == _typed(plain(value))


def set_path(doc: Any, path: Sequence[str], value: Any) -> bool:
    """Set the value at path (creating tables); returns whether the document changed."""
    if not path:
        raise ValueError("empty key path")
    node = doc
    for i, key in enumerate(path[:-1]):
        node = _child_table(node, key, leaf=i == len(path) - 2)
    last = path[-1]
    if isinstance(value, Mapping):
        changed = False
        if last in node and not is_table(node[last]):
            del node[last]
            changed = True
        table = _child_table(node, last, leaf=True)
        for k, v in value.items():
            changed = merge_value(table, (k,), v) or changed
        return changed
    if last in node and same_value(node[last], value):
        return False
    node[last] = value
    _indent_like_siblings(node, last)
    return True


def delete_path(doc: Any, path: Sequence[str]) -> bool:
    """Remove the key at path if present; returns whether the document changed."""
    node = doc
    for key in path[:-1]:
        if not is_table(node) or key not in node:
            return False
        node = node[key]
    if is_table(node) and path[-1] in node:
        del node[path[-1]]
        return True
    return False


def merge_value(doc: Any, path: Sequence[str], value: Any) -> bool:
    """Deep-merge one value: mappings merge key by key, None deletes, anything else is set."""
    if value is DELETE:
        return delete_path(doc, path)
    if isinstance(value, Mapping):
        changed = False
        if not value:  # an empty mapping declares that the table exists
            node = doc
            for i, key in enumerate(path):  # replacing a value on the way, as set_path does
                changed = changed or not (key in node and is_table(node[key]))
                node = _child_table(node, key, leaf=i == len(path) - 1)
            return changed
        for k, v in value.items():
            changed = merge_value(doc, (*path, str(k)), v) or changed
        return changed
    return set_path(doc, path, value)


def merge(doc: Any, settings: Mapping[str, Any]) -> List[Path]:
    """Deep-merge ``settings`` into doc; the key paths that changed, in order."""
    changed: List[Path] = []
    for path, value in flatten(settings):
        if merge_value(doc, path, value):
            changed.append(path)
    return changed


def flatten(settings: Mapping[str, Any], prefix: Path = ()) -> List[Tuple[Path, Any]]:
    """(path, value) pairs of the leaves; empty mappings are leaves too."""
    out: List[Tuple[Path, Any]] = []
    for k, v in settings.items():
        if not isinstance(k, str):
            raise ValueError(f"settings keys must be strings, got {k!r}")
        path = (*prefix, k)
        if isinstance(v, Mapping) and v:
            out.extend(flatten(v, path))
        else:
            out.append((path, v))
    return out


def check_values(settings: Mapping[str, Any], prefix: Path = ()) -> None:
    """Refuse values TOML cannot hold, naming the key path."""
    for path, value in flatten(settings, prefix):
        _check_value(path, value)


def _check_value(path: Path, value: Any, in_list: bool = False) -> None:
    """``in_list``: inside a list, where null cannot mean "delete" (nor be written)."""
    if value is None and in_list:
        raise ValueError(f"settings {'.'.join(path)}: a list cannot hold null, nor its tables")
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_value((*path, str(k)), v, in_list)
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_value(path, v, in_list=True)
        return
    raise ValueError(
        f"settings {'.'.join(path)}: {type(value).__name__} values cannot be written to TOML "
        f"(allowed: string, integer, float, boolean, list, mapping, or null to delete)"
    )
