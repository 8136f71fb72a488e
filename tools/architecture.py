"""Write docs/architecture.md from template.yaml: a Mermaid diagram and a table of every resource.

    python tools/architecture.py            # rewrite docs/architecture.md
    python tools/architecture.py --check    # exit 1 when docs/architecture.md is out of date

The template is read with the embedded runtime's own loader (``crmflow_local.template``), which keeps
CloudFormation intrinsics (``!Ref``, ``!GetAtt``, ``!Sub`` ...) as values instead of failing on
their tags. Nothing is resolved against AWS: an edge is drawn wherever the template itself names one
resource from another.

Edges come from four places in the template:

* a function's ``Events`` (what invokes it: the HTTP API, a table's stream, a queue, a bus rule) and
  its failure paths (``DestinationConfig.OnFailure``, ``DeadLetterQueue``, a rule's
  ``DeadLetterConfig``);
* a queue's ``RedrivePolicy`` (where messages go after too many receives);
* the ``Policies`` of functions and state machines, and a function's own ``Environment`` variables
  (which table it reads or writes, which queue it sends to, which state machine it starts ...);
* the HTTP API's JWT authorizer (the Cognito user pool that issues its tokens).

Policies that name a resource by a ``!Sub`` pattern (``${AWS::StackName}-action-*``, an execution ARN
of ``${AWS::StackName}-enrollment``) are matched against the names the template gives its resources.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
OUTPUT = ROOT / "docs" / "architecture.md"

sys.path.insert(0, str(ROOT / "local"))
from crmflow_local import template as tpl  # noqa: E402  (the runtime's loader, after the path)

FUNCTION = "AWS::Serverless::Function"
TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
BUS = "AWS::Events::EventBus"
STATE_MACHINE = "AWS::Serverless::StateMachine"
HTTP_API = "AWS::Serverless::HttpApi"
USER_POOL = "AWS::Cognito::UserPool"
EMAIL_IDENTITY = "AWS::SES::EmailIdentity"
DIAGRAM_TYPES = (HTTP_API, USER_POOL, TABLE, QUEUE, BUS, STATE_MACHINE, FUNCTION, EMAIL_IDENTITY)
DEFAULT_BUS = "DefaultEventBus"
"""A node for the account's default EventBridge bus, which the template uses without declaring it."""

POLICY_LABELS = {
    "DynamoDBCrudPolicy": "read/write",
    "DynamoDBReadPolicy": "read",
    "SQSSendMessagePolicy": "send",
    "EventBridgePutEventsPolicy": "put events",
    "StepFunctionsExecutionPolicy": "start executions",
    "SESCrudPolicy": "send email",
    "LambdaInvokePolicy": "invoke",
}
STATEMENT_LABELS = {"states:StopExecution": "stop executions"}
NAME_PROPERTIES = (
    "FunctionName",
    "Name",
    "TopicName",
    "LayerName",
    "UserPoolName",
    "LogGroupName",
    "AlarmName",
)
GROUP = "ActionFunctions"
STACK = "{stack}"
"""How names read in the page: the stack's name stands first in every resource name."""
GROUP_PREFIX = "Action"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    style: str = "-->"  # "-->" work, "==>" what invokes a function, "-.->" where failed work goes

    def render(self) -> str:
        label = self.label.replace('"', "'")
        if self.style == "-.->":
            return f'    {self.source} -. "{label}" .-> {self.target}'
        if self.style == "==>":
            return f'    {self.source} == "{label}" ==> {self.target}'
        return f'    {self.source} -- "{label}" --> {self.target}'


# ---------------------------------------------------------------- reading the template
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return tpl.load(path)


def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return template["Resources"]


def _text(value: Any) -> str | None:
    """The template text of a name: a plain string, or the pattern of a ``!Sub``."""
    if isinstance(value, str):
        return value
    if isinstance(value, tpl.Intrinsic) and value.name == "Fn::Sub":
        return value.value if isinstance(value.value, str) else value.value[0]
    return None


