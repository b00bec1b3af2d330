"""The task model: the checkpoint's own architecture with the head a task needs, loaded and checked.

The rule (never another architecture's class):

* the model's **own class for the task** when there is one: its `auto_map` entry for remote code (a config with an
  `auto_map` gets nothing else: transformers would otherwise fall back to the vanilla class of its `model_type`,
  e.g. plain BERT for DNABERT-2), or for transformers' and plugins' architectures the class registered for its
  config in the `AutoModelFor...` mapping;
* otherwise the model's **backbone** (`AutoModel`, remote code included) plus a gfmbench head: linear per token, or
  over the pooled sequence (mean of the non-padding tokens for encoders; the last real token for causal models, the
  only one that has read the whole sequence), or the pair head.

Nothing here assumes BERT: the forward gets `attention_mask` / `token_type_ids` only where it accepts them, the
hidden size is measured on a forward pass, tuple outputs are read as (hidden states, ...), and a class whose token
outputs omit the special positions is detected on a probe input and its outputs put back on the input
positions. Every load ends in a `LoadingReport` that `check_loading` turns into an error if weights were lost.
Batches are padded on the right: for a model without an attention mask that is only safe when it is causal
(HyenaDNA), so a bidirectional model without one is refused.
"""

from __future__ import annotations

import inspect
from typing import Any

from gfmbench.harness.align import EncodedSequence
from gfmbench.harness.families import applied_fixes, record_fix
from gfmbench.harness.kinds import TaskKind
from gfmbench.harness.loading import LoadingReport, check_loading, loading_report
from gfmbench.harness.models import ModelError, ResolvedModel, load_config

PAIR_RANK = 64
MODEL_INPUTS = ("attention_mask", "token_type_ids")


def is_causal(config: Any) -> bool:
    """A decoder-only language model (by its config): pooled by its last token, scored by next-token likelihoods."""
    names = [*(getattr(config, "architectures", None) or []), *(getattr(config, "auto_map", None) or {})]
    return bool(getattr(config, "is_decoder", False)) or getattr(config, "model_type", "") == "hyenadna" or any(
        a.endswith("ForCausalLM") or a.endswith("LMHeadModel") for a in names)


def own_class(model: ResolvedModel, config: Any, auto_name: str) -> Any:
    """The architecture's own class for an `AutoModel...` name, or None (see the module docstring)."""
    import transformers
    from transformers.dynamic_module_utils import get_class_from_dynamic_module

    auto_map = getattr(config, "auto_map", None) or {}
    if auto_map:
        reference = auto_map.get(auto_name)
        if isinstance(reference, (list, tuple)):
            reference = reference[0]
        return get_class_from_dynamic_module(reference, str(model.path)) if reference else None
    mapping = getattr(transformers, auto_name)._model_mapping
    try:
        return mapping[type(config)]
    except KeyError:
        return None


def accepted_inputs(module: Any) -> set[str]:
    """The optional inputs (`attention_mask`, `token_type_ids`, `pair_index`) a forward names as parameters."""
    parameters = inspect.signature(module.forward).parameters
    return {name for name in (*MODEL_INPUTS, "pair_index") if name in parameters}


def hidden_states(outputs: Any) -> Any:
    """The last hidden states from any backbone output: a ModelOutput, or a tuple / list whose first entry holds
    them (DNABERT-2's BertModel returns `(hidden states, pooled)`)."""
    states = getattr(outputs, "last_hidden_state", None)
    if states is None:
        states = outputs[0]
        if isinstance(states, (list, tuple)):
            states = states[-1]
    return states


