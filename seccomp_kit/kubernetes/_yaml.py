"""Multi-document YAML for Kubernetes manifests, with positions and safety limits.

PyYAML's safe loader builds the data; the composed node tree is kept beside it so an error about
``spec.template.spec.containers[2]`` can say the line and column. Aliases are expanded by the
constructor as shared references, so a small hostile document ("billion laughs") could make a
walk over the data exponential, and a recursive alias makes it infinite: both are refused while
composing, before any data is built.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs
import yaml

from seccomp_kit.errors import LoadError, ParseError
from seccomp_kit.io import decode_text, read_path_bytes, unicode_text

__all__ = [
    "MAX_EXPANDED_NODES",
    "YamlDocument",
    "expansion_budget",
    "load_documents",
    "read_text",
]

MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_EXPANDED_NODES = 2_000_000
"""Nodes a stream may hold once aliases are expanded; far above any real manifest. Smaller
texts get a smaller budget (:func:`expansion_budget`)."""


@attrs.frozen
class YamlDocument:
    """One document of a YAML stream: its 0-based index, data and (for positions) its node."""

    index: int
    data: Any
    node: yaml.Node | None = attrs.field(eq=False, repr=False)
    source: str = "<string>"

    def position(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """1-based line and column of the value at ``path`` (or of its nearest ancestor)."""
        node = self.node
        if node is None:
            return None, None
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        mark = node.start_mark
        return mark.line + 1, mark.column + 1


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(part, int) and isinstance(node, yaml.SequenceNode):
        return node.value[part] if 0 <= part < len(node.value) else None
    if isinstance(part, str) and isinstance(node, yaml.MappingNode):
        found = None
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                found = value  # the last duplicate wins, as in the constructor
        return found
    return None


def read_text(source: str | os.PathLike[str] | IO[str] | IO[bytes]) -> tuple[str, str]:
    """Read a manifest file (or ``-`` for stdin handled by the caller) as UTF-8 text."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        data = read_path_bytes(name, MAX_MANIFEST_BYTES, "a YAML file")
    else:
        name = str(getattr(source, "name", "<stream>"))
        chunk = source.read(MAX_MANIFEST_BYTES + 1)
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
    if len(data) > MAX_MANIFEST_BYTES:
        raise LoadError(
            f"larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB; not a manifest", source=name
        )
    return name, decode_text(data, name)


def expansion_budget(text: str) -> int:
    """Nodes a whole stream may hold once aliases are expanded: a constant plus a few per
    character, so YAML without aliases always fits (a node takes at least one character) and
    the work of any check stays linear in the size of the text."""
    return min(MAX_EXPANDED_NODES, _BASE_NODES + _NODES_PER_CHAR * len(text))


_BASE_NODES = 10_000
_NODES_PER_CHAR = 4
# PyYAML's resolver makes plain ``123`` an int; these tags are read with int() or float(),
# so their text is length-bounded first (a uint64 has 20 digits, 1_000 or 0b... add a few).
_MAX_NUMBER_CHARS = 100


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with constructor failures turned into located YAML errors.

    Its constructors let ValueError and others escape for bad scalars (``!!int abc``,
    ``!!timestamp x``, ``2024-02-30``); here they name the node, like any other YAML error."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as exc:
            why = f": {exc}" if isinstance(exc, ValueError) else ""
            tag = node.tag.rpartition(":")[2]
            raise yaml.constructor.ConstructorError(
                None, None, f"{_shown(node)} is not a valid {tag}{why}", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        _bounded(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        _bounded(node)
        return super().construct_yaml_float(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def _shown(node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        return "this node"
    text = repr(node.value)
    return text if len(text) <= 40 else text[:36] + "...'"


def _bounded(node: yaml.ScalarNode) -> None:
    if len(node.value) > _MAX_NUMBER_CHARS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a number of {len(node.value)} characters (at most {_MAX_NUMBER_CHARS})",
            node.start_mark,
        )


class _Budget:
    """What is left of the stream's expansion budget."""

    def __init__(self, nodes: int) -> None:
        self.limit = self.nodes = nodes


def _check_expansion(node: yaml.Node, name: str, index: int, budget: _Budget) -> None:
    """Refuse recursive aliases, streams that expand past the node budget (aliases count as
    expanded), and scalars that are not Unicode text (a lone surrogate, ``"\\ud800"``)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def fail(n: yaml.Node, message: str) -> ParseError:
        return ParseError(
            f"document {index}: {message}",
            source=name,
            line=n.start_mark.line + 1,
            column=n.start_mark.column + 1,
        )

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise fail(n, "a YAML alias refers to itself (recursive structure)")
        active.add(key)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            total += sum(size(c) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        elif isinstance(n.value, str) and not n.value.isascii() and not unicode_text(n.value):
            # PyYAML leaves "\ud83d\ude00" as two surrogates; as in JSON, a pair is the
            # character it encodes. A lone surrogate is refused.
            try:
                n.value = n.value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
            except UnicodeDecodeError:
                raise fail(
                    n,
                    "a lone UTF-16 surrogate (like \\ud800) is not Unicode text; write the"
                    " character itself",
                ) from None
        active.discard(key)
        if total > budget.nodes:
            raise fail(
                n,
                f"YAML aliases expand to more than {budget.limit} nodes (the budget for a"
                " stream of this size); refusing to expand it",
            )
        sizes[key] = total
        return total

    budget.nodes -= size(node)


def _documents(text: str, name: str) -> Iterator[YamlDocument]:
    loader = _Loader(text)
    budget = _Budget(expansion_budget(text))
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                break
            _check_expansion(node, name, index, budget)
            data = loader.construct_document(node)
            yield YamlDocument(index, data, node, name)
            index += 1
    finally:
        loader.dispose()


def load_documents(
    source: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None,
    *,
    text: str | None = None,
    name: str = "<string>",
) -> list[YamlDocument]:
    """Every document of a YAML stream (empty documents included as ``None`` data).

    Raises :class:`ParseError` with line and column for YAML that does not parse.
    """
    if text is None:
        if source is None:
            raise TypeError("load_documents needs a source or text")
        name, text = read_text(source)
    elif isinstance(source, (str, Path)):
        name = os.fspath(source)
    try:
        return list(_documents(text, name))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        raise ParseError(
            f"invalid YAML: {problem}",
            source=name,
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"invalid YAML: {exc}", source=name) from None
    except RecursionError:
        raise ParseError("invalid YAML: nested too deeply", source=name) from None
