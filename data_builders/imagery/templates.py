"""Templates and vocabularies of the Sentinel <-> text instruction data, in English and French.

Pure data: `instructions.py` fills these. Every template has an id (kept in each example's provenance), the fields
it needs (a template is used only when the patch has them all) and a user turn and an assistant turn. Fields
are computed from the patch's labels and its links (`link.py`), never invented:

- `image` / `Image`: the sensor's image noun ("Sentinel-2 image"); `sensor`: the sensor name;
- `land`: the patch's land-cover classes as one phrase; `land_list`: the same as a list; `n_classes`;
- `class`: one class (present or absent); `main`: the dominant class; `share`: its percent of the pixels;
- `near_where`: "near <place>, <admin>, <country>"; `region`: "<admin>, <country>"; `relative`: "12 km south-west of <place>" (or "at <place>");
- `place`, `admin`, `country`, `town`, `town_distance`, `town_direction`, `natural_list`, `lat`, `lon`;
- `quote`, `title`, `subject`, `quote_note`: a passage sentence quoted verbatim and what it is about.
"""

from __future__ import annotations

import re
import unicodedata

# ------------------------------------------------------------------------------------------ land-cover classes
# Normalized English class name -> (English phrase, French phrase). French names of CORINE Land Cover classes
# follow the official French CLC nomenclature (Service des données et études statistiques); eo-learn's Slovenia
# LULC classes and EuroSAT's classes are translated literally.

CORINE_CLASSES: dict[str, tuple[str, str]] = {
    "continuous urban fabric": ("continuous urban fabric", "tissu urbain continu"),
    "discontinuous urban fabric": ("discontinuous urban fabric", "tissu urbain discontinu"),
    "industrial or commercial units": (
        "industrial or commercial units",
        "zones industrielles ou commerciales et installations publiques",
    ),
    "road and rail networks and associated land": (
        "road and rail networks and associated land",
        "réseaux routier et ferroviaire et espaces associés",
    ),
    "port areas": ("port areas", "zones portuaires"),
    "airports": ("airports", "aéroports"),
    "mineral extraction sites": ("mineral extraction sites", "extraction de matériaux"),
    "dump sites": ("dump sites", "décharges"),
    "construction sites": ("construction sites", "chantiers"),
    "green urban areas": ("green urban areas", "espaces verts urbains"),
    "sport and leisure facilities": ("sport and leisure facilities", "équipements sportifs et de loisirs"),
    "non irrigated arable land": ("non-irrigated arable land", "terres arables hors périmètres d'irrigation"),
    "permanently irrigated land": ("permanently irrigated land", "périmètres irrigués en permanence"),
    "rice fields": ("rice fields", "rizières"),
    "vineyards": ("vineyards", "vignobles"),
    "fruit trees and berry plantations": ("fruit trees and berry plantations", "vergers et petits fruits"),
    "olive groves": ("olive groves", "oliveraies"),
    "pastures": ("pastures", "prairies"),
    "annual crops associated with permanent crops": (
        "annual crops associated with permanent crops",
        "cultures annuelles associées à des cultures permanentes",
    ),
    "complex cultivation patterns": (
        "complex cultivation patterns",
        "systèmes culturaux et parcellaires complexes",
    ),
    "land principally occupied by agriculture with significant areas of natural vegetation": (
        "land principally occupied by agriculture, with significant areas of natural vegetation",
        "surfaces essentiellement agricoles, interrompues par des espaces naturels importants",
    ),
    "agro forestry areas": ("agro-forestry areas", "territoires agroforestiers"),
    "broad leaved forest": ("broad-leaved forest", "forêts de feuillus"),
    "coniferous forest": ("coniferous forest", "forêts de conifères"),
    "mixed forest": ("mixed forest", "forêts mélangées"),
    "natural grassland": ("natural grassland", "pelouses et pâturages naturels"),
    "moors and heathland": ("moors and heathland", "landes et broussailles"),
    "sclerophyllous vegetation": ("sclerophyllous vegetation", "végétation sclérophylle"),
    "transitional woodland shrub": (
        "transitional woodland/shrub",
        "forêt et végétation arbustive en mutation",
    ),
    "beaches dunes sands": ("beaches, dunes, sands", "plages, dunes et sable"),
    "bare rock": ("bare rock", "roches nues"),
    "sparsely vegetated areas": ("sparsely vegetated areas", "végétation clairsemée"),
    "burnt areas": ("burnt areas", "zones incendiées"),
    "glaciers and perpetual snow": ("glaciers and perpetual snow", "glaciers et neiges éternelles"),
    "inland marshes": ("inland marshes", "marais intérieurs"),
    "peatbogs": ("peat bogs", "tourbières"),
    "salt marshes": ("salt marshes", "marais maritimes"),
    "salines": ("salines", "marais salants"),
    "intertidal flats": ("intertidal flats", "zones intertidales"),
    "water courses": ("water courses", "cours et voies d'eau"),
    "water bodies": ("water bodies", "plans d'eau"),
    "coastal lagoons": ("coastal lagoons", "lagunes littorales"),
    "estuaries": ("estuaries", "estuaires"),
    "sea and ocean": ("sea and ocean", "mers et océans"),
}