def load_pretrained(model_class: Any, model: ResolvedModel, config: Any, what: str) -> tuple[Any, dict[str, Any]]:
    """`model_class.from_pretrained` with its loading info (declared ties applied), transformers' own load table
    silenced (the LoadingReport replaces it), and load failures as ModelErrors."""
    import transformers

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the load report is ours (LoadingReport), not transformers' table
    try:
        loaded, info = model_class.from_pretrained(model.path, config=config, output_loading_info=True)
        return loaded, tie_declared_weights(loaded, info, model)
    except ImportError as exc:
        raise ModelError(f"{model.model_id}: its code needs a package that is not installed ({exc})") from None
    except (ValueError, KeyError, OSError, RuntimeError, AttributeError, TypeError) as exc:
        raise ModelError(f"{model.model_id}: cannot load it as {what} ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    finally:
        transformers.logging.set_verbosity(verbosity)


def tie_declared_weights(loaded: Any, info: dict[str, Any], model: ResolvedModel) -> dict[str, Any]:
    """Tie the parameters a class declares tied (`_tied_weights_keys`, {tied: source}) that the load left untied and
    missing: multimolecule's `lm_head.decoder.bias` -> `lm_head.bias` stays randomly initialised under transformers 5
    otherwise. Only a missing key whose source was loaded, with the same shape, is tied; recorded as a fix."""
    declared = getattr(loaded, "_tied_weights_keys", None)
    missing = set(info.get("missing_keys", []))
    if not isinstance(declared, dict) or not missing:
        return info
    parameters = dict(loaded.named_parameters(remove_duplicate=False))
    tied = []
    for key, source in declared.items():
        if key in missing and source not in missing and key in parameters and source in parameters \
                and parameters[key].shape == parameters[source].shape:
            owner, _, name = key.rpartition(".")
            setattr(loaded.get_submodule(owner), name, parameters[source])
            tied.append(f"{key} -> {source}")
    if tied:
        record_fix(model.path, "declared weight ties that the load left untied applied: " + ", ".join(tied))
        info = {**info, "missing_keys": [k for k in info.get("missing_keys", []) if k.split(" ")[0] not in
                                         {t.split(" -> ")[0] for t in tied}]}
    return info


def _torch_module() -> Any:
    import torch

    return torch.nn.Module


class Backbone(_torch_module()):  # type: ignore[misc]
    """A backbone with a uniform call: (input_ids, attention_mask, token_type_ids) -> last hidden states; inputs the
    model does not accept are not passed. `hidden_size` is measured on the probe input."""

    def __init__(self, model: Any, causal: bool, probe_ids: list[int]) -> None:
        import torch

        super().__init__()
        self.model = model
        self.config = model.config
        self.causal = causal
        self.accepted = accepted_inputs(model)
        with torch.no_grad():
            self.hidden_size = int(self(torch.tensor([probe_ids]), torch.ones(1, len(probe_ids),
                                                                              dtype=torch.long)).shape[-1])

    def forward(self, input_ids: Any, attention_mask: Any = None, token_type_ids: Any = None) -> Any:
        given = {"attention_mask": attention_mask, "token_type_ids": token_type_ids}
        kwargs = {k: v for k, v in given.items() if v is not None and k in self.accepted}
        return hidden_states(self.model(input_ids=input_ids, **kwargs))


def pool(states: Any, attention_mask: Any, causal: bool) -> Any:
    """One vector per sequence: the last real token (right padding) for causal models, else the mean of the
    non-padding tokens."""
    import torch

    if attention_mask is None:
        return states[:, -1] if causal else states.mean(1)
    if causal:
        last = attention_mask.sum(1).clamp(min=1) - 1
        return states[torch.arange(states.shape[0], device=states.device), last]
    weights = attention_mask.unsqueeze(-1).to(states.dtype)
    return (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class HiddenStateHead(_torch_module()):  # type: ignore[misc]
    """A linear head over the backbone's last hidden states: per token, or over the pooled sequence."""

    def __init__(self, backbone: Backbone, token_level: bool, num_outputs: int) -> None:
        import torch

        super().__init__()
        self.backbone, self.config, self.token_level = backbone, backbone.config, token_level
        self.head = torch.nn.Linear(backbone.hidden_size, num_outputs)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_):
        from transformers.modeling_outputs import TokenClassifierOutput

        states = self.backbone(input_ids, attention_mask, token_type_ids)
        if not self.token_level:
            states = pool(states, attention_mask, self.backbone.causal)
        return TokenClassifierOutput(logits=self.head(states))


class PairHead(_torch_module()):  # type: ignore[misc]
    """A pair head for L x L maps: token embeddings h are projected to u = W h (rank r), and the score of token
    pair (a, b) is u_a . diag(w) . u_b + c, an outer product of the embeddings that is symmetric in a and b as the
    maps are. `pair_index` (from the collator) picks each nucleotide pair's token pair, so the output is one value
    per nucleotide pair (upper triangle, row by row) whatever the tokenizer."""

    def __init__(self, backbone: Backbone, rank: int = PAIR_RANK) -> None:
        import torch

        super().__init__()
        self.backbone, self.config, self.rank = backbone, backbone.config, rank
        self.project = torch.nn.Linear(backbone.hidden_size, rank)
        self.weight = torch.nn.Parameter(torch.full((rank,), rank ** -0.5))
        self.bias = torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, pair_index=None,
                **_):
        import torch
        from transformers.modeling_outputs import TokenClassifierOutput

        u = self.project(self.backbone(input_ids, attention_mask, token_type_ids))
        pairs = torch.einsum("bir,bjr->bij", u * self.weight, u) + self.bias  # (batch, tokens, tokens)
        flat = pairs.reshape(pairs.shape[0], -1)
        logits = flat.gather(1, pair_index.clamp(min=0)).masked_fill(pair_index < 0, 0.0)
        return TokenClassifierOutput(logits=logits)


