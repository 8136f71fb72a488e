"""Read the SAM template: the one source of truth for resources, handlers and event mappings.

Intrinsic functions are resolved against the resources the runtime created, so nothing here
repeats a table key, queue name or mapping by hand.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STACK_NAME = "crmflow-local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PSEUDO = {
    "AWS::StackName": STACK_NAME,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


@dataclass(frozen=True)
class Intrinsic:
    """An unresolved CloudFormation intrinsic (``!Ref``, ``!GetAtt``, ``!Sub``...)."""

    name: str
    value: Any


class _Loader(yaml.SafeLoader):
    pass


def _construct(tag: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Intrinsic:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return Intrinsic("Fn::" + tag if tag != "Ref" else "Ref", value)

    return construct


for _tag in ("Ref", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "ImportValue", "FindInMap"):
    _Loader.add_constructor("!" + _tag, _construct(_tag))


def load(path: Path) -> dict[str, Any]:
    """The template as plain data, with intrinsics as :class:`Intrinsic` values.

    Parsed once per file version (a runtime per test would otherwise spend 0.2 s parsing YAML);
    every caller gets its own copy.
    """
    stat = path.stat()
    return copy.deepcopy(_parsed(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=4)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    del mtime_ns, size  # part of the cache key only
    with path.open() as handle:
        return yaml.load(handle, Loader=_Loader)  # type: ignore[no-any-return]


@dataclass
class EventSource:
    """One event of a function (SAM ``Events`` entry) with its properties resolved."""

    name: str
    type: str
    properties: dict[str, Any]


@dataclass
class Function:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    events: list[EventSource] = field(default_factory=list)
    memory: int = 128


class Resolver:
    """Resolves intrinsics given what each logical id stands for once created."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str] | None = None) -> None:
        self.template = template
        self.refs: dict[str, str] = dict(PSEUDO)
        for name, spec in (template.get("Parameters") or {}).items():
            self.refs[name] = str((parameters or {}).get(name, spec.get("Default", "")))
        self.attributes: dict[tuple[str, str], str] = {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Intrinsic):
            return self._intrinsic(value)
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def _intrinsic(self, value: Intrinsic) -> Any:
        if value.name == "Ref":
            if value.value not in self.refs:
                raise KeyError(f"!Ref {value.value}: not known to the embedded runtime")
            return self.refs[value.value]
        if value.name == "Fn::GetAtt":
            logical_id, attribute = value.value
            key = (logical_id, attribute)
            if key not in self.attributes:
                raise KeyError(f"!GetAtt {logical_id}.{attribute}: not known to the embedded runtime")
            return self.attributes[key]
        if value.name == "Fn::Sub":
            text, extra = (value.value, {}) if isinstance(value.value, str) else value.value
            extra = {key: self.resolve(item) for key, item in extra.items()}
            return re.sub(r"\$\{([^}!]+)\}", lambda match: self._sub_var(match.group(1), extra), text)
        if value.name == "Fn::Join":
            separator, items = value.value
            return separator.join(str(item) for item in self.resolve(items))
        raise KeyError(f"{value.name}: not supported by the embedded runtime")

    def _sub_var(self, name: str, extra: dict[str, Any]) -> str:
        if name in extra:
            return str(extra[name])
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return str(self._intrinsic(Intrinsic("Fn::GetAtt", [logical_id, attribute])))
        return str(self._intrinsic(Intrinsic("Ref", name)))


def resources_of(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    """The resources of the given CloudFormation/SAM types, by logical id, in template order."""
    return {logical_id: spec for logical_id, spec in template["Resources"].items() if spec["Type"] in types}


def functions(template: dict[str, Any], resolver: Resolver, root: Path) -> list[Function]:
    """Every ``AWS::Serverless::Function`` with Globals applied and intrinsics resolved."""
    defaults = (template.get("Globals") or {}).get("Function", {})
    found = []
    for logical_id, spec in resources_of(template, "AWS::Serverless::Function").items():
        props = spec["Properties"]
        env = dict(resolver.resolve((defaults.get("Environment") or {}).get("Variables", {})))
        env.update(resolver.resolve((props.get("Environment") or {}).get("Variables", {})))
        events = [
            EventSource(name, event["Type"], resolver.resolve(event.get("Properties", {})))
            for name, event in (props.get("Events") or {}).items()
        ]
        found.append(
            Function(
                logical_id=logical_id,
                name=resolver.resolve(props.get("FunctionName", f"{STACK_NAME}-{logical_id}")),
                code_dir=root / props["CodeUri"],
                handler=props.get("Handler", defaults.get("Handler", "app.lambda_handler")),
                environment={key: str(item) for key, item in env.items()},
                timeout=int(props.get("Timeout", defaults.get("Timeout", 3))),
                events=events,
                memory=int(props.get("MemorySize", defaults.get("MemorySize", 128))),
            )
        )
    return found