# BigEarthNet's 19-class nomenclature (Sumbul et al. 2021; BigEarthNet v2 / reBEN).
BIGEARTHNET19_CLASSES: dict[str, tuple[str, str]] = {
    "urban fabric": ("urban fabric", "tissu urbain"),
    "industrial or commercial units": CORINE_CLASSES["industrial or commercial units"],
    "arable land": ("arable land", "terres arables"),
    "permanent crops": ("permanent crops", "cultures permanentes"),
    "pastures": CORINE_CLASSES["pastures"],
    "complex cultivation patterns": CORINE_CLASSES["complex cultivation patterns"],
    "land principally occupied by agriculture with significant areas of natural vegetation": CORINE_CLASSES[
        "land principally occupied by agriculture with significant areas of natural vegetation"
    ],
    "agro forestry areas": CORINE_CLASSES["agro forestry areas"],
    "broad leaved forest": CORINE_CLASSES["broad leaved forest"],
    "coniferous forest": CORINE_CLASSES["coniferous forest"],
    "mixed forest": CORINE_CLASSES["mixed forest"],
    "natural grassland and sparsely vegetated areas": (
        "natural grassland and sparsely vegetated areas",
        "pelouses naturelles et végétation clairsemée",
    ),
    "moors heathland and sclerophyllous vegetation": (
        "moors, heathland and sclerophyllous vegetation",
        "landes, broussailles et végétation sclérophylle",
    ),
    "transitional woodland shrub": CORINE_CLASSES["transitional woodland shrub"],
    "beaches dunes sands": CORINE_CLASSES["beaches dunes sands"],
    "inland wetlands": ("inland wetlands", "zones humides intérieures"),
    "coastal wetlands": ("coastal wetlands", "zones humides littorales"),
    "inland waters": ("inland waters", "eaux continentales"),
    "marine waters": ("marine waters", "eaux maritimes"),
}

# eo-learn's Slovenia land-use/land-cover nomenclature (sentinel-hub/eo-learn examples, LULC classes 1-10).
EOLEARN_LULC_CLASSES: dict[str, tuple[str, str]] = {
    "cultivated land": ("cultivated land", "terres cultivées"),
    "forest": ("forest", "forêt"),
    "grassland": ("grassland", "prairie"),
    "shrubland": ("shrubland", "zones arbustives"),
    "water": ("water", "eau"),
    "wetlands": ("wetlands", "zones humides"),
    "tundra": ("tundra", "toundra"),
    "artificial surface": ("artificial surface", "surfaces artificialisées"),
    "bareland": ("bare land", "sol nu"),
    "bare land": ("bare land", "sol nu"),
    "snow and ice": ("snow and ice", "neige et glace"),
}

