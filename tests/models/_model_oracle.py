"""Checks shared by the model tests: ours against torchaudio 2.8's own model (the oracle) on the same weights."""

from __future__ import annotations

import copy
import io
import pickle
from typing import Callable, Sequence

import torch

from conftest import tol


def keys_and_shapes(model: torch.nn.Module) -> dict:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def assert_same_layout(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    """Same state_dict keys (in the same order) and shapes."""
    a, b = keys_and_shapes(ours), keys_and_shapes(theirs)
    assert list(a) == list(b)
    assert a == b


def load_both_ways(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    """Their weights load into ours strictly and ours into theirs, tensor for tensor."""
    ours.load_state_dict(theirs.state_dict(), strict=True)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    for (ka, va), (kb, vb) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert ka == kb
        torch.testing.assert_close(va, vb, rtol=0, atol=0)


def tolerance_for(dtype: torch.dtype) -> dict:
    # Same operations on the same weights: only the rounding of the dtype separates the two.
    return tol("float64") if dtype == torch.float64 else tol("float32")


def assert_same_outputs(ours, theirs, inputs: Sequence[torch.Tensor], dtype: torch.dtype, call: Callable = None,
                        fast_path: bool = False):
    """Eval mode, same weights: outputs (tuples included) equal; ``fast_path``: ours sums in another order in
    float32 (models/_onednn.py), so the float32 comparison takes the float32_model row."""
    ours.load_state_dict(theirs.state_dict(), strict=True)
    ours, theirs = ours.to(dtype).eval(), theirs.to(dtype).eval()
    inputs = [x.to(dtype) if x.is_floating_point() else x for x in inputs]
    call = call or (lambda m, *xs: m(*xs))
    with torch.no_grad():
        got = call(ours, *[x.clone() for x in inputs])
        want = call(theirs, *[x.clone() for x in inputs])
    tolerance = tol("float32_model") if fast_path and dtype == torch.float32 else tolerance_for(dtype)
    torch.testing.assert_close(got, want, **tolerance)
    return got


def assert_same_gradients(ours, theirs, inputs: Sequence[torch.Tensor], dtype: torch.dtype = torch.float64):
    """Train mode, same weights: the gradients of a random projection of the output equal, per parameter and input."""
    ours.load_state_dict(theirs.state_dict(), strict=True)
    ours, theirs = ours.to(dtype).train(), theirs.to(dtype).train()
    grads = []
    for model in (ours, theirs):
        model.zero_grad()
        xs = [x.to(dtype).clone().requires_grad_(x.is_floating_point()) for x in inputs]
        out = model(*xs)
        out = out[0] if isinstance(out, tuple) else out
        weight = torch.linspace(-1, 1, out.numel(), dtype=dtype).reshape(out.shape)
        (out * weight).sum().backward()
        grads.append([x.grad for x in xs] + [p.grad for p in model.parameters()])
    assert len(grads[0]) == len(grads[1])
    for a, b in zip(*grads):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, **tolerance_for(dtype))


def assert_round_trips(model: torch.nn.Module, inputs: Sequence[torch.Tensor]) -> None:
    """Pickle, deepcopy and torch.save of the whole model give the same outputs."""
    model = model.eval()
    with torch.no_grad():
        want = model(*inputs)
        buffer = io.BytesIO()
        torch.save(model, buffer)
        buffer.seek(0)
        copies = [pickle.loads(pickle.dumps(model)), copy.deepcopy(model), torch.load(buffer, weights_only=False)]
        for other in copies:
            torch.testing.assert_close(other(*inputs), want, rtol=0, atol=0)


def assert_foreign_state_dicts_rejected(model: torch.nn.Module, other_arch: torch.nn.Module, other_size: torch.nn.Module):
    """Another architecture's keys, or this architecture at another size, are refused naming the model, the
    keys and the shapes."""
    import pytest

    name = type(model).__name__
    with pytest.raises(RuntimeError, match=rf"state_dict for {name}:(.|\n)*Missing key\(s\)(.|\n)*Unexpected key\(s\)"):
        model.load_state_dict(other_arch.state_dict())
    with pytest.raises(RuntimeError, match=rf"state_dict for {name}:(.|\n)*size mismatch for .*checkpoint.*current model"):
        model.load_state_dict(other_size.state_dict())


def assert_batch_equals_loop(model: torch.nn.Module, batch: torch.Tensor) -> None:
    """Eval mode, float64: the batched output equals the items run one at a time."""
    model = model.double().eval()
    batch = batch.double()
    with torch.no_grad():
        whole = model(batch)
        items = torch.cat([model(batch[i : i + 1]) for i in range(batch.shape[0])])
    torch.testing.assert_close(whole, items, **tolerance_for(torch.float64))
