"""Shared pieces of scoring fixed answers as continuations of one prefix with a causal LM (the geoparser's LLM
resolver, GeoLLaVA's zero-shot classifier): the prefix runs once, its key/value cache is repeated once per answer,
and the answers go in right-padded (padding after the tokens it could disturb, so no attention mask is needed)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def cache_tensors(cache) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The per-layer (keys, values) of a transformers cache."""
    return [(layer.keys, layer.values) for layer in cache.layers]


def repeated_cache(tensors: Sequence[tuple[torch.Tensor, torch.Tensor]] | None, repeats: int):
    """A `DynamicCache` holding each batch row of `tensors` `repeats` times (an empty one for None)."""
    from transformers.cache_utils import DynamicCache

    if tensors is None:
        return DynamicCache()
    return DynamicCache(
        ddp_cache_data=[
            (k.repeat_interleave(repeats, 0), v.repeat_interleave(repeats, 0)) for k, v in tensors
        ]
    )


def pad_answers(
    answer_ids: Sequence[Sequence[int]], pad_id: int | None, device
) -> tuple[torch.Tensor, torch.Tensor]:
    """`(padded ids, bool mask)` of shape (answers, longest), right-padded with `pad_id` (0 when None)."""
    width = max(len(tokens) for tokens in answer_ids)
    padded = torch.full((len(answer_ids), width), pad_id if pad_id is not None else 0, dtype=torch.long)
    mask = torch.zeros((len(answer_ids), width), dtype=torch.bool)
    for row, tokens in enumerate(answer_ids):
        padded[row, : len(tokens)] = torch.tensor(tokens)
        mask[row, : len(tokens)] = True
    return padded.to(device), mask.to(device)


__all__ = ["cache_tensors", "pad_answers", "repeated_cache"]
