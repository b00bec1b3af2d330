"""Load `families.yaml` (shipped in this package) and look checkpoints up by registry name or Hub id."""

from __future__ import annotations

import functools
from importlib import resources

from gfmbench.errors import UnknownNameError
from gfmbench.models.schema import Checkpoint, ModelFamily, ModelRegistry
from gfmbench.specfile import load_spec


def parse_registry(text: str, origin: str) -> ModelRegistry:
    """Parse and validate a registry document; errors name the file and the offending field."""
    return load_spec(text, origin, ModelRegistry, "model registry")


@functools.cache
def load_registry() -> ModelRegistry:
    text = resources.files("gfmbench.models").joinpath("families.yaml").read_text(encoding="utf-8")
    return parse_registry(text, "models/families.yaml")


def all_checkpoints() -> list[tuple[ModelFamily, Checkpoint]]:
    return [(family, checkpoint) for family in load_registry().families for checkpoint in family.checkpoints]


def find_checkpoint(spec: str) -> tuple[ModelFamily, Checkpoint] | None:
    """The registry entry for a registry name or a Hub id (`org/name`, with or without `@revision`); None if the
    registry does not know it."""
    bare = spec.split("@", 1)[0]
    for family, checkpoint in all_checkpoints():
        if bare in (checkpoint.name, checkpoint.hub_id):
            return family, checkpoint
    return None


def get_checkpoint(name: str) -> tuple[ModelFamily, Checkpoint]:
    """A checkpoint by registry name; an unknown name suggests the closest ones."""
    found = find_checkpoint(name)
    if found is None:
        raise UnknownNameError("model", name, [c.name for _, c in all_checkpoints()], listed_by="gfmbench models")
    return found


def registry_spec(spec: str) -> tuple[str, ModelFamily | None, Checkpoint | None]:
    """A `--model` value as the harness resolves it: a registry name becomes its Hub id at the registry's pinned
    revision (if any; `NAME@REV` picks another); a Hub id the registry knows keeps its spelling and brings its
    family's metadata; anything else (another Hub id, a folder) passes through."""
    from pathlib import Path

    if Path(spec).expanduser().exists():
        return spec, None, None
    found = find_checkpoint(spec)
    if found is None:
        return spec, None, None
    family, checkpoint = found
    name, _, revision = spec.partition("@")
    if name == checkpoint.name:
        revision = revision or (checkpoint.revision or "")
        return checkpoint.hub_id + (f"@{revision}" if revision else ""), family, checkpoint
    return spec, family, checkpoint