def names(template: dict[str, Any]) -> dict[str, str]:
    """Each resource's name as the template writes it (``${AWS::StackName}-api``), where it has one."""
    found = {}
    for logical_id, spec in resources(template).items():
        props = spec.get("Properties") or {}
        for key in NAME_PROPERTIES:
            text = _text(props.get(key))
            if text:
                found[logical_id] = text
                break
    return found


def references(value: Any, template: dict[str, Any]) -> Iterator[str]:
    """Logical ids that ``value`` names: ``!Ref``, ``!GetAtt``, ``${X}`` in a ``!Sub``, and resource
    names (or ``*`` patterns of them) inside ``!Sub`` strings."""
    known = resources(template)
    if isinstance(value, tpl.Intrinsic):
        if value.name == "Ref" and value.value in known:
            yield value.value
        elif value.name == "Fn::GetAtt" and value.value[0] in known:
            yield value.value[0]
        elif value.name == "Fn::Sub":
            text = _text(value)
            assert text is not None
            for variable in re.findall(r"\$\{([^}!]+)\}", text):
                logical_id = variable.split(".", 1)[0]
                if logical_id in known:
                    yield logical_id
            yield from _named_in(text, template)
        else:
            yield from references(value.value, template)
    elif isinstance(value, dict):
        for item in value.values():
            yield from references(item, template)
    elif isinstance(value, list):
        for item in value:
            yield from references(item, template)


def _named_in(text: str, template: dict[str, Any]) -> Iterator[str]:
    """Resources whose name appears in ``text``: whole (an ARN that ends with it, or has it between
    colons) or as the ``*`` pattern ``text`` is (``${AWS::StackName}-action-*``)."""
    for logical_id, name in names(template).items():
        if "${AWS::StackName}" not in name:
            continue
        whole = text == name or re.search(re.escape(name) + r"(:|$)", text) is not None
        bare = re.sub(r"\$\{[^}]*\}", "", text)  # ":" of an ARN, not of ${AWS::StackName}
        pattern = "*" in text and ":" not in bare and fnmatch.fnmatchcase(name, text)
        if whole or pattern:
            yield logical_id


def _unique(ids: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(ids))


# ---------------------------------------------------------------- edges
def edges(template: dict[str, Any]) -> list[Edge]:
    found: list[Edge] = []
    known = resources(template)
    for logical_id, spec in known.items():
        props = spec.get("Properties") or {}
        kind = spec["Type"]
        if kind == FUNCTION:
            found += _event_edges(logical_id, props, template)
            found += _access_edges(logical_id, props, template)
        elif kind == STATE_MACHINE:
            found += _access_edges(logical_id, props, template)
        elif kind == QUEUE and props.get("RedrivePolicy"):
            redrive = props["RedrivePolicy"]
            for target in _unique(references(redrive.get("deadLetterTargetArn"), template)):
                label = f"after {redrive.get('maxReceiveCount')} receives"
                found.append(Edge(logical_id, target, label, "-.->"))
        elif kind == HTTP_API:
            for source in _unique(references(props.get("Auth"), template)):
                if known[source]["Type"] == USER_POOL:
                    found.append(Edge(source, logical_id, "JWT authorizer"))
    failure_paths = {(edge.source, edge.target) for edge in found if edge.style == "-.->"}
    # a role's permission to send to its own failure destination is that path, not a second edge
    kept = [edge for edge in found if edge.style == "-.->" or (edge.source, edge.target) not in failure_paths]
    return _merged(list(dict.fromkeys(kept)))


def _merged(found: list[Edge]) -> list[Edge]:
    """One edge per source, target and style: the labels of several (an API's routes) joined."""
    labels: dict[tuple[str, str, str], list[str]] = {}
    for edge in found:
        labels.setdefault((edge.source, edge.target, edge.style), []).append(edge.label)
    return [Edge(source, target, ", ".join(text), style) for (source, target, style), text in labels.items()]