# EuroSAT's 10 classes, by folder name (normalized: "AnnualCrop" -> "annual crop") and by the paper's phrase.
EUROSAT_CLASSES: dict[str, tuple[str, str]] = {
    "annual crop": ("annual crop", "cultures annuelles"),
    "forest": ("forest", "forêt"),
    "herbaceous vegetation": ("herbaceous vegetation", "végétation herbacée"),
    "highway": ("highway", "autoroute"),
    "industrial": ("industrial buildings", "bâtiments industriels"),
    "industrial buildings": ("industrial buildings", "bâtiments industriels"),
    "pasture": ("pasture", "pâturage"),
    "permanent crop": ("permanent crop", "cultures permanentes"),
    "residential": ("residential buildings", "bâtiments résidentiels"),
    "residential buildings": ("residential buildings", "bâtiments résidentiels"),
    "river": ("river", "rivière"),
    "sea lake": ("sea or lake", "mer ou lac"),
    "sea or lake": ("sea or lake", "mer ou lac"),
}

# Nomenclature name -> classes; a patch's negatives ("is there X?" -> no) come from its own nomenclature.
NOMENCLATURES: dict[str, dict[str, tuple[str, str]]] = {
    "corine": CORINE_CLASSES,
    "bigearthnet19": BIGEARTHNET19_CLASSES,
    "eolearn_lulc": EOLEARN_LULC_CLASSES,
    "eurosat": EUROSAT_CLASSES,
}


