"""The one filter engine: HubSpot ``filterGroups`` evaluated against a record's properties.

Record search, enrollment triggers, goals, IF_THEN branches, suppression lists and the explainer
all call :func:`matches` / :func:`explain`, so a filter means the same thing everywhere.

Semantics (HubSpot CRM v3 where HubSpot is explicit, our choice where it is not):

* ``filterGroups`` is an OR of groups; each group is an AND of its filters. An empty list of
  groups means "no conditions" and matches every record (``matches([]) is True``); callers that
  need "no triggers means nobody enrolls" check for an empty list themselves. A group with no
  filters also matches.
* Comparisons are typed by the property's type (``types[propertyName]``):

  - ``number``: decimal comparison (``"5" == "5.0"``).
  - ``date`` / ``datetime``: values may be ISO 8601 (``2026-12-24``, ``2026-12-24T10:00:00Z``) or
    epoch milliseconds as HubSpot sends them; compared as instants. A ``date`` property compares
    by UTC calendar day (HubSpot stores dates as midnight UTC), so ``EQ 2026-12-24`` matches any
    instant on that day.
  - ``bool``: ``true``/``false``, case-insensitive.
  - ``string`` / ``enumeration``: case-insensitive for every operator (HubSpot compares
    EQ/NEQ/IN/NOT_IN case-insensitively); LT/LTE/GT/GTE/BETWEEN are lexicographic on the
    case-folded text.
  - type unknown (no ``types`` given, or the property is not in it): numeric when both sides are
    numbers, otherwise as a string.

  When a value does not parse as its declared type (``"abc"`` for a number), that comparison falls
  back to the string rules above.
* A property that is missing, ``None`` or ``""`` has no value. It fails every operator except the
  negative ones: NOT_HAS_PROPERTY, NEQ, NOT_IN and NOT_CONTAINS_TOKEN match a record without a
  value ("is not equal to X" is true of a record that has nothing).
* CONTAINS_TOKEN: the text is split into word tokens (runs of letters/digits/underscore; anything
  else - whitespace, punctuation, ``@``, ``.`` - separates tokens), case-insensitive.

  - Without ``*`` the value's tokens must appear in the text as a contiguous run of whole tokens:
    ``"example.com"`` matches ``"ann@example.com"``; ``"exam"`` does not.
  - With ``*`` the value is a wildcard pattern (``*`` = any characters, everything else literal)
    matched against the whole text, each whitespace-separated word and each token:
    ``"*@example.com"`` matches ``"ann@example.com"``; ``"exam*"`` matches it too.

  NOT_CONTAINS_TOKEN is its negation.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crmflow.clock import parse_iso


class Operator(StrEnum):
    EQ = "EQ"
    NEQ = "NEQ"
    LT = "LT"
    LTE = "LTE"
    GT = "GT"
    GTE = "GTE"
    BETWEEN = "BETWEEN"
    IN = "IN"
    NOT_IN = "NOT_IN"
    HAS_PROPERTY = "HAS_PROPERTY"
    NOT_HAS_PROPERTY = "NOT_HAS_PROPERTY"
    CONTAINS_TOKEN = "CONTAINS_TOKEN"
    NOT_CONTAINS_TOKEN = "NOT_CONTAINS_TOKEN"


_NEEDS_VALUE = {
    Operator.EQ,
    Operator.NEQ,
    Operator.LT,
    Operator.LTE,
    Operator.GT,
    Operator.GTE,
    Operator.BETWEEN,
    Operator.CONTAINS_TOKEN,
    Operator.NOT_CONTAINS_TOKEN,
}
_NEEDS_VALUES = {Operator.IN, Operator.NOT_IN}
_MATCHES_MISSING = {Operator.NOT_HAS_PROPERTY, Operator.NEQ, Operator.NOT_IN, Operator.NOT_CONTAINS_TOKEN}


def _to_str(value: Any) -> Any:
    """HubSpot clients send ``"value": 5`` or ``true``: property values are strings, so coerce."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return value