def _parameters(value: Any, template: dict[str, Any]) -> list[str]:
    """Template parameters that ``value`` names with ``!Ref``."""
    known = template.get("Parameters") or {}
    found: list[str] = []
    if isinstance(value, tpl.Intrinsic):
        if value.name == "Ref" and value.value in known:
            found.append(value.value)
        elif value.name == "Fn::Sub":
            text = _text(value) or ""
            found += [name for name in re.findall(r"\$\{([^}!.]+)\}", text) if name in known]
    elif isinstance(value, dict):
        for item in value.values():
            found += _parameters(item, template)
    elif isinstance(value, list):
        for item in value:
            found += _parameters(item, template)
    return list(dict.fromkeys(found))


def _event_edges(function: str, props: dict[str, Any], template: dict[str, Any]) -> list[Edge]:
    found: list[Edge] = []
    for event in (props.get("Events") or {}).values():
        kind, details = event["Type"], event.get("Properties") or {}
        if kind == "HttpApi":
            for api in _unique(references(details.get("ApiId"), template)):
                found.append(
                    Edge(api, function, f"{details.get('Method', 'ANY')} {details.get('Path')}", "==>")
                )
        elif kind == "DynamoDB":
            label = "stream, filtered" if details.get("FilterCriteria") else "stream"
            for table in _unique(references(details.get("Stream"), template)):
                found.append(Edge(table, function, f"{label}, batch {details.get('BatchSize', 100)}", "==>"))
            on_failure = (details.get("DestinationConfig") or {}).get("OnFailure") or {}
            for queue in _unique(references(on_failure.get("Destination"), template)):
                found.append(Edge(function, queue, "batch given up on", "-.->"))
        elif kind == "SQS":
            batch = details.get("BatchSize", 10)
            batch_text = batch if not isinstance(batch, tpl.Intrinsic) else f"{batch.value} (parameter)"
            for queue in _unique(references(details.get("Queue"), template)):
                found.append(Edge(queue, function, f"batch {batch_text}", "==>"))
        elif kind == "EventBridgeRule":
            buses = _unique(references(details.get("EventBusName"), template)) or [DEFAULT_BUS]
            pattern = details.get("Pattern") or {}
            for bus in buses:
                found.append(Edge(bus, function, f"rule: {_pattern_text(pattern)}", "==>"))
                dead = details.get("DeadLetterConfig") or {}
                for queue in _unique(references(dead.get("Arn") or dead.get("Destination"), template)):
                    found.append(Edge(bus, queue, "undeliverable", "-.->"))
            if buses == [DEFAULT_BUS]:
                for machine in _unique(references(pattern.get("detail"), template)):
                    found.append(Edge(machine, DEFAULT_BUS, "execution status changes"))
    dead_letter = props.get("DeadLetterQueue") or {}
    for queue in _unique(references(dead_letter.get("TargetArn"), template)):
        found.append(Edge(function, queue, "failed async invocations", "-.->"))
    return found


def _pattern_text(pattern: dict[str, Any]) -> str:
    parts = []
    for value in pattern.get("source") or []:
        parts.append(f"source {value['prefix']}*" if isinstance(value, dict) and "prefix" in value else value)
    status = (pattern.get("detail") or {}).get("status")
    if status:
        parts.append(" / ".join(status))
    return ", ".join(str(part) for part in parts) or "all events"