class OwnClassModel(_torch_module()):  # type: ignore[misc]
    """The architecture's own task class behind a uniform call: only the inputs its forward accepts are passed,
    and token outputs are put back on the input positions when the class drops exactly the special positions
    (multimolecule's token heads return one output per nucleotide, without `<cls>` / `<eos>`)."""

    def __init__(self, model: Any, token_level: bool) -> None:
        super().__init__()
        self.model, self.config, self.token_level = model, model.config, token_level
        self.accepted = accepted_inputs(model)
        self.shift = 0  # output j belongs to input position j + shift (the leading special tokens)

    def calibrate(self, probe: EncodedSequence) -> str:
        """Measure, on one input, how the class's token outputs line up with the input positions."""
        import torch

        if not self.token_level:
            return ""
        ids = torch.tensor([probe.input_ids])
        with torch.no_grad():
            logits = self._logits(ids, torch.ones_like(ids), None)
        given, got = ids.shape[1], logits.shape[1]
        if got == given:
            return ""
        lead = int(next((i for i, (start, _) in enumerate(probe.spans) if start >= 0), 0))
        specials = int((probe.spans[:, 0] < 0).sum())
        if got < given and given - got == specials:  # exactly the special positions left out, real ones in order
            self.shift = lead
            return (f"{type(self.model).__name__} returns {got} token outputs for {given} inputs (special positions "
                    f"left out); output j is mapped to input position j + {lead}")
        raise ModelError(f"{type(self.model).__name__} returns {got} token outputs for {given} inputs, which cannot "
                         "be mapped back to the input positions")

    def _logits(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
        given = {"attention_mask": attention_mask, "token_type_ids": token_type_ids}
        outputs = self.model(input_ids=input_ids, **{k: v for k, v in given.items()
                                                     if v is not None and k in self.accepted})
        logits = getattr(outputs, "logits", None)
        return outputs[0] if logits is None else logits

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_):
        from transformers.modeling_outputs import TokenClassifierOutput

        logits = self._logits(input_ids, attention_mask, token_type_ids)
        if self.token_level and logits.shape[1] != input_ids.shape[1]:
            width, got = input_ids.shape[1], logits.shape[1]
            full = logits.new_zeros((logits.shape[0], width, *logits.shape[2:]))
            n = min(got, width - self.shift)
            full[:, self.shift:self.shift + n] = logits[:, :n]  # special positions stay 0 (never scored)
            logits = full
        return TokenClassifierOutput(logits=logits)


