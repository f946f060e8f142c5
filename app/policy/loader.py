"""Read the policy file: YAML -> validated `Policy`, or a list of `PolicyError`s that name each problem."""
from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.errors import ConfigError
from app.policy.fields import ROLES_CONTEXT_KEY
from app.policy.models import Policy
from app.policy.problems import PolicyError, errors_from_validation

# Numbers, booleans, dates and sexagesimal times stay text: money becomes an exact Decimal, realm ids keep
# leading zeros, "17:30" is not read as the integer 1050 and a product or term named "On" or "No" stays a
# name (YAML 1.1 rules). pydantic converts text to each field's type.
_KEEP_AS_TEXT = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                           "tag:yaml.org,2002:timestamp"})


class _PolicyLoader(yaml.SafeLoader):
    """SafeLoader that keeps numbers as text and refuses duplicate keys (the last one would win silently)."""

    # PyYAML looks this class attribute up per loader class; this copy leaves SafeLoader's own untouched.
    yaml_implicit_resolvers: dict[str, list[tuple[str, Any]]] = {
        first: [(tag, regex) for tag, regex in resolvers if tag not in _KEEP_AS_TEXT]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                break  # SafeLoader reports "found unhashable key" with its position
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (the same key twice in one section)", key_node.start_mark)
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class PolicyFileInvalid(ConfigError):
    """The policy file exists but is not valid; `problems` lists every error."""

    def __init__(self, source: str, problems: list[PolicyError]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{source}: {count} in the policy file, first: {problems[0]} (run `ledgerbridge check`)")
        self.problems = problems


def parse_policy(text: str) -> tuple[Policy | None, list[PolicyError]]:
    """The policy, or None and every problem found (YAML syntax, structure, values, references)."""
    try:
        data = yaml.load(text, Loader=_PolicyLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_error(error)]
    except yaml.YAMLError as error:
        return None, [PolicyError("(yaml)", f"could not read YAML: {error}")]
    if not isinstance(data, Mapping):
        found = "empty" if data is None else f"a {type(data).__name__}"
        return None, [PolicyError("(top level)", f"the policy must be a mapping of sections, but the file is {found}")]
    return policy_from_data(data)


def policy_from_data(data: Mapping[str, Any]) -> tuple[Policy | None, list[PolicyError]]:
    roles = data.get("approver_roles")
    context = {ROLES_CONTEXT_KEY: frozenset(map(str, roles))} if isinstance(roles, Mapping) else None
    try:
        return Policy.model_validate(data, context=context), []
    except ValidationError as error:
        return None, errors_from_validation(error, Policy)


def validate_policy_text(text: str) -> list[PolicyError]:
    """Every problem in a policy document; an empty list means it is valid."""
    return parse_policy(text)[1]


def load_policy(path: str | Path) -> Policy:
    """Read and validate the policy file. Raises ConfigError (PolicyFileInvalid when the content is wrong)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"policy file {source} not found (set LEDGERBRIDGE_POLICY or pass --policy)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"policy file {source} cannot be read: {error}") from None
    policy, problems = parse_policy(text)
    if policy is None:
        raise PolicyFileInvalid(str(source), problems)
    return policy


def _syntax_error(error: yaml.MarkedYAMLError) -> PolicyError:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
    what = " ".join(part for part in (error.context, error.problem) if part)
    return PolicyError(where, f"YAML syntax error: {what}")
