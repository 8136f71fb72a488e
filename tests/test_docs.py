"""The documentation is whole and in step with the code.

- Every relative link of README.md and docs/*.md resolves to a file of the repository, and every
  ``#anchor`` to a heading of its page (GitHub's slugs); nothing links outside the repository.
- docs/workflows.md names every action type, trigger type, log event, reason, status and filter
  operator the code defines, and every field of the definition and of each action; the settings
  pages name every field of their documents. The lists come from the code, not from this file.
- Every route of the OpenAPI document the API builds is listed in docs/api.md (or workflows.md), and
  every route docs/api.md lists exists; the local server's ``/_local/*`` routes are in
  docs/local-runtime.md.
- docs/architecture.md is what ``tools/architecture.py`` generates from template.yaml today.
- docs/rules.md: every implemented rule links to a page and to a test file that exists and mentions
  the rule; every rule id the docs cite is on that page.
"""

from __future__ import annotations

import re
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crmflow.engine.models import Event, Reason, Status
from crmflow.filters import Operator
from crmflow.leads.settings import LeadAutomationSettings
from crmflow.lifecycle.settings import LifecycleSettings
from crmflow.settings import Ownership
from crmflow.workflows import models
from crmflow_local.runtime import Runtime
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
ALLOWED_HOSTS: frozenset[str] = frozenset()
"""Public sites the docs may link to. None: everything a user needs is in the repository."""

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
AUTOLINK = re.compile(r"<((?:https?|ftp|file)://[^>\s]+)>")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*\b(?:href|src)=[\"']([^\"']+)[\"']", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)")
RULE_ID = re.compile(r"(?<![A-Za-z0-9-])(LC|LD|E|W|G|L|T)-(\d+)(?![\d])")
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


# ---------------------------------------------------------------- markdown helpers
def prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code (links inside code are not links)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            lines.append("")
            continue
        lines.append("" if fenced else INLINE_CODE.sub("", line))
    return "\n".join(lines)


def headings(text: str) -> list[str]:
    """The heading texts of a markdown page, outside code blocks."""
    found, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.append(match.group(2))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (``-`` and ``_`` kept), spaces
    to hyphens. Markdown links keep their text only."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor of a page, with GitHub's ``-1``, ``-2`` ... for repeated headings."""
    seen: dict[str, int] = {}
    found = set()
    for heading in headings(text):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def links(text: str) -> list[str]:
    body = prose(text)
    return [
        *INLINE_LINK.findall(body),
        *REFERENCE_LINK.findall(body),
        *AUTOLINK.findall(body),
        *HTML_LINK.findall(body),
    ]


