"""Which progress bars the libraries under gfmbench may show: one bar per phase, and none with `--no-progress`.

transformers' own bars (loading weights, "Writing model shards" at every checkpoint, dozens per run) are never a
phase of ours and are always off. huggingface_hub's (fetching a repo) and datasets' (loading, mapping) are phases and
follow the command's setting.
"""

from __future__ import annotations


def library_progress(enabled: bool) -> None:
    import datasets
    import huggingface_hub.utils as hub_utils
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    if enabled:
        hub_utils.enable_progress_bars()
        datasets.enable_progress_bars()
    else:
        hub_utils.disable_progress_bars()
        datasets.disable_progress_bars()
