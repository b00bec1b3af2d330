"""Revisions of hub repos resolved to the exact commit a result records (the data a unit scored on)."""

from __future__ import annotations

from gfmbench.errors import MissingDataError


def dataset_sha(repo_id: str, revision: str) -> str:
    """The exact commit behind `revision`; asked of the hub, so an unreachable hub is a clear error here (at once
    when it cannot be reached at all, not after retries)."""
    from huggingface_hub import HfApi, constants

    from gfmbench.hub.routing import is_local, unreachable

    def refused(reason: str) -> MissingDataError:
        advice = ("it is in the local hub, which GFMBENCH_HUB=hub leaves out: unset GFMBENCH_HUB (auto) or set it "
                  "to local" if is_local(repo_id, "dataset") and constants.ENDPOINT.rstrip("/").endswith(
                      "huggingface.co") else "finished units are kept; rerun when it is back, or build the suite "
                  "here (`gfmbench build SUITE`; it is then read from the local hub)")
        return MissingDataError(f"{repo_id}@{revision}: the hub at {constants.ENDPOINT} {reason}; {advice}")

    why = unreachable()
    if why is not None:
        raise refused(f"cannot be reached ({why})")
    try:
        sha = HfApi().dataset_info(repo_id, revision=revision).sha
    except Exception as exc:  # HTTP errors and transport errors (connection refused, timeouts) alike
        raise refused(f"did not answer ({type(exc).__name__}: {exc})") from None
    if sha is None:
        raise refused("answered without a commit for it")
    return sha
