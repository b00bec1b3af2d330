"""The recipe of a run unit: every setting that can change its result, and the digest that names it.

Why a digest in the unit key: a result may be reused only for the same experiment. Model content, dataset commit,
task, seed and regime are not enough: one more epoch or another learning rate is another experiment, and reusing its
score would show the wrong number without a word. So the key carries `recipe_id`, the digest of the canonical
settings below, and a unit with other settings lives in a folder of its own beside the old one (never over it).

What is in a recipe, per regime:
- fine-tuning: the training hyperparameters (`harness.train.Hyperparameters`: epochs, batch size, learning rate,
  schedule, warmup, weight decay, patience, max length, long-sequence strategy, batching, precision, gradient
  accumulation, streaming);
- probe: the max length, the regularisation grid and the fit-size cap;
- zero-shot: the max length, the task's zero-shot scoring rule and, when not the default masked marginals, the
  estimator (`wildtype`);
- when set, `allow_unloaded_weights` (a unit whose weights check was overridden is never reused for a run that
  would have refused the checkpoint);
- always: `SCORING_VERSION`, bumped whenever a change to the harness changes scores (metric inputs, alignment,
  prediction rows), so units scored the old way are not reused as if they were new.

What is deliberately not in it: the hardware, the number of processes and the library versions. They are recorded in
every unit (`environment`) and can move the last digits of a score, but a benchmark that re-ran every unit on each
library upgrade could never resume; their effect is within seed noise and the card shows them.

Units written before recipes existed have `recipe_id = None`: they are read, shown and carded as their own recipe
("legacy"), and never reused for a new run (their settings were not keyed).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

SCORING_VERSION = 1  # bump when a harness change alters scores of otherwise identical units
LEGACY_RECIPE = "legacy"  # the recipe label of units written before recipes were keyed


def recipe_id(settings: dict[str, Any]) -> str:
    """Stable digest of the settings (sorted keys, canonical JSON): 16 hex digits."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def regime_label(regime: str, settings: dict[str, Any] | None) -> str:
    """The regime as tables and the leaderboard name it: a zero-shot unit scored with wild-type marginals is another
    estimator than masked marginals, so it is its own entry and never ranked as the same thing.

    >>> regime_label("zeroshot", {"estimator": "wildtype"}), regime_label("zeroshot", {"score": "x"})
    ('zeroshot-wildtype', 'zeroshot')
    """
    estimator = (settings or {}).get("estimator")
    return f"{regime}-{estimator}" if regime == "zeroshot" and estimator else regime


def recipe_label(recipe: str | None) -> str:
    return recipe[:10] if recipe else LEGACY_RECIPE


def setting_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`name old → new` for every setting that differs (missing on one side shows as `—`), sorted by name."""
    missing = object()
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name, missing), new.get(name, missing)
        if a != b:
            out.append(f"{name} {'—' if a is missing else a} → {'—' if b is missing else b}")
    return out
