"""YAML text with line numbers: reading and writing workflow files, and finding the line of a field.

Reading uses a loader stricter about types than YAML 1.1: only ``true``/``false`` are booleans,
integers are plain decimals, and dates, times (``10:30`` as a sexagesimal number) and ``yes``/``no``
stay strings, so ``time: 10:30`` or ``value: yes`` mean what they say. Everything that loader reads
as a non-string, YAML 1.1 reads as one too, so whatever :func:`dump` writes (PyYAML quotes any
string YAML 1.1 would read otherwise) reads back unchanged.

:func:`line_of` finds where a field named by an API message (``actions[2].DELAY.delay.days``) is in
the text, using the marks of the nodes :func:`yaml.compose` builds; :func:`split_problems` cuts an
API message into its problems, each with the field it names.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_DROPPED_TAGS = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the narrower implicit types described above."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",  # YAML 1.1's floats without the sexagesimal ones
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class TextProblem(Exception):
    """A problem at a line of a file (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree of a YAML document; :class:`TextProblem` when it does not parse
    or a mapping repeats a key (YAML would keep the last one silently)."""
    try:
        node = yaml.compose(text, Loader=Loader)
        data = yaml.load(text, Loader=Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise TextProblem(line, f"not valid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise TextProblem(1, f"not valid YAML: {error}") from None
    if node is not None:
        _check_duplicate_keys(node)
    return data, node


def _check_duplicate_keys(node: yaml.Node) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise TextProblem(
                        key.start_mark.line + 1,
                        f"duplicate key '{key.value}' (also on line {seen[key.value]})",
                    )
                seen[key.value] = key.start_mark.line + 1
            _check_duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item)


def dump(data: Any) -> str:
    """Block-style YAML, keys in the order given, long strings on one line."""
    return yaml.dump(
        data,
        Dumper=yaml.SafeDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=4096,
    )


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_segments(path: str) -> list[str | int]:
    """``actions[2].delay.days`` → ``["actions", 2, "delay", "days"]``."""
    return [int(index) if index else name for name, index in _SEGMENT.findall(path)]


def _key_of(mapping: yaml.MappingNode, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(
        ((k, v) for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == name), None
    )


def line_of(root: yaml.Node | None, path: str) -> int:
    """The 1-based line of the field ``path`` names, or of the nearest enclosing one that exists
    (a missing field is reported where its parent is). A segment that is not a key, but names the
    type of the mapping it is in (pydantic's ``DELAY`` in ``actions[0].DELAY.delay``), is skipped."""
    if root is None:
        return 1
    node, line = root, root.start_mark.line + 1
    segments = path_segments(path)
    for position, segment in enumerate(segments):
        if isinstance(segment, int):
            if not isinstance(node, yaml.SequenceNode) or segment >= len(node.value):
                break
            node = node.value[segment]
            line = node.start_mark.line + 1
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        found = _key_of(node, segment)
        if found is None:
            following = segments[position + 1] if position + 1 < len(segments) else None
            type_entry = _key_of(node, "type")
            names_type = type_entry is not None and getattr(type_entry[1], "value", None) == segment
            if names_type or (isinstance(following, str) and _key_of(node, following) is not None):
                continue
            break
        key, node = found
        line = key.start_mark.line + 1
    return line


_PATH = r"[A-Za-z_][\w-]*(?:\[\d+\])*(?:\.[A-Za-z_][\w-]*(?:\[\d+\])*)*"
_PROBLEM_START = re.compile(rf"(?:body: )?({_PATH}): ")


def split_problems(message: str) -> list[tuple[str | None, str]]:
    """An API message cut into its problems: ``[(field path or None, text)]``. The API joins problems
    with ``"; "``; a ``"; "`` that is not followed by ``field: `` belongs to the problem's own text.
    Joining the texts with ``"; "`` gives the message back."""
    parts = message.split("; ")
    problems: list[list[str]] = []
    for part in parts:
        if problems and not _PROBLEM_START.match(part):
            problems[-1].append(part)
        else:
            problems.append([part])
    answer: list[tuple[str | None, str]] = []
    for pieces in problems:
        text = "; ".join(pieces)
        match = _PROBLEM_START.match(text)
        answer.append((match.group(1) if match else None, text))
    return answer