def normalize_class(name: str) -> str:
    """A class key: CamelCase split, lower case, punctuation and underscores as spaces ("AnnualCrop",
    "ANNUAL_CROP", "annual-crop" -> "annual crop"; "Beaches, dunes, sands" -> "beaches dunes sands")."""
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    text = re.sub(r"[^\w]+|_", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


# ------------------------------------------------------------------------------------------------ words
LIST_AND = {"en": "and", "fr": "et"}

IMAGE_NOUNS = {
    "s2_l1c": {"en": "Sentinel-2 image", "fr": "image Sentinel-2"},
    "s2_l2a": {"en": "Sentinel-2 image", "fr": "image Sentinel-2"},
    "s1": {"en": "Sentinel-1 radar image", "fr": "image radar Sentinel-1"},
    "rgb": {"en": "Sentinel-2 true-colour image", "fr": "image Sentinel-2 en couleurs naturelles"},
}
SENSOR_NAMES = {
    "s2_l1c": {"en": "Sentinel-2", "fr": "Sentinel-2"},
    "s2_l2a": {"en": "Sentinel-2", "fr": "Sentinel-2"},
    "s1": {"en": "Sentinel-1", "fr": "Sentinel-1"},
    "rgb": {"en": "Sentinel-2", "fr": "Sentinel-2"},
}

COMPASS_WORDS = {
    "en": {
        "N": "north",
        "NE": "north-east",
        "E": "east",
        "SE": "south-east",
        "S": "south",
        "SW": "south-west",
        "W": "west",
        "NW": "north-west",
    },
    # With the preposition French needs before it: "au nord de", "à l'est de".
    "fr": {
        "N": "au nord",
        "NE": "au nord-est",
        "E": "à l'est",
        "SE": "au sud-est",
        "S": "au sud",
        "SW": "au sud-ouest",
        "W": "à l'ouest",
        "NW": "au nord-ouest",
    },
}

# "12 km south-west of Ljubljana" / "à 12 km au sud-ouest de Ljubljana"; `of` is "de" or "d'" before a vowel.
RELATIVE = {
    "en": {"at": "at {place}", "near": "{distance} km {direction} of {place}", "near_where": "near {where}"},
    "fr": {
        "at": "à {place}",
        "near": "à {distance} km {direction} {of}{place}",
        "near_where": "près {of}{where}",
    },
}
QUOTE_NOTES = {"en": "", "fr": " (citation en {lang_name})"}
LANGUAGE_NAMES = {
    "fr": {"en": "anglais", "fr": "français", "de": "allemand", "es": "espagnol", "it": "italien"}
}

# ------------------------------------------------------------------------------------------------ templates
# task -> language -> templates. `requires` names the fields that must be non-empty.

CAPTION = {
    "en": [
        {
            "id": "caption/en/full-1",
            "requires": ("land", "near_where"),
            "user": "Write a one-sentence caption for this image.",
            "assistant": "{Image} of {land} {near_where}.",
        },
        {
            "id": "caption/en/full-2",
            "requires": ("land", "relative", "region"),
            "user": "Describe this image in one sentence.",
            "assistant": "{Image} showing {land}, {relative} ({region}).",
        },
        {
            "id": "caption/en/full-3",
            "requires": ("land", "near_where"),
            "user": "What does this {sensor} image show, and where?",
            "assistant": "It shows {land} {near_where}.",
        },
        {
            "id": "caption/en/place-1",
            "requires": ("near_where",),
            "user": "Write a one-sentence caption for this image.",
            "assistant": "{Image} of an area {near_where}.",
        },
        {
            "id": "caption/en/land-1",
            "requires": ("land",),
            "user": "Write a one-sentence caption for this image.",
            "assistant": "{Image} of {land}.",
        },
        {
            "id": "caption/en/land-2",
            "requires": ("land",),
            "user": "Describe this image in one sentence.",
            "assistant": "A {sensor} view of {land}.",
        },
    ],
    "fr": [
        {
            "id": "caption/fr/full-1",
            "requires": ("land", "near_where"),
            "user": "Écris une légende d'une phrase pour cette image.",
            "assistant": "{Image} : {land}, {near_where}.",
        },
        {
            "id": "caption/fr/full-2",
            "requires": ("land", "relative", "region"),
            "user": "Décris cette image en une phrase.",
            "assistant": "{Image} : {land}, {relative} ({region}).",
        },
        {
            "id": "caption/fr/full-3",
            "requires": ("land", "near_where"),
            "user": "Que montre cette image {sensor}, et où ?",
            "assistant": "Elle montre : {land}, {near_where}.",
        },
        {
            "id": "caption/fr/place-1",
            "requires": ("near_where",),
            "user": "Écris une légende d'une phrase pour cette image.",
            "assistant": "{Image} d'une zone située {near_where}.",
        },
        {
            "id": "caption/fr/land-1",
            "requires": ("land",),
            "user": "Écris une légende d'une phrase pour cette image.",
            "assistant": "{Image} : {land}.",
        },
        {
            "id": "caption/fr/land-2",
            "requires": ("land",),
            "user": "Décris cette image en une phrase.",
            "assistant": "Vue {sensor} : {land}.",
        },
    ],
}

LAND_COVER = {
    "en": [
        {
            "id": "land_cover/en/list-1",
            "requires": ("land_list",),
            "user": "Which land cover classes are present in this image?",
            "assistant": "{Land_list}.",
        },
        {
            "id": "land_cover/en/list-2",
            "requires": ("land_list", "n_classes"),
            "user": "List the land cover and land use classes you can see.",
            "assistant": "{n_classes}: {land_list}.",
        },
        {
            "id": "land_cover/en/present-1",
            "requires": ("present",),
            "user": 'Does this image contain the land cover class "{present}"?',
            "assistant": 'Yes, "{present}" is present.',
        },
        {
            "id": "land_cover/en/absent-1",
            "requires": ("absent",),
            "user": 'Does this image contain the land cover class "{absent}"?',
            "assistant": 'No, there is no "{absent}" in this image.',
        },
        {
            "id": "land_cover/en/main-1",
            "requires": ("main",),
            "user": "What is the main land cover in this image?",
            "assistant": "{Main}.",
        },
        {
            "id": "land_cover/en/share-1",
            "requires": ("main", "share"),
            "user": "Which land cover covers most of this image, and how much of it?",
            "assistant": "{Main}, about {share}% of the image.",
        },
    ],
    "fr": [
        {
            "id": "land_cover/fr/list-1",
            "requires": ("land_list",),
            "user": "Quelles classes d'occupation du sol sont présentes dans cette image ?",
            "assistant": "{Land_list}.",
        },
        {
            "id": "land_cover/fr/list-2",
            "requires": ("land_list", "n_classes"),
            "user": "Énumère les classes d'occupation et d'usage du sol visibles.",
            "assistant": "{n_classes} : {land_list}.",
        },
        {
            "id": "land_cover/fr/present-1",
            "requires": ("present",),
            "user": "Cette image contient-elle la classe d'occupation du sol « {present} » ?",
            "assistant": "Oui, la classe « {present} » est présente.",
        },
        {
            "id": "land_cover/fr/absent-1",
            "requires": ("absent",),
            "user": "Cette image contient-elle la classe d'occupation du sol « {absent} » ?",
            "assistant": "Non, la classe « {absent} » est absente de cette image.",
        },
        {
            "id": "land_cover/fr/main-1",
            "requires": ("main",),
            "user": "Quelle est l'occupation du sol principale dans cette image ?",
            "assistant": "{Main}.",
        },
        {
            "id": "land_cover/fr/share-1",
            "requires": ("main", "share"),
            "user": "Quelle occupation du sol couvre la plus grande partie de l'image, et dans quelle proportion ?",
            "assistant": "{Main}, environ {share} % de l'image.",
        },
    ],
}

LOCATION = {
    "en": [
        {
            "id": "location/en/country-1",
            "requires": ("country",),
            "user": "In which country was this image taken?",
            "assistant": "{country}.",
        },
        {
            "id": "location/en/region-1",
            "requires": ("admin", "country"),
            "user": "Which region does this image show?",
            "assistant": "{admin}, {country}.",
        },
        {
            "id": "location/en/town-1",
            "requires": ("town", "town_distance", "town_direction"),
            "user": "What is the nearest town?",
            "assistant": "{town}, about {town_distance} km to the {town_direction}.",
        },
        {
            "id": "location/en/town-2",
            "requires": ("town_at",),
            "user": "What is the nearest town?",
            "assistant": "The image shows {town_at} itself.",
        },
        {
            "id": "location/en/where-1",
            "requires": ("relative", "region", "lat", "lon"),
            "user": "Where is this image located?",
            "assistant": "{Relative} ({region}), around {lat}, {lon}.",
        },
        {
            "id": "location/en/natural-1",
            "requires": ("natural_list",),
            "user": "Which named natural features are in or near this image?",
            "assistant": "{Natural_list}.",
        },
    ],
    "fr": [
        {
            "id": "location/fr/country-1",
            "requires": ("country",),
            "user": "Dans quel pays cette image a-t-elle été prise ?",
            "assistant": "Pays : {country}.",
        },
        {
            "id": "location/fr/region-1",
            "requires": ("admin", "country"),
            "user": "Quelle région cette image montre-t-elle ?",
            "assistant": "{admin} ({country}).",
        },
        {
            "id": "location/fr/town-1",
            "requires": ("town", "town_distance", "town_direction"),
            "user": "Quelle est la ville la plus proche ?",
            "assistant": "{town}, à environ {town_distance} km {town_direction}.",
        },
        {
            "id": "location/fr/town-2",
            "requires": ("town_at",),
            "user": "Quelle est la ville la plus proche ?",
            "assistant": "L'image montre la ville de {town_at} elle-même.",
        },
        {
            "id": "location/fr/where-1",
            "requires": ("relative", "region", "lat", "lon"),
            "user": "Où se trouve la zone de cette image ?",
            "assistant": "{Relative} ({region}), vers {lat}, {lon}.",
        },
        {
            "id": "location/fr/natural-1",
            "requires": ("natural_list",),
            "user": "Quels éléments naturels nommés se trouvent dans cette image ou à proximité ?",
            "assistant": "{Natural_list}.",
        },
    ],
}

GEOTEXT = {
    "en": [
        {
            "id": "geotext/en/quote-1",
            "requires": ("quote", "subject", "title"),
            "user": "What does written text say about the place shown in this image?",
            "assistant": 'This image lies {placement}. "{title}" says about {subject}: "{quote}"',
        },
        {
            "id": "geotext/en/quote-2",
            "requires": ("quote", "subject", "title"),
            "user": "Describe the area in this image using a text about it.",
            "assistant": 'The area is {placement}. A passage of "{title}" about {subject} reads: "{quote}"',
        },
        {
            "id": "geotext/en/quote-3",
            "requires": ("quote", "subject", "title"),
            "user": "Quote a passage about the place in this image, and say how it relates to the image.",
            "assistant": '"{quote}" ("{title}", about {subject}; the image lies {placement}.)',
        },
    ],
    "fr": [
        {
            "id": "geotext/fr/quote-1",
            "requires": ("quote", "subject", "title"),
            "user": "Que dit un texte sur le lieu montré dans cette image ?",
            "assistant": "Cette image se situe {placement}. Extrait de « {title} » ({subject}) : « {quote} »{quote_note}",
        },
        {
            "id": "geotext/fr/quote-2",
            "requires": ("quote", "subject", "title"),
            "user": "Décris la zone de cette image à l'aide d'un texte qui en parle.",
            "assistant": (
                "La zone se trouve {placement}. Un passage de « {title} » qui parle de ce lieu ({subject}) : "
                "« {quote} »{quote_note}"
            ),
        },
        {
            "id": "geotext/fr/quote-3",
            "requires": ("quote", "subject", "title"),
            "user": "Cite un passage sur le lieu de cette image et dis quel est son lien avec l'image.",
            "assistant": "« {quote} »{quote_note} (« {title} », lieu : {subject} ; l'image se situe {placement}.)",
        },
    ],
}

# Closed-set classification: the prompt of zero-shot evaluation (`eval.eo.modes.instruction_for` renders the same
# system turn and question), answered by the dominant class exactly as listed, so that training and zero-shot
# scoring share one format. `{options}` is the patch's nomenclature, shuffled per example; `{subject}` what is
# classified (one template per subject wording).
CHOICE_INSTRUCTION = {
    "en": "You see a Sentinel image. Name its {subject}. Answer with exactly one of: {options}.",
    "fr": "Tu vois une image Sentinel. Nomme son {subject}. Réponds par exactement une de ces classes : {options}.",
}
CHOICE_QUESTIONS = {
    "en": "What {subject} does this image show?",
    "fr": "Quel type d'{subject} cette image montre-t-elle ?",
}
# English subject -> French; the evaluation says "land use" (EuroSAT) or "land cover" (maps, BigEarthNet).
CHOICE_SUBJECTS = {
    "land cover": "occupation du sol",
    "land use": "usage du sol",
    "land cover class": "occupation du sol principale",
}
OPTION_SEPARATOR = "; "

CLASSIFICATION = {
    lang: [
        {
            "id": f"classification/{lang}/choice-{n}",
            "requires": ("main_option", "options"),
            "system": CHOICE_INSTRUCTION[lang].format(
                subject=subject if lang == "en" else french, options="{options}"
            ),
            "user": CHOICE_QUESTIONS[lang].format(subject=subject if lang == "en" else french),
            "assistant": "{main_option}",
        }
        for n, (subject, french) in enumerate(CHOICE_SUBJECTS.items(), start=1)
    ]
    for lang in ("en", "fr")
}

TEMPLATES = {
    "caption": CAPTION,
    "land_cover": LAND_COVER,
    "location": LOCATION,
    "geotext": GEOTEXT,
    "classification": CLASSIFICATION,
}


__all__ = [
    "BIGEARTHNET19_CLASSES",
    "CAPTION",
    "CHOICE_INSTRUCTION",
    "CHOICE_QUESTIONS",
    "CHOICE_SUBJECTS",
    "CLASSIFICATION",
    "COMPASS_WORDS",
    "CORINE_CLASSES",
    "EOLEARN_LULC_CLASSES",
    "EUROSAT_CLASSES",
    "GEOTEXT",
    "IMAGE_NOUNS",
    "LAND_COVER",
    "LANGUAGE_NAMES",
    "LIST_AND",
    "LOCATION",
    "NOMENCLATURES",
    "OPTION_SEPARATOR",
    "QUOTE_NOTES",
    "RELATIVE",
    "SENSOR_NAMES",
    "TEMPLATES",
    "normalize_class",
]