def load_backbone(model: ResolvedModel, probe: EncodedSequence, trust_remote_code: bool = False,
                  allow_unloaded_weights: bool = False,
                  loaded_config: tuple[Any, Any] | None = None) -> tuple[Backbone, LoadingReport]:
    """The model's backbone (`AutoModel` of its own architecture, in eval mode), checked (see harness.loading).
    `loaded_config`: (config, adapter) from `load_config`, when the caller has it already."""
    config, adapter = loaded_config or load_config(model, trust_remote_code)
    backbone_class = own_class(model, config, "AutoModel")
    if backbone_class is None:
        raise ModelError(f"{model.model_id}: its architecture has no backbone class (AutoModel) to put a head on")
    loaded, info = load_pretrained(backbone_class, model, config, "a backbone")
    loaded = adapter.after_load(loaded).eval()
    causal = is_causal(config)
    backbone = Backbone(loaded, causal, probe.input_ids)
    if "attention_mask" not in backbone.accepted and not causal:
        raise ModelError(f"{model.model_id}: {backbone_class.__name__} takes no attention mask and is not causal, "
                         "so padded batches would change its outputs")
    report = loading_report(loaded, info, backbone_class.__name__, "none (backbone)", None)
    report.fixes = applied_fixes(model.path)
    check_loading(report, model.model_id, allow_unloaded_weights)
    return backbone, report


def load_model_for_task(model: ResolvedModel, kind: TaskKind, num_outputs: int, pad_token_id: int | None,
                        probe: EncodedSequence, trust_remote_code: bool = False,
                        id2label: dict[int, str] | None = None,
                        allow_unloaded_weights: bool = False) -> tuple[Any, LoadingReport]:
    """The task model for a task of `kind` and its checked loading report (see the module docstring). The harness
    computes the loss itself, so one head serves classification (CE), multi-label (BCE) and regression (MSE)."""
    token_level = kind.level == "token"
    if kind.head_class is None:  # no transformers head fits (pair maps): gfmbench's pair head
        if num_outputs != 1:
            raise ModelError(f"a pair head gives one output per pair, not {num_outputs}")
        backbone, report = load_backbone(model, probe, trust_remote_code, allow_unloaded_weights)
        network: Any = PairHead(backbone)
        report.head = (f"{report.model_class} + symmetric bilinear pair head over token embeddings (rank "
                       f"{network.rank}; one {'value' if kind.regression else 'logit'} per "
                       "nucleotide pair via the covering tokens)")
        return _finish(network, report, pad_token_id)
    config, adapter = load_config(model, trust_remote_code)
    task_class = own_class(model, config, kind.head_class)
    if task_class is None:
        backbone, report = load_backbone(model, probe, trust_remote_code, allow_unloaded_weights,
                                         (config, adapter))
        network = HiddenStateHead(backbone, token_level, num_outputs)
        pooled = "each token" if token_level else (
            "the last real token (causal model)" if backbone.causal else "mean-pooled tokens")
        report.head = (f"{report.model_class} + linear head over {pooled} ({num_outputs} outputs; the architecture "
                       f"has no {kind.head_class} class)")
        return _finish(network, report, pad_token_id)
    config.num_labels = num_outputs
    if id2label:
        config.id2label, config.label2id = dict(id2label), {v: k for k, v in id2label.items()}
    if pad_token_id is not None and getattr(config, "pad_token_id", None) is None:
        config.pad_token_id = pad_token_id
    loaded, info = load_pretrained(task_class, model, config, f"{task_class.__name__}")
    loaded = adapter.after_load(loaded)
    network = OwnClassModel(loaded, token_level)
    prefix = getattr(loaded, "base_model_prefix", "") or None
    if prefix is not None and not hasattr(loaded, prefix):
        prefix = None
    report = loading_report(loaded, info, task_class.__name__, f"{task_class.__name__} ({num_outputs} outputs)",
                            prefix)
    report.fixes = applied_fixes(model.path)
    check_loading(report, model.model_id, allow_unloaded_weights)
    report.token_outputs = network.calibrate(probe)
    return _finish(network, report, pad_token_id)


def _finish(network: Any, report: LoadingReport, pad_token_id: int | None) -> tuple[Any, LoadingReport]:
    config = network.config
    if pad_token_id is not None and getattr(config, "pad_token_id", None) is None:
        config.pad_token_id = pad_token_id
    report.n_parameters = int(sum(p.numel() for p in network.parameters()))
    if isinstance(getattr(network, "backbone", None), Backbone):  # gfmbench's head: all of it is new
        report.new_parameters += [name for name, _ in network.named_parameters() if not name.startswith("backbone.")]
    return network, report
