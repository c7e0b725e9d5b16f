"""Reading the YAML files trailwatch is configured by, with errors that name the file.

A config or event file may come from anyone who can open a pull request, so the reader refuses,
with one line naming the file and the place, what PyYAML would otherwise accept silently or
choke on:

- a file over `MAX_FILE_BYTES`, before it is parsed (and without reading more than that);
- a key given twice in one mapping (YAML keeps the last one without a word);
- more than `MAX_NODES` values, counting each alias as a copy of what it names (an alias bomb,
  "billion laughs": a few lines of nested anchors that stand for billions of values), and an
  alias inside the node it names. Plain aliases stay allowed: `yaml.safe_dump` writes them for
  repeated values, and events/ has some;
- nesting deeper than `MAX_DEPTH`, counting what aliases stand for (PyYAML's composers recurse
  once per level: a RecursionError in Python, a crash in libyaml's).

libyaml parses and composes when PyYAML has it (the catalog loads on every command). Aliases are
shared nodes in the composed tree, so the checks measure each node once, however far the file
would expand; only then is the tree constructed into Python values. A text that might nest too
deep for the composer's recursion, or hold too many values to compose at all, is measured on the
parser's events first, which stop at the first value over a bound.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import CollectionEndEvent, CollectionStartEvent, NodeEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from trailwatch.errors import TrailwatchError

MAX_FILE_BYTES = 1 << 20
MAX_NODES = 50_000
MAX_DEPTH = 100
MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"
_TOO_BIG = (
    f"more than {MAX_NODES:,} values, counting each alias as a copy of what it names "
    "(an alias bomb?); trailwatch files need far fewer"
)
_TOO_DEEP = (
    f"nested more than {MAX_DEPTH} levels deep, counting what aliases stand for; "
    "trailwatch files need far fewer"
)


HAS_LIBYAML = hasattr(yaml, "CSafeLoader")
try:
    from yaml import CSafeLoader as _FastLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _FastLoader  # type: ignore[assignment]


class Mark(Protocol):
    """Where in the text (PyYAML's and libyaml's marks both have these, 0-based)."""

    line: int
    column: int


class RefusedYAML(yaml.YAMLError):
    """YAML that parses but that trailwatch will not read; `mark` is where it goes wrong."""

    def __init__(self, mark: Mark | None, problem: str) -> None:
        super().__init__(problem)
        self.mark = mark
        self.problem = problem


def _where(mark: Mark | None) -> str:
    return f" line {mark.line + 1} column {mark.column + 1}:" if mark else ""


def _check_events(text: str, loader_class: type[YamlLoader]) -> None:
    # Depth and number of values from the parser's events, which come one at a time: no
    # recursion, no tree, and a megabyte of `[` stops at the 101st (libyaml's scanner is
    # quadratic in flow depth).
    loader = loader_class(text)
    depth = values = 0
    try:
        while not loader.check_event(StreamEndEvent):
            event = loader.get_event()
            if isinstance(event, NodeEvent):
                values += 1
                if values > MAX_NODES:
                    raise RefusedYAML(event.start_mark, _TOO_BIG)
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise RefusedYAML(event.start_mark, _TOO_DEEP)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def _check_tree(root: Node) -> None:
    # Every value counted as often as aliases repeat it, but every node measured once (an alias
    # is the node it names, shared): linear in the file, however far it would expand.
    if not isinstance(root, ScalarNode):
        _measure(root, 1, {}, set())


def _measure(
    node: Node, depth: int, measured: dict[int, tuple[int, int]], open_nodes: set[int]
) -> tuple[int, int]:
    """(values, levels) of a collection node at `depth`, with aliases expanded."""
    key = id(node)
    known = measured.get(key)
    if known is not None:  # an alias of a node measured before
        if depth + known[1] - 1 > MAX_DEPTH:
            raise RefusedYAML(node.start_mark, _TOO_DEEP)
        return known
    if key in open_nodes:
        raise RefusedYAML(node.start_mark, "this node contains an alias of itself")
    if depth > MAX_DEPTH:
        raise RefusedYAML(node.start_mark, _TOO_DEEP)
    open_nodes.add(key)
    values, levels = 1, 0
    children = (
        [part for pair in node.value for part in pair]
        if isinstance(node, MappingNode)
        else node.value
    )
    for child in children:
        if isinstance(child, ScalarNode):
            values += 1
        else:
            child_values, child_levels = _measure(child, depth + 1, measured, open_nodes)
            values += child_values
            levels = max(levels, child_levels)
    if values > MAX_NODES:
        raise RefusedYAML(node.start_mark, _TOO_BIG)
    open_nodes.discard(key)
    measured[key] = (values, levels + 1)
    return values, levels + 1


class _UniqueKeysConstructor(SafeConstructor):
    """PyYAML's safe constructor, refusing a key given twice in one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue  # `<<: {...}` may be overridden by the mapping's own keys on purpose
            # Most keys are plain strings: their text is their value, nothing to construct.
            key = (
                key_node.value
                if key_node.tag == STR_TAG
                else self.construct_object(key_node, deep=True)
            )
            try:
                earlier = first.setdefault(key, key_node)
            except TypeError:
                continue  # an unhashable key: PyYAML's own error says so
            if earlier is not key_node:
                shown = key_node.value if isinstance(key_node, ScalarNode) else key
                raise RefusedYAML(
                    key_node.start_mark,
                    f"duplicate key {shown!r} (first at line {earlier.start_mark.line + 1}); "
                    "YAML would silently keep only the last one",
                )
        return super().construct_mapping(node, deep)