def _access_edges(source: str, props: dict[str, Any], template: dict[str, Any]) -> list[Edge]:
    found: list[Edge] = []
    for policy in props.get("Policies") or []:
        if not isinstance(policy, dict):
            continue
        for name, value in policy.items():
            if name == "Statement":
                for statement in value:
                    actions = statement.get("Action")
                    actions = [actions] if isinstance(actions, str) else actions or []
                    label = ", ".join(STATEMENT_LABELS.get(action, action) for action in actions)
                    for target in _unique(references(statement.get("Resource"), template)):
                        found.append(Edge(source, target, label))
            elif name in POLICY_LABELS:
                for target in _unique(references(value, template)):
                    if target != source:
                        found.append(Edge(source, target, POLICY_LABELS[name]))
    variables = ((props.get("Environment") or {}).get("Variables")) or {}
    named = {edge.target for edge in found}
    for variable, value in variables.items():
        for target in _unique(references(value, template)):
            if target not in named:
                found.append(Edge(source, target, f"env {variable}"))
    return found


# ---------------------------------------------------------------- the diagram
def _short(text: str) -> str:
    return text.replace("${AWS::StackName}", STACK)


def _node(logical_id: str, spec: dict[str, Any], template: dict[str, Any]) -> str:
    kind = spec["Type"]
    props = spec.get("Properties") or {}
    name = names(template).get(logical_id)
    if kind == TABLE:
        stream = (props.get("StreamSpecification") or {}).get("StreamViewType")
        extra = f"<br/>stream: {stream}" if stream else ""
        return f'{logical_id}[("{logical_id}{extra}")]'
    if kind == QUEUE:
        return f'{logical_id}>"{logical_id}"]'
    if kind == BUS:
        return f'{logical_id}{{{{"{logical_id}<br/>{_short(name or "")}"}}}}'
    if kind == STATE_MACHINE:
        return f'{logical_id}(["{logical_id}<br/>{props.get("DefinitionUri", "")}"])'
    if kind == HTTP_API:
        return f'{logical_id}[/"{logical_id}<br/>API Gateway HTTP API"/]'
    if kind == USER_POOL:
        return f'{logical_id}[/"{logical_id}<br/>Cognito"/]'
    if kind == EMAIL_IDENTITY:
        return f'{logical_id}[/"{logical_id}<br/>Amazon SES"/]'
    return f'{logical_id}["{logical_id}<br/>{_short(name or "")}"]'


def _grouped(template: dict[str, Any], all_edges: list[Edge]) -> tuple[list[str], list[Edge]]:
    """The action functions as one subgraph; an edge every one of them has is drawn once, from (or to)
    the subgraph."""
    members = [
        logical_id
        for logical_id, spec in resources(template).items()
        if spec["Type"] == FUNCTION and logical_id.startswith(GROUP_PREFIX)
    ]
    if len(members) < 2:
        return members, all_edges
    kept: list[Edge] = []
    shared_out: dict[tuple[str, str, str], set[str]] = {}
    shared_in: dict[tuple[str, str, str], set[str]] = {}
    for edge in all_edges:
        if edge.source in members:
            shared_out.setdefault((edge.target, edge.label, edge.style), set()).add(edge.source)
        if edge.target in members:
            shared_in.setdefault((edge.source, edge.label, edge.style), set()).add(edge.target)
    everyone = set(members)
    for edge in all_edges:
        if edge.source in members and shared_out[(edge.target, edge.label, edge.style)] == everyone:
            grouped = Edge(GROUP, edge.target, edge.label, edge.style)
        elif edge.target in members and shared_in[(edge.source, edge.label, edge.style)] == everyone:
            grouped = Edge(edge.source, GROUP, edge.label, edge.style)
        else:
            grouped = edge
        if grouped not in kept:
            kept.append(grouped)
    return members, kept