def link_problems(page: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the links of ``page``: a missing file or heading, or a link out of ``root``."""
    text = page.read_text()
    problems = []
    for target in links(text):
        where = f"{page.relative_to(root)}: ({target})"
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            host = re.sub(r"^[a-z]+://([^/:]+).*$", r"\1", target, flags=re.IGNORECASE)
            if not target.lower().startswith(("http://", "https://")) or host not in ALLOWED_HOSTS:
                problems.append(f"{where} links outside the repository")
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if root.resolve() not in (destination, *destination.parents):
            problems.append(f"{where} leaves the repository")
            continue
        if not destination.exists():
            problems.append(f"{where} does not exist")
            continue
        if anchor and destination.suffix == ".md" and anchor not in anchors(destination.read_text()):
            problems.append(f"{where}: no heading with the anchor #{anchor} in {destination.name}")
    return problems


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section of a page (up to the next heading of level 1 or 2)."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^#{{1,2}} |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no section '## {title}'"
    return match.group(1)


def read(name: str) -> str:
    return (DOCS / name).read_text()


def in_code(text: str, word: str) -> bool:
    """Whether ``word`` appears in ``text`` inside a code span, alone or as part of a dotted name."""
    return re.search(rf"`[^`\n]*(?<![\w]){re.escape(word)}(?![\w])[^`\n]*`", text) is not None


# ---------------------------------------------------------------- the helpers themselves
def test_slugs_follow_github():
    assert slug("### `ROTATE_OWNER` over a team".lstrip("# ")) == "rotate_owner-over-a-team"
    assert slug("Many records at once (E-7)") == "many-records-at-once-e-7"
    assert slug("Teams: `/settings/teams`") == "teams-settingsteams"
    assert slug("Time zone, time windows and pause dates") == "time-zone-time-windows-and-pause-dates"
    assert anchors("# A\n## Same\n## Same\n```\n## not a heading\n```\n") == {"a", "same", "same-1"}


def test_link_check_finds_broken_links_anchors_and_links_out(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other\n## Real heading\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Page\n"
        "[fine](other.md#real-heading) [self](#page) `[in code](missing.md)`\n"
        "[gone](missing.md) [bad anchor](other.md#nope) [out](../../shared/SPEC.md)\n"
        "[web](https://example.com/x) <https://example.org>\n"
        "```\n[fenced](missing-too.md)\n```\n"
    )
    problems = link_problems(page, tmp_path)
    assert len(problems) == 5, problems
    assert any("missing.md) does not exist" in p for p in problems)
    assert any("#nope" in p for p in problems)
    assert any("leaves the repository" in p for p in problems)
    assert sum("links outside the repository" in p for p in problems) == 2


# ---------------------------------------------------------------- (a) links
@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_resolves_inside_the_repository(page: Path):
    assert not link_problems(page), "\n".join(link_problems(page))


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_nothing_refers_to_the_shared_folder(page: Path):
    text = page.read_text()
    assert "../shared" not in text and "shared/SPEC" not in text


def test_the_index_lists_every_page():
    index = read("README.md")
    missing = [
        page.name for page in DOCS.glob("*.md") if page.name != "README.md" and f"]({page.name})" not in index
    ]
    assert not missing, f"docs/README.md does not list {missing}"
    readme = (ROOT / "README.md").read_text()
    documentation = section(readme, "Documentation")
    missing = [page.name for page in DOCS.glob("*.md") if f"](docs/{page.name})" not in documentation]
    assert not missing, f"README.md's Documentation section does not list {missing}"


# ---------------------------------------------------------------- (b) the workflow reference
def _literals(annotation: Any) -> list[str]:
    """The values of the ``Literal`` ``type`` field of each model of a discriminated union."""
    union = typing.get_args(annotation)[0]
    return [
        value
        for member in typing.get_args(union)
        for value in typing.get_args(member.model_fields["type"].annotation)
    ]


def _action_models() -> list[type[BaseModel]]:
    return list(typing.get_args(typing.get_args(models.Action)[0]))


def test_the_code_defines_what_the_reference_is_checked_against():
    """The lists below come from the code; if the models change shape, this says so first."""
    assert _literals(models.Action) == list(models.ACTION_TYPES)
    assert len(_literals(models.EventTrigger)) >= 3


@pytest.mark.parametrize("action_type", _literals(models.Action))
def test_every_action_type_has_its_section_in_workflows_md(action_type: str):
    page = read("workflows.md")
    assert f"`{action_type}`" in headings(page), f"no heading for {action_type}"
    assert f'"type": "{action_type}"' in page, f"no JSON example of {action_type}"


@pytest.mark.parametrize("trigger_type", _literals(models.EventTrigger))
def test_every_event_trigger_type_is_in_workflows_md(trigger_type: str):
    page = read("workflows.md")
    assert f"`{trigger_type}`" in page and f'"type": "{trigger_type}"' in page, trigger_type


@pytest.mark.parametrize(
    "name",
    [
        *(e.value for e in Event),
        *(r.value for r in Reason),
        *(s.value for s in Status),
        *(o.value for o in Operator),
    ],
)
def test_every_log_event_reason_status_and_operator_is_in_workflows_md(name: str):
    assert f"`{name}`" in read("workflows.md"), name


def _fields(model: type[BaseModel]) -> Iterator[str]:
    for name, field in model.model_fields.items():
        yield field.alias or name


def test_every_field_of_the_definition_and_of_each_action_is_in_workflows_md():
    page = read("workflows.md")
    documented = [
        models.WorkflowDefinition,
        models.Enrollment,
        models.ReEnrollment,
        models.Goal,
        models.TimeWindow,
        models.DelaySpec,
        models.Branch,
        *_action_models(),
    ]
    triggers = list(typing.get_args(typing.get_args(models.EventTrigger)[0]))
    missing = [
        f"{model.__name__}.{name}"
        for model in [*documented, *triggers]
        for name in _fields(model)
        if not in_code(page, name)
    ]
    assert not missing, f"docs/workflows.md does not name {missing}"


def _setting_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _setting_paths(annotation, key + ".")
        else:
            yield key


@pytest.mark.parametrize(
    ("page", "model"),
    [("lifecycle.md", LifecycleSettings), ("leads.md", LeadAutomationSettings), ("workflows.md", Ownership)],
)
def test_every_field_of_each_settings_document_is_documented(page: str, model: type[BaseModel]):
    text = read(page)
    paths = list(_setting_paths(model))
    assert paths
    missing = [path for path in paths if not in_code(text, path)]
    assert not missing, f"docs/{page} does not document {missing}"


def test_lead_activity_events_are_in_leads_md():
    from crmflow.leads.settings import ConnectEvent, OutreachEvent

    page = read("leads.md")
    missing = [
        event
        for event in (*typing.get_args(OutreachEvent), *typing.get_args(ConnectEvent))
        if f"`{event}`" not in page
    ]
    assert not missing


# ---------------------------------------------------------------- (c) the API
@pytest.fixture(scope="module")
def openapi_routes() -> set[tuple[str, str]]:
    with Runtime() as runtime:
        answer = runtime.api("GET", "/openapi.json")
    assert answer.status == 200, answer.body
    return {
        (method.upper(), _normalized(path))
        for path, operations in answer.json["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def _normalized(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")


def _documented_routes(text: str) -> set[tuple[str, str]]:
    return {(method, _normalized(path)) for method, path in ROUTE.findall(text)}


def test_every_route_of_the_api_is_documented(openapi_routes: set[tuple[str, str]]):
    assert len(openapi_routes) > 50
    documented = _documented_routes(read("api.md")) | _documented_routes(read("workflows.md"))
    missing = sorted(openapi_routes - documented)
    assert not missing, f"routes of /openapi.json missing from docs/api.md: {missing}"


def test_every_route_api_md_lists_exists(openapi_routes: set[tuple[str, str]]):
    page = read("api.md")
    tables = page.replace(section(page, "Outside the OpenAPI document"), "")
    rows = "\n".join(line.split("|")[1] for line in tables.splitlines() if line.startswith("| `"))
    listed = _documented_routes(rows)
    assert len(listed) > 50
    gone = sorted(listed - openapi_routes)
    assert not gone, f"docs/api.md lists routes the API does not have: {gone}"


def test_the_local_routes_are_in_local_runtime_md():
    source = (ROOT / "local" / "crmflow_local" / "server.py").read_text()
    local = set(re.findall(r'path == "(/_local/[a-z]+)" and method == "([A-Z]+)"', source))
    assert len(local) >= 4, "the local routes are no longer found in server.py: update this test"
    documented = _documented_routes(read("local-runtime.md"))
    missing = sorted((method, path) for path, method in local if (method, path) not in documented)
    assert not missing, f"docs/local-runtime.md does not list {missing}"


# ---------------------------------------------------------------- (d) the architecture page
def _architecture(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "architecture.py"), *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_architecture_md_is_generated_from_the_current_template():
    result = _architecture("--check")
    assert result.returncode == 0, result.stderr + "run: .venv/bin/python tools/architecture.py"


def test_the_architecture_check_fails_on_a_stale_page(tmp_path: Path):
    stale = tmp_path / "architecture.md"
    stale.write_text(read("architecture.md").replace("EnrollmentStateMachine", "OldStateMachine"))
    result = _architecture("--check", "--output", str(stale))
    assert result.returncode == 1 and "out of date" in result.stderr


def test_the_architecture_page_draws_every_function_table_queue_and_state_machine():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import architecture
    finally:
        sys.path.remove(str(ROOT / "tools"))
    template = architecture.load()
    drawn = architecture.diagram(template)
    kinds = (architecture.FUNCTION, architecture.TABLE, architecture.QUEUE, architecture.STATE_MACHINE)
    expected = [name for name, spec in template["Resources"].items() if spec["Type"] in kinds]
    assert len(expected) > 20
    assert not [name for name in expected if f"    {name}" not in drawn.replace("        ", "    ")]
    edges = architecture.edges(template)
    assert ("RecordsTable", "RecordsStreamFunction") in {(e.source, e.target) for e in edges}
    assert ("StarterFunction", "EnrollmentStateMachine") in {(e.source, e.target) for e in edges}
    invoked = {e.target for e in edges if e.source == "EnrollmentStateMachine" and e.label == "invoke"}
    assert {name for name in expected if name.startswith("Action")} <= invoked


# ---------------------------------------------------------------- (e) rules
def _mentions(text: str, rule: str) -> bool:
    prefix, number = rule.split("-")
    return re.search(rf"(?<![A-Za-z0-9]){prefix}[-_]?{number}(?!\d)", text, re.IGNORECASE) is not None


def _implemented() -> list[tuple[str, list[str], list[str]]]:
    body = section(read("rules.md"), "Implemented rules")
    rows = []
    for line in body.splitlines():
        match = re.match(r"^\|\s*((?:LC|LD|E|W|G|L|T)-\d+)\s*\|(.*)$", line)
        if match:
            targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", match.group(2))
            pages = [target for target in targets if not target.startswith("../tests/")]
            tests = [target for target in targets if target.startswith("../tests/")]
            rows.append((match.group(1), pages, tests))
    return rows


def test_rules_md_lists_implemented_rules():
    ids = [rule for rule, _, _ in _implemented()]
    assert len(ids) >= 40
    assert len(ids) == len(set(ids)), "a rule is listed twice"


@pytest.mark.parametrize(("rule", "pages", "tests"), _implemented(), ids=[row[0] for row in _implemented()])
def test_every_implemented_rule_links_a_page_and_a_test_that_mentions_it(
    rule: str, pages: list[str], tests: list[str]
):
    assert pages, f"{rule}: no page explains it"
    assert tests, f"{rule}: no test file proves it"
    for test in tests:
        path = (DOCS / test).resolve()
        assert path.is_file(), f"{rule}: {test} does not exist"
        assert _mentions(path.read_text(), rule), f"{rule}: {test} does not mention {rule}"
    assert any(_mentions((DOCS / page).read_text(), rule) for page in pages), f"{rule}: {pages} never name it"


def test_every_rule_the_docs_cite_is_on_rules_md():
    listed = {rule for rule, _, _ in _implemented()}
    rules = read("rules.md")
    cited = {f"{prefix}-{number}" for page in PAGES for prefix, number in RULE_ID.findall(page.read_text())}
    unknown = sorted(
        rule
        for rule in cited - listed
        if not _mentions(section(rules, "Not implemented, or only in part"), rule)
    )
    assert not unknown, f"rules cited in the docs but not on docs/rules.md: {unknown}"


def test_the_rule_mention_check_can_fail():
    assert _mentions("def test_w13_lengthened_delay", "W-13")
    assert not _mentions("def test_w1_off", "W-13")
    assert _mentions("W-13 is not W-1", "W-1")
    assert not _mentions("W-13 only", "W-1")
    assert not _mentions("LC-1 only", "L-1")


# ---------------------------------------------------------------- operations: the cost section
def test_the_cost_section_holds_the_benchmark_marker():
    page = read("operations.md")
    assert page.count("<!-- bench:cost -->") == 1
    cost = section(page, "Cost per 1M enrollments")
    assert "<!-- bench:cost -->" in cost.splitlines()
