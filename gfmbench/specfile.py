"""Registries declared as YAML (suites, models): parse a document and validate it with its pydantic model, so a
typo or a wrong value fails when the registry loads, naming the file and the field."""

from __future__ import annotations

from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gfmbench.errors import ConfigError

Spec = TypeVar("Spec", bound=BaseModel)


def load_spec(text: str, origin: str, model: type[Spec], what: str) -> Spec:
    """`model` validated from the YAML `text`; errors say `origin: invalid <what>: <field>: <problem>; ...`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
                             for err in exc.errors())
        raise ConfigError(f"{origin}: invalid {what}: {problems}") from exc