def diagram(template: dict[str, Any]) -> str:
    known = resources(template)
    all_edges = edges(template)
    members, drawn = _grouped(template, all_edges)
    lines = ["```mermaid", "flowchart LR"]
    for logical_id, spec in known.items():
        if spec["Type"] in DIAGRAM_TYPES and logical_id not in members:
            lines.append("    " + _node(logical_id, spec, template))
    if any(DEFAULT_BUS in (edge.source, edge.target) for edge in drawn):
        lines.append(f'    {DEFAULT_BUS}{{{{"default event bus<br/>(AWS service events)"}}}}')
    if members:
        lines.append(f'    subgraph {GROUP}["Action functions: one Lambda per action type"]')
        lines.append("        direction TB")
        for logical_id in members:
            lines.append("        " + _node(logical_id, known[logical_id], template))
        lines.append("    end")
    lines += [edge.render() for edge in drawn]
    lines.append("```")
    return "\n".join(lines)


# ---------------------------------------------------------------- the table
def _seconds(value: Any) -> str:
    seconds = int(value)
    if seconds % 86400 == 0:
        return f"{seconds // 86400} days"
    return f"{seconds} s"


def describe(logical_id: str, spec: dict[str, Any], template: dict[str, Any]) -> str:
    kind = spec["Type"]
    props = spec.get("Properties") or {}
    if kind == FUNCTION:
        code = props.get("CodeUri", "")
        text = str(props.get("Description", "")).replace(" - ", ": ", 1)
        return f"{text} (`{code}app.py`)"
    if kind == TABLE:
        keys = "/".join(key["AttributeName"] for key in props.get("KeySchema", []))
        parts = [f"key {keys}", str(props.get("BillingMode", "")).lower().replace("_", "-")]
        for index in props.get("GlobalSecondaryIndexes") or []:
            parts.append(f"index `{index['IndexName']}`")
        stream = (props.get("StreamSpecification") or {}).get("StreamViewType")
        if stream:
            parts.append(f"stream {stream}")
        ttl = props.get("TimeToLiveSpecification") or {}
        if ttl.get("Enabled"):
            parts.append(f"TTL on `{ttl['AttributeName']}`")
        return ", ".join(parts)
    if kind == QUEUE:
        parts = []
        if "VisibilityTimeout" in props:
            parts.append(f"visibility timeout {_seconds(props['VisibilityTimeout'])}")
        if "MessageRetentionPeriod" in props:
            parts.append(f"keeps messages {_seconds(props['MessageRetentionPeriod'])}")
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = ", ".join(_unique(references(redrive.get("deadLetterTargetArn"), template)))
            parts.append(f"to `{target}` after {redrive.get('maxReceiveCount')} receives")
        return ", ".join(parts)
    if kind == "AWS::CloudWatch::Alarm":
        watched = ", ".join(f"`{ref}`" for ref in _unique(references(props.get("Dimensions"), template)))
        metric = f"{props.get('Namespace')} {props.get('MetricName')}"
        notify = ", ".join(_unique(references(props.get("AlarmActions"), template))) or "nobody"
        return f"{metric}{' of ' + watched if watched else ''} > {props.get('Threshold')}; notifies {notify}"
    if kind == STATE_MACHINE:
        return f"{props.get('Type', 'STANDARD').lower()} workflow, `{props.get('DefinitionUri')}`"
    if kind == BUS:
        return f"`{_short(names(template).get(logical_id, ''))}`"
    if kind == HTTP_API:
        parts = [f"stage from parameter `{p}`" for p in _parameters(props.get("StageName"), template)]
        issuers = ", ".join(f"`{r}`" for r in _unique(references(props.get("Auth"), template)))
        parts += [f"JWT authorizer ({issuers})"] if issuers else []
        log = _unique(references(props.get("AccessLogSettings"), template))
        parts += [f"access log to `{r}`" for r in log]
        return ", ".join(parts)
    if kind == EMAIL_IDENTITY:
        sender = _parameters(props.get("EmailIdentity"), template)
        return "the sender of workflow emails" + (f", parameter `{sender[0]}`" if sender else "")
    if kind == "AWS::SQS::QueuePolicy":
        queues = ", ".join(f"`{r}`" for r in _unique(references(props.get("Queues"), template)))
        principals = sorted(
            {
                str((statement.get("Principal") or {}).get("Service"))
                for statement in (props.get("PolicyDocument") or {}).get("Statement", [])
            }
        )
        return f"lets {', '.join(principals)} send to {queues}"
    if kind == "AWS::Cognito::UserPoolClient":
        pools = ", ".join(f"`{r}`" for r in _unique(references(props.get("UserPoolId"), template)))
        return f"app client of {pools}: the audience of the API's JWTs"
    if kind == "AWS::Serverless::LayerVersion":
        name = _short(names(template).get(logical_id, ""))
        return f"`{name}`, the `crmflow` package from `{props.get('ContentUri')}`"
    if kind == "AWS::SNS::Topic":
        return f"`{_short(names(template).get(logical_id, ''))}`: where the alarms notify"
    if kind == "AWS::Logs::LogGroup":
        days = props.get("RetentionInDays")
        kept = f", kept {days} days" if days else ""
        return f"`{_short(names(template).get(logical_id, ''))}`{kept}"
    described = props.get("Description") or props.get("AlarmDescription")
    if described:
        return str(described)
    name = names(template).get(logical_id)
    return f"`{_short(name)}`" if name else ""