class Filter(BaseModel):
    """One condition: ``{propertyName, operator, value | values | highValue}``."""

    model_config = ConfigDict(extra="ignore")

    propertyName: str = Field(min_length=1)
    operator: Operator
    value: str | None = None
    values: list[str] | None = None
    highValue: str | None = None

    @field_validator("operator", mode="before")
    @classmethod
    def _upper_operator(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    @field_validator("value", "highValue", mode="before")
    @classmethod
    def _coerce_scalar(cls, v: Any) -> Any:
        return _to_str(v)

    @field_validator("values", mode="before")
    @classmethod
    def _coerce_list(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            return [_to_str(item) for item in v]
        return v

    @model_validator(mode="after")
    def _operands_for_operator(self) -> "Filter":
        op = self.operator
        if op in _NEEDS_VALUE and self.value is None:
            raise ValueError(f"value: required for operator {op} (property '{self.propertyName}')")
        if op == Operator.BETWEEN and self.highValue is None:
            raise ValueError(f"highValue: required for operator BETWEEN (property '{self.propertyName}')")
        if op in _NEEDS_VALUES and not self.values:
            raise ValueError(
                f"values: a non-empty list is required for operator {op} (property '{self.propertyName}')"
            )
        return self


class FilterGroup(BaseModel):
    """An AND of filters."""

    model_config = ConfigDict(extra="ignore")

    filters: list[Filter] = Field(default_factory=list)


class FilterExplanation(BaseModel):
    """One filter and how the record fared against it (L-4 explainer)."""

    propertyName: str
    operator: Operator
    value: str | None = None
    values: list[str] | None = None
    highValue: str | None = None
    actual: str | None
    met: bool


class GroupExplanation(BaseModel):
    """One filter group: met when every filter in it is met."""

    met: bool
    filters: list[FilterExplanation]


FilterGroupsInput = Iterable[FilterGroup | Mapping[str, Any]]
PropertyTypes = Mapping[str, str] | None


def parse_filter_groups(filter_groups: FilterGroupsInput) -> list[FilterGroup]:
    """Accept models or plain dicts (as stored in DynamoDB) and return models."""
    return [g if isinstance(g, FilterGroup) else FilterGroup.model_validate(g) for g in filter_groups]


def matches(
    filter_groups: FilterGroupsInput,
    properties: Mapping[str, Any],
    types: PropertyTypes = None,
) -> bool:
    """Whether ``properties`` meet ``filter_groups`` (OR of groups, AND within). ``[]`` → True."""
    groups = parse_filter_groups(filter_groups)
    if not groups:
        return True
    return any(all(filter_met(f, properties, types) for f in g.filters) for g in groups)


def explain(
    filter_groups: FilterGroupsInput,
    properties: Mapping[str, Any],
    types: PropertyTypes = None,
) -> list[GroupExplanation]:
    """Per group and filter: the actual value compared and whether it was met."""
    result = []
    for group in parse_filter_groups(filter_groups):
        explained = [
            FilterExplanation(
                propertyName=f.propertyName,
                operator=f.operator,
                value=f.value,
                values=f.values,
                highValue=f.highValue,
                actual=_actual(properties, f.propertyName),
                met=filter_met(f, properties, types),
            )
            for f in group.filters
        ]
        result.append(GroupExplanation(met=all(e.met for e in explained), filters=explained))
    return result


def count_filters(filter_groups: FilterGroupsInput) -> int:
    """Total number of filters over all groups (E-4 counts these)."""
    return sum(len(g.filters) for g in parse_filter_groups(filter_groups))


def filter_properties(filter_groups: FilterGroupsInput) -> set[str]:
    """Names of every property the groups look at."""
    return {f.propertyName for g in parse_filter_groups(filter_groups) for f in g.filters}


# --- evaluation ---------------------------------------------------------------------------------


def _actual(properties: Mapping[str, Any], name: str) -> str | None:
    value = properties.get(name)
    if value is None:
        return None
    value = _to_str(value)
    return value if isinstance(value, str) else str(value)


def filter_met(f: Filter, properties: Mapping[str, Any], types: PropertyTypes = None) -> bool:
    """Whether one filter is met by ``properties``."""
    actual = _actual(properties, f.propertyName)
    op = f.operator
    if actual is None or actual == "":
        return op in _MATCHES_MISSING
    if op == Operator.HAS_PROPERTY:
        return True
    if op == Operator.NOT_HAS_PROPERTY:
        return False
    if op == Operator.CONTAINS_TOKEN:
        return contains_token(actual, f.value or "")
    if op == Operator.NOT_CONTAINS_TOKEN:
        return not contains_token(actual, f.value or "")

    prop_type = (types or {}).get(f.propertyName)
    if op in (Operator.IN, Operator.NOT_IN):
        found = any(_compare(actual, v, prop_type) == 0 for v in f.values or [])
        return found if op == Operator.IN else not found

    assert f.value is not None  # guaranteed by the model validator
    cmp = _compare(actual, f.value, prop_type)
    if op == Operator.BETWEEN:
        assert f.highValue is not None
        return cmp >= 0 and _compare(actual, f.highValue, prop_type) <= 0
    return {
        Operator.EQ: cmp == 0,
        Operator.NEQ: cmp != 0,
        Operator.LT: cmp < 0,
        Operator.LTE: cmp <= 0,
        Operator.GT: cmp > 0,
        Operator.GTE: cmp >= 0,
    }[op]


def _sign(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _compare(actual: str, expected: str, prop_type: str | None) -> int:
    """-1, 0 or 1 comparing ``actual`` with ``expected`` under the property's type."""
    kind = (prop_type or "").lower()
    if kind == "number" or not kind:
        a, b = parse_number(actual), parse_number(expected)
        if a is not None and b is not None:
            return _sign(a, b)
    elif kind in ("date", "datetime"):
        ta, tb = parse_instant(actual), parse_instant(expected)
        if ta is not None and tb is not None:
            if kind == "date":
                return _sign(ta.date(), tb.date())
            return _sign(ta, tb)
    elif kind == "bool":
        ba, bb = parse_bool(actual), parse_bool(expected)
        if ba is not None and bb is not None:
            return _sign(ba, bb)
    return _sign(actual.strip().casefold(), expected.strip().casefold())


# --- value parsing (shared with the scheduler) ----------------------------------------------------

_EPOCH_MS = re.compile(r"^-?\d+$")


def parse_number(text: str) -> Decimal | None:
    """A finite decimal, or None."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 date/datetime or epoch milliseconds as a UTC-aware datetime, or None.

    A date without a time (``2026-12-24``) is midnight UTC, as HubSpot stores date properties.
    """
    text = str(text).strip()
    if not text:
        return None
    if _EPOCH_MS.match(text):
        try:
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        return parse_iso(text)
    except ValueError:
        return None


def is_date_only(text: str) -> bool:
    """Whether ``text`` is an ISO calendar date without a time (``YYYY-MM-DD``)."""
    text = str(text).strip()
    if len(text) != 10:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def contains_token(text: str, pattern: str) -> bool:
    """CONTAINS_TOKEN: see the module docstring."""
    pattern = pattern.strip().casefold()
    if not pattern:
        return False
    if "*" in pattern:
        regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
        folded = text.casefold()
        candidates: Sequence[str] = [folded, *folded.split(), *_tokens(folded)]
        return any(regex.fullmatch(c) for c in candidates)
    wanted = _tokens(pattern)
    if not wanted:
        return pattern in text.casefold().split()
    have = _tokens(text)
    n = len(wanted)
    return any(have[i : i + n] == wanted for i in range(len(have) - n + 1))
