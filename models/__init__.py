"""The model registry: the published checkpoints of genomic foundation model families, declared as data in
`families.yaml` and validated by `schema.ModelFamily` (MTEB's `ModelMeta` as YAML). `gfmbench models` lists it;
`gfmbench run --model NAME` takes a registry name as well as any Hub id or folder."""

from gfmbench.models.registry import all_checkpoints, find_checkpoint, get_checkpoint, load_registry

__all__ = ["all_checkpoints", "find_checkpoint", "get_checkpoint", "load_registry"]
