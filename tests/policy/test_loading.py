"""load_policy, eos ids and chat prompt ids; bad input gives one-line UserErrors."""

from __future__ import annotations

import re
import huggingface_hub.constants
import pytest
import torch
from transformers import PreTrainedTokenizerFast

from siri.policy.loading import chat_prompt_ids, eos_token_ids, load_policy, prepare_tokenizer
from siri.utils.errors import UserError


def test_load_tiny(tiny):
    model, tok = tiny
    assert not model.training
    assert next(model.parameters()).dtype == torch.float32
    assert next(model.parameters()).device.type == "cpu"
    assert tok.padding_side == "left" and tok.pad_token_id == tok.eos_token_id


def test_load_bfloat16(tiny_model_dir):
    model, _ = load_policy(tiny_model_dir, device="cpu", dtype="bfloat16")
    assert next(model.parameters()).dtype == torch.bfloat16


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"device": "tpu"}, "device"),
        ({"dtype": "float8"}, "dtype"),
    ],
)
def test_bad_options(tiny_model_dir, kwargs, needle):
    with pytest.raises(UserError, match=needle) as err:
        load_policy(tiny_model_dir, **kwargs)
    assert "\n" not in str(err.value) and "allowed" in str(err.value)


@pytest.mark.parametrize("name", ["./no/such/model", "/definitely/not/here", "~/nope/x/y", "a/b/c"])
def test_missing_path(name):
    with pytest.raises(UserError, match="does not exist"):
        load_policy(name, device="cpu")


def test_directory_without_config(tmp_path):
    with pytest.raises(UserError, match="config.json"):
        load_policy(tmp_path, device="cpu")


def test_unreachable_hub_id_is_user_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(UserError, match="could not load model 'siri-test-nobody/no-such-model'") as err:
        load_policy("siri-test-nobody/no-such-model", device="cpu")
    assert "\n" not in str(err.value)


def test_prepare_tokenizer_pads_with_eos(tiny_model_dir):
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_model_dir)
    tok.pad_token = None
    tok.padding_side = "right"
    prepare_tokenizer(tok)
    assert tok.pad_token == "<|endoftext|>" and tok.padding_side == "left"


def test_eos_token_ids(tiny):
    model, tok = tiny
    assert eos_token_ids(model, tok) == sorted({tok.convert_tokens_to_ids("<|im_end|>"), tok.eos_token_id})


def test_chat_prompt_ids(tiny):
    _, tok = tiny
    ids = chat_prompt_ids(tok, "look around", system="You are an agent.")
    text = "<|im_start|>system\nYou are an agent.<|im_end|>\n<|im_start|>user\nlook around<|im_end|>\n<|im_start|>assistant\n"
    assert ids == tok.encode(text, add_special_tokens=False)
    assert ids[0] == tok.convert_tokens_to_ids("<|im_start|>")
    assert chat_prompt_ids(tok, "x")[:1] == ids[:1]
    assert tok.decode(chat_prompt_ids(tok, "x")) == "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n"


def test_chat_prompt_ids_without_template(tiny_model_dir):
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_model_dir)
    tok.chat_template = None
    with pytest.raises(UserError, match="chat template"):
        chat_prompt_ids(tok, "hi")


def test_master_weights_load_float32_and_compute_in_the_dtype(tiny_model_dir):
    from siri.policy.precision import compute_dtype

    model, _ = load_policy(tiny_model_dir, device="cpu", dtype="bfloat16", master_weights=True)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert compute_dtype(model) == torch.bfloat16 and not model.training


def test_weights_are_placed_on_the_device_while_loading(monkeypatch):
    import importlib.util

    from siri.policy.loading import _placement

    assert _placement(torch.device("cpu")) == {}  # where transformers makes tensors anyway
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    assert _placement(torch.device("cuda:0")) == {"device_map": torch.device("cuda:0")}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.warns(UserWarning, match=re.escape("pip install 'siri-rl[gpu]'")):
        assert _placement(torch.device("cuda:0")) == {}


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_load_goes_straight_to_the_device(tiny_model_dir, monkeypatch):
    """No parameter is made on the CPU: every tensor is created on the GPU as it is read."""
    made_on_cpu = []
    real = torch.nn.Parameter.__new__

    def spy(cls, data=None, requires_grad=True):
        if data is not None and data.device.type == "cpu" and data.numel() > 1000:
            made_on_cpu.append(tuple(data.shape))
        return real(cls, data, requires_grad)

    monkeypatch.setattr(torch.nn.Parameter, "__new__", spy)
    model, _ = load_policy(tiny_model_dir, device="cuda", dtype="bfloat16")
    monkeypatch.undo()
    assert {p.device.type for p in model.parameters()} == {"cuda"}
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    assert not made_on_cpu, made_on_cpu
