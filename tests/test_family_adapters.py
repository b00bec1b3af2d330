"""Family adapters' load-time fixes checked against the family's own code: DNABERT-2's attention through torch's
fused attention equals the attention its code computes without Triton, and replaces its Triton kernel (which
current Triton cannot compile) only where that kernel would run, named in the loading report."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from gfmbench.cli import main

ZOO = Path(__file__).resolve().parents[2] / "shared" / "zoo"


def test_sdpa_equals_the_attention_dnabert2_computes_without_triton() -> None:
    import torch

    from gfmbench.harness.families import sdpa_qkvpacked

    torch.manual_seed(0)
    batch, seqlen, heads, dim = 3, 17, 4, 8
    qkv = torch.randn(batch, seqlen, 3, heads, dim)
    bias = torch.randn(1, heads, seqlen, seqlen).expand(batch, -1, -1, -1).clone()  # ALiBi-like, per head
    bias[1, :, :, -5:] = -10000.0  # padded keys of the second sequence, as its extended attention mask does
    # bert_layers.py's own path (no Triton): q k^T / sqrt(d) + bias, softmax over keys, times v
    q = qkv[:, :, 0].permute(0, 2, 1, 3)
    k = qkv[:, :, 1].permute(0, 2, 3, 1)
    v = qkv[:, :, 2].permute(0, 2, 1, 3)
    expected = torch.matmul(torch.softmax(torch.matmul(q, k) / math.sqrt(dim) + bias, dim=-1), v).permute(0, 2, 1, 3)
    got = sdpa_qkvpacked(qkv, bias)
    assert got.shape == (batch, seqlen, heads, dim)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(sdpa_qkvpacked(qkv, None), expected, atol=1e-3)  # the bias matters


def _dnabert2_module(folder: Path):
    from transformers.dynamic_module_utils import get_class_from_dynamic_module

    auto_map = json.loads((folder / "config.json").read_text())["auto_map"]
    return sys.modules[get_class_from_dynamic_module(auto_map["AutoModel"], str(folder)).__module__]


def test_dnabert2_triton_kernel_is_replaced_where_it_would_run_and_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from gfmbench.harness import families
    from gfmbench.harness.miniatures import build_miniature

    calls = []

    def counted_sdpa(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return sdpa(*args, **kwargs)

    sdpa = families.sdpa_qkvpacked
    monkeypatch.setattr(families, "sdpa_qkvpacked", counted_sdpa)
    folder = build_miniature("dnabert2", tmp_path / "d2", ZOO)
    module = _dnabert2_module(folder)
    assert module.flash_attn_qkvpacked_func is None  # no Triton here: its own PyTorch attention runs, unchanged

    def triton_kernel(*args: object, **kwargs: object) -> None:
        raise AssertionError("the Triton kernel ran")  # what `tl.dot(..., trans_b=True)` does on current Triton

    monkeypatch.setattr(module, "flash_attn_qkvpacked_func", triton_kernel)  # as where Triton imports
    assert main(["models", "check", str(folder), "--trust-remote-code", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert module.flash_attn_qkvpacked_func is counted_sdpa
    assert calls and "finite: True" in report["forward"]  # the forward ran through the Triton branch, on SDPA
    assert any("scaled_dot_product_attention" in fix for fix in report["loading"]["fixes"])


def test_dnabert2_without_triton_reports_no_attention_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gfmbench.harness.miniatures import build_miniature

    folder = build_miniature("dnabert2", tmp_path / "d2", ZOO)
    assert main(["models", "check", str(folder), "--trust-remote-code", "--json"]) == 0
    fixes = json.loads(capsys.readouterr().out)["loading"]["fixes"]
    assert any("ALiBi" in fix for fix in fixes)
    assert not any("scaled_dot_product_attention" in fix for fix in fixes)
    assert _dnabert2_module(folder).flash_attn_qkvpacked_func is None
