"""all-MiniLM-L6-v2's BERT encoder as a numpy forward pass (float32, CPU, no PyTorch).

The weights load once into an immutable `MiniLM`; `MiniLM.pool` is a pure function of its
arguments, so any number of threads may run it at once. Speed comes from BLAS: the query, key
and value projections are one fused matrix product, attention runs one sequence at a time so
its score matrices stay in cache, and elementwise work is done in place on float32 arrays.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file

Array = NDArray[np.float32]

# Abramowitz & Stegun 7.1.26: 1 - erf(z) to within 1.5e-7 for z >= 0, below float32's resolution
# around 1. p is pre-divided by sqrt 2 (z = x / sqrt 2), the coefficients pre-halved for GELU.
_ERF_P = np.float32(0.3275911 / math.sqrt(2))
_ERFC_HALF = tuple(
    np.float32(a / 2) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)
_FFN_ROWS = 256


@dataclass(frozen=True, slots=True)
class Layer:
    """One encoder layer, its matrices transposed to (in, out) so `x @ w` needs no copy."""

    qkv: Array
    qkv_bias: Array
    out: Array
    out_bias: Array
    norm1: tuple[Array, Array]
    up: Array
    up_bias: Array
    down: Array
    down_bias: Array
    norm2: tuple[Array, Array]


@dataclass(frozen=True, slots=True)
class MiniLM:
    """The encoder's weights; `pool` maps token ids to mean-pooled, unnormalised vectors."""

    words: Array
    positions: Array  # position embeddings plus the token-type-0 embedding, pre-added
    norm: tuple[Array, Array]
    layers: tuple[Layer, ...]
    heads: int
    eps: np.float32

    @classmethod
    def load(cls, directory: Path) -> MiniLM:
        """Read config.json and model.safetensors from a sentence-transformers model dir."""
        config = json.loads((directory / "config.json").read_text())
        w = load_file(directory / "model.safetensors")
        heads = int(config["num_attention_heads"])
        scale = 1 / math.sqrt(int(config["hidden_size"]) // heads)
        layers = tuple(
            _load_layer(w, f"encoder.layer.{i}.", scale) for i in range(config["num_hidden_layers"])
        )
        return cls(
            words=w["embeddings.word_embeddings.weight"],
            positions=w["embeddings.position_embeddings.weight"]
            + w["embeddings.token_type_embeddings.weight"][0],
            norm=_norm(w, "embeddings.LayerNorm."),
            layers=layers,
            heads=heads,
            eps=np.float32(config["layer_norm_eps"]),
        )

    def pool(self, ids: NDArray[np.int64], lengths: Sequence[int]) -> Array:
        """Mean of the last hidden states over the real tokens: (batch, n) ids -> (batch, dim).

        Rows are right-padded to a common length n; `lengths` says how many tokens of each are
        real. Attention reads only the first `length` keys of its row, so padding never reaches
        a real token (the same result as an additive -inf mask, without computing the padded
        scores), and the mean skips padding too.
        """
        batch, n = ids.shape
        x = self.words[ids]
        x += self.positions[:n]
        x = x.reshape(batch * n, -1)
        _layer_norm(x, self.norm, self.eps)
        for layer in self.layers:
            x = self._layer(layer, x, lengths)
        hidden = x.reshape(batch, n, -1)
        return np.stack([hidden[b, :length].mean(axis=0) for b, length in enumerate(lengths)])

    def _layer(self, layer: Layer, x: Array, lengths: Sequence[int]) -> Array:
        """Attention then feed-forward, each followed by a residual add and a LayerNorm."""
        batch, n = len(lengths), x.shape[0] // len(lengths)
        qkv = x @ layer.qkv
        qkv += layer.qkv_bias
        heads = qkv.reshape(batch, n, 3, self.heads, -1).transpose(2, 0, 3, 1, 4)
        q, k, v = np.ascontiguousarray(heads)
        context = np.zeros((batch, n, x.shape[1]), dtype=np.float32)
        for b, length in enumerate(lengths):
            context[b, :length] = _attend(q[b, :, :length], k[b, :, :length], v[b, :, :length])
        h = context.reshape(batch * n, -1) @ layer.out
        h += layer.out_bias
        h += x
        _layer_norm(h, layer.norm1, self.eps)
        out = np.empty_like(h)
        for rows in range(0, h.shape[0], _FFN_ROWS):
            _feed_forward(layer, h[rows : rows + _FFN_ROWS], out[rows : rows + _FFN_ROWS])
        out += h
        _layer_norm(out, layer.norm2, self.eps)
        return out


def _load_layer(w: dict[str, Any], prefix: str, scale: float) -> Layer:
    """Fuse query (pre-scaled by 1/sqrt(head size)), key and value into one (in, 3*in) matrix."""
    attn = prefix + "attention.self."
    qkv = np.concatenate(
        [
            w[attn + "query.weight"] * np.float32(scale),
            w[attn + "key.weight"],
            w[attn + "value.weight"],
        ]
    )
    qkv_bias = np.concatenate(
        [w[attn + "query.bias"] * np.float32(scale), w[attn + "key.bias"], w[attn + "value.bias"]]
    )
    return Layer(
        qkv=np.ascontiguousarray(qkv.T),
        qkv_bias=qkv_bias,
        out=np.ascontiguousarray(w[prefix + "attention.output.dense.weight"].T),
        out_bias=w[prefix + "attention.output.dense.bias"],
        norm1=_norm(w, prefix + "attention.output.LayerNorm."),
        up=np.ascontiguousarray(w[prefix + "intermediate.dense.weight"].T),
        up_bias=w[prefix + "intermediate.dense.bias"],
        down=np.ascontiguousarray(w[prefix + "output.dense.weight"].T),
        down_bias=w[prefix + "output.dense.bias"],
        norm2=_norm(w, prefix + "output.LayerNorm."),
    )


def _feed_forward(layer: Layer, h: Array, out: Array) -> None:
    """down(gelu(up(h))) into `out`; callers pass a slice of rows so the wide (rows, 1536)
    intermediate stays in cache through GELU's dozen elementwise passes."""
    up = h @ layer.up
    up += layer.up_bias
    _gelu(up)
    np.matmul(up, layer.down, out=out)
    out += layer.down_bias


def _norm(w: dict[str, Any], prefix: str) -> tuple[Array, Array]:
    return w[prefix + "weight"], w[prefix + "bias"]


def _attend(q: Array, k: Array, v: Array) -> Array:
    """Softmax(q k^T) v for one sequence's heads: (heads, n, d) -> (n, heads * d)."""
    scores: Array = q @ k.transpose(0, 2, 1)
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    context: Array = scores @ v
    return context.transpose(1, 0, 2).reshape(q.shape[1], -1)


def _layer_norm(x: Array, norm: tuple[Array, Array], eps: np.float32) -> None:
    """LayerNorm over the last axis, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    variance = np.einsum("ij,ij->i", x, x)[:, None]
    variance /= np.float32(x.shape[-1])
    variance += eps
    np.sqrt(variance, out=variance)
    x /= variance
    x *= norm[0]
    x += norm[1]


def _gelu(x: Array) -> None:
    """GELU in its exact (erf) form, in place, as HF BERT computes it.

    numpy has no erf, so this uses Abramowitz & Stegun's approximation of 1 - erf(|z|) =
    poly(t) * exp(-z^2), t = 1 / (1 + p|z|), z = x / sqrt 2. Then x * (1 + erf(z)) / 2 equals
    max(x, 0) - |x| * (1 - erf(|z|)) / 2 for either sign of x, which needs no branch.
    """
    a = np.abs(x)
    t = a * _ERF_P
    t += 1
    np.reciprocal(t, out=t)
    poly = t * _ERFC_HALF[0]
    for coefficient in _ERFC_HALF[1:]:
        poly += coefficient
        poly *= t
    np.multiply(a, a, out=t)
    t *= np.float32(-0.5)
    np.exp(t, out=t)
    poly *= t
    poly *= a
    np.maximum(x, 0, out=x)
    x -= poly