class PythonLoader(_UniqueKeysConstructor, yaml.SafeLoader):
    """PyYAML's own parser and composer (Python), for a PyYAML built without libyaml."""

    # The composer recurses in Python, a few frames per level.
    composer_safe_depth = MAX_DEPTH


class LibyamlLoader(_UniqueKeysConstructor, _FastLoader):
    """libyaml's parser and composer (C) when PyYAML has them; the constructor is Python."""

    # The composer recurses in C once per level, without a limit: it crashes between 20,000 and
    # 50,000 levels on an 8 MiB stack, and at 2,000 on a 256 KiB thread stack.
    composer_safe_depth = 1000 if HAS_LIBYAML else MAX_DEPTH


YamlLoader = PythonLoader | LibyamlLoader
# libyaml's when PyYAML was built with it: the catalog loads on every command.
LOADER: type[YamlLoader] = LibyamlLoader if HAS_LIBYAML else PythonLoader

# Every collection opens with one of these characters of its own (`[`, `{`, a `-` entry, a `?` or
# `:` key indicator), so a text with few of them cannot nest deeper than their count.
_OPENERS = "[{-?:"
# A value takes about a character at the least (`{a,b,c}` is seven values in seven), so a text
# this short holds well under MAX_NODES values before aliases are expanded.
_SHORT_TEXT = MAX_NODES // 2


def nesting_bound(text: str) -> int:
    """An upper bound of how deep `text` nests, found without parsing it."""
    return sum(text.count(c) for c in _OPENERS)


def load_yaml(text: str, loader_class: type[YamlLoader] | None = None) -> object:
    """Safe-load YAML text within the bounds above; `RefusedYAML` (a YAMLError) when not.

    `loader_class` is libyaml's when PyYAML has it, else PyYAML's own (tests pass either).
    """
    loader_class = loader_class or LOADER
    # The composer builds the whole tree, recursing once per level: check a text that might
    # nest too deep or hold too many values on the parser's events first (only big files).
    if len(text) > _SHORT_TEXT or nesting_bound(text) > loader_class.composer_safe_depth:
        _check_events(text, loader_class)
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_tree(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def read_mapping(
    path: Path, error: type[TrailwatchError], *, expected: str, not_found: str | None = None
) -> dict[str, Any]:
    """The YAML mapping in a file; anything else raises `error` naming the file (and place)."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        if not_found is None:
            raise error(f"{path}: cannot read: No such file or directory") from None
        raise error(f"{path}: {not_found}") from None
    except OSError as err:
        raise error(f"{path}: cannot read: {err.strerror or err}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise error(
            f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB; trailwatch reads config and event "
            "files up to that size (is it the right file?)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text; trailwatch reads UTF-8 YAML") from None
    try:
        data = load_yaml(text)
    except RefusedYAML as err:
        raise error(f"{path}:{_where(err.mark)} {err.problem}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        raise error(f"{path}:{_where(mark)} not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: {expected}")
    return data