def table(template: dict[str, Any]) -> str:
    rows = ["| resource | type | what it is |", "| --- | --- | --- |"]
    for logical_id, spec in resources(template).items():
        text = " ".join(describe(logical_id, spec, template).split()).replace("|", "\\|")
        rows.append(f"| `{logical_id}` | `{spec['Type']}` | {text} |")
    return "\n".join(rows)


def render(template: dict[str, Any] | None = None) -> str:
    template = template if template is not None else load()
    counts: dict[str, int] = {}
    for spec in resources(template).values():
        counts[spec["Type"]] = counts.get(spec["Type"], 0) + 1
    summary = ", ".join(f"{count} x `{kind}`" for kind, count in counts.items())
    return "\n".join(
        [
            "# Architecture",
            "",
            "<!-- Generated by tools/architecture.py from template.yaml: do not edit by hand. -->",
            "<!-- Regenerate: `.venv/bin/python tools/architecture.py`; tests/test_docs.py checks it. -->",
            "",
            "Every resource of the stack, as `template.yaml` declares it. The embedded runtime builds the",
            "same resources from the same file ([local-runtime.md](local-runtime.md)), so this is also the",
            "shape of `make demo`, `make serve` and the tests. `{stack}` stands for the stack's name.",
            "",
            "How to read the diagram:",
            "",
            "- thick arrows (`==>`) are what invokes a function: the HTTP API, a table's stream, a queue,",
            "  an EventBridge rule;",
            "- plain arrows are what a resource is allowed to touch (its IAM policies, or a resource named",
            "  in its own environment variables): the label says how;",
            "- dotted arrows are where failed work goes: dead-letter queues, on-failure destinations and",
            "  queue redrives. Each of those queues has an alarm ([operations.md](operations.md));",
            "- the action functions are drawn as one box: an arrow from or to the box holds for every one of",
            "  them. The state machine invokes the action function of the current step by name",
            "  (`{stack}-action-...`), and `EnrollmentFailedFunction` when a step fails.",
            "",
            diagram(template),
            "",
            "## Resources",
            "",
            f"{len(resources(template))} resources: {summary}.",
            "",
            table(template),
            "",
            "Every function also gets the variables of `Globals.Function.Environment`: the names of the",
            "four main tables, the bus, the events and starter queues, the state machine's ARN, the SES",
            "sender and the webhook allow-list. Parameters, outputs, alarms and encryption are explained in",
            "[deployment.md](deployment.md); what each resource costs and what to watch in",
            "[operations.md](operations.md).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is out of date")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            sys.stderr.write(
                f"{args.output} is out of date with template.yaml: run `python tools/architecture.py`\n"
            )
            return 1
        return 0
    args.output.write_text(text)
    sys.stdout.write(f"wrote {args.output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
