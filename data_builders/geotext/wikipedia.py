"""Wikipedia and WikiNews XML dumps (`pages-articles.xml.bz2`), streamed, as geotext with distant labels.

Pages are read one at a time with `xml.etree.ElementTree.iterparse` (through `bz2` when the name ends in .bz2) and
cleared after use, so a dump of any size runs in constant memory. Only articles (namespace 0, not redirects) are
kept. The wikitext is rendered to plain text with mwparserfromhell, keeping each link's displayed text and
target; templates, references, tables, files and comments are dropped. Labels (all `distant`):

- links to articles the gazetteer resolves by title ("[[Paris, Texas|Paris]]" -> Paris in Texas): the entity whose
  `wikipedia` field names the page, else the only candidate of the title's name, or the only one whose admin area
  or country matches the title's qualifier ("Paris, Texas", "Georgia (country)");
- the article's own `{{coord}}` (display=title, or the first one): the mentions of the article's name are labelled
  with the candidate of that name nearest to these coordinates (within `OWN_COORD_KM`).

A dump with broken markup stops at the broken place: the pages before it are kept, the error is counted in the
build report with its line, and pages whose wikitext cannot be parsed are counted and skipped.
"""

from __future__ import annotations

import bz2
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.linking import DistantLabeler
from data_builders.geotext.schema import make_record, make_toponym
from georeset.errors import BadInputError

if TYPE_CHECKING:
    from data_builders.gazetteer.index import Candidate, GazetteerIndex

OWN_COORD_KM = 50.0
DROPPED_TAGS = frozenset(
    {"ref", "references", "gallery", "math", "score", "timeline", "syntaxhighlight", "table"}
)
FILE_PREFIXES = ("file:", "image:", "category:", "media:")
_QUALIFIED = re.compile(r"^(?P<name>.+?)(?:,\s*(?P<comma>[^,()]+)|\s*\((?P<paren>[^()]+)\))$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _open(path: Path):
    return bz2.open(path, "rb") if path.suffix == ".bz2" else path.open("rb")


def iter_pages(path: str | Path, report: BuildReport, source: str) -> Iterator[dict]:
    """`{"id", "title", "ns", "redirect", "text", "lang"}` per page of a MediaWiki XML export, streamed."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInputError(f"{source} dump {path}: no such file")
    lang = "en"
    with _open(path) as handle:
        try:
            for event, element in ET.iterparse(handle, events=("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "mediawiki":
                        lang = element.get("{http://www.w3.org/XML/1998/namespace}lang") or lang
                    continue
                if tag != "page":
                    continue
                fields = {_local(child.tag): child for child in element}
                revision = fields.get("revision")
                text_element = None
                if revision is not None:
                    text_element = next((c for c in revision if _local(c.tag) == "text"), None)
                yield {
                    "id": (fields["id"].text or "").strip() if "id" in fields else "",
                    "title": (fields["title"].text or "").strip() if "title" in fields else "",
                    "ns": (fields["ns"].text or "0").strip() if "ns" in fields else "0",
                    "redirect": "redirect" in fields,
                    "text": (text_element.text or "") if text_element is not None else "",
                    "lang": lang,
                }
                element.clear()
        except ET.ParseError as err:
            report.reject(source, "broken XML: the dump is read up to this point", f"{path}: {err}")
        except (OSError, EOFError) as err:  # truncated or corrupt bz2 stream
            report.reject(source, "unreadable or truncated dump: read up to this point", f"{path}: {err}")


def _render(nodes, out: list[str], links: list[tuple[int, int, str]]) -> None:
    """Append the plain text of wikicode nodes to `out`, noting (start, end, target) of each article link."""
    import mwparserfromhell.nodes as n

    for node in nodes:
        if isinstance(node, n.Text):
            out.append(str(node))
        elif isinstance(node, n.Wikilink):
            target = str(node.title).strip()
            if target.lower().startswith(FILE_PREFIXES) or ":" in target.split("#")[0][:12]:
                continue  # files, categories, interwiki: not part of the running text
            shown = node.text.strip_code().strip() if node.text is not None else target.split("#")[0]
            start = sum(map(len, out))
            out.append(shown)
            if shown and target and not target.startswith("#"):
                links.append((start, start + len(shown), target.split("#")[0]))
        elif isinstance(node, n.Heading):
            out.append("\n" + node.title.strip_code().strip() + "\n")
        elif isinstance(node, n.Tag):
            if str(node.tag).lower() in DROPPED_TAGS or node.contents is None:
                if str(node.tag).lower() in ("br",):
                    out.append("\n")
                continue
            _render(node.contents.nodes, out, links)
        elif isinstance(node, n.ExternalLink):
            if node.title is not None:
                out.append(node.title.strip_code())
        elif isinstance(node, n.HTMLEntity):
            out.append(node.normalize())
        # Templates, comments, arguments, parser functions: dropped.


def _tidy(text: str, links: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """Collapse runs of spaces and blank lines, moving the link offsets along."""
    keep = []
    mapping = [0] * (len(text) + 1)
    previous = "\n"
    for i, char in enumerate(text):
        mapping[i] = len(keep)
        if char in " \t" and previous in " \n":
            continue
        if char == "\n" and previous == "\n" and keep[-2:] == ["\n", "\n"]:
            continue
        keep.append(char)
        previous = char
    mapping[len(text)] = len(keep)
    plain = "".join(keep)
    moved = [(mapping[s], mapping[e], t) for s, e, t in links]
    stripped = len(plain) - len(plain.lstrip())
    plain = plain.strip()
    return plain, [
        (s - stripped, e - stripped, t) for s, e, t in moved if 0 <= s - stripped < e - stripped <= len(plain)
    ]


def _dms(parts: list[str]) -> float | None:
    numbers = [float(p) for p in parts]
    if not numbers:
        return None
    return numbers[0] + sum(x / 60**i for i, x in enumerate(numbers[1:], 1)) * (1 if numbers[0] >= 0 else -1)


def parse_coord(params: list[str]) -> tuple[float, float] | None:
    """(lat, lon) of a `{{coord}}` template's positional parameters (decimal or d/m/s with N/S/E/W), else None."""
    params = [p.strip() for p in params if p.strip()]
    try:
        hemis = [i for i, p in enumerate(params) if p.upper() in ("N", "S", "E", "W")]
        if len(hemis) >= 2:
            (ns, ew) = hemis[:2]
            lat = _dms(params[:ns])
            lon = _dms(params[ns + 1 : ew])
            if lat is None or lon is None:
                return None
            lat *= -1 if params[ns].upper() == "S" else 1
            lon *= -1 if params[ew].upper() == "W" else 1
        else:
            lat, lon = float(params[0]), float(params[1])
    except (ValueError, IndexError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def own_coordinates(wikicode) -> tuple[float, float] | None:
    """The article's coordinates: the `{{coord}}` with display=title, else the first parseable one."""
    found = []
    for template in wikicode.filter_templates(recursive=True):
        if str(template.name).strip().lower() != "coord":
            continue
        positional = [str(p.value) for p in template.params if not p.showkey]
        point = parse_coord(positional)
        if point is None:
            continue
        display = str(template.get("display").value).lower() if template.has("display") else ""
        if "title" in display:
            return point
        found.append(point)
    return found[0] if found else None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 12_742.0 * math.asin(min(1.0, math.sqrt(a)))


class TitleResolver:
    """Wikipedia page titles -> gazetteer entities (see the module docstring)."""

    def __init__(self, index: GazetteerIndex, lang: str = "en") -> None:
        self.index = index
        self.lang = lang
        self.labeler = DistantLabeler(index)
        self._cache: dict[str, Candidate | None] = {}

    def resolve(self, title: str) -> Candidate | None:
        """The entity a page title names, or None when the gazetteer does not settle it."""
        title = title.replace("_", " ").strip()
        if title[:1].islower():
            title = title[:1].upper() + title[1:]
        if title not in self._cache:
            self._cache[title] = self._resolve(title)
        return self._cache[title]

    def _resolve(self, title: str) -> Candidate | None:
        match = _QUALIFIED.match(title)
        name = match.group("name").strip() if match else title
        qualifier = (match.group("comma") or match.group("paren") or "").strip().lower() if match else ""
        candidates = self.labeler.exact_candidates(name)
        if not candidates:
            return None
        wanted = f"{self.lang}:{title}"
        for cand in candidates[:5]:
            if self.index.entity(cand.entity_id).get("wikipedia") == wanted:
                return cand
        if qualifier:
            kept = [
                c
                for c in candidates
                if qualifier
                in (c.admin1_name.lower(), c.admin2_name.lower(), c.feature_type.replace("_", " "))
                or qualifier in self._country_names(c.country_code)
            ]
            return kept[0] if len(kept) == 1 else None
        decided = self.labeler.decide(name)
        return decided[0] if decided else None

    def _country_names(self, code: str) -> set[str]:
        from modeling.geoparsing.countries import country_display_name

        return {country_display_name(code).lower(), "country"} if code else set()

    def nearest(self, name: str, lat: float, lon: float) -> Candidate | None:
        """The candidate named `name` nearest to (lat, lon), within `OWN_COORD_KM`."""
        best = min(
            self.labeler.exact_candidates(name), key=lambda c: _km(lat, lon, c.lat, c.lon), default=None
        )
        return best if best is not None and _km(lat, lon, best.lat, best.lon) <= OWN_COORD_KM else None


def page_record(page: dict, resolver: TitleResolver | None, report: BuildReport, source: str) -> dict | None:
    """The geotext record of one article page, or None (counted) when it is not a usable article."""
    import mwparserfromhell

    if page["ns"] != "0" or page["redirect"]:
        report.skip(source, "not an article (other namespace or redirect)")
        return None
    try:
        wikicode = mwparserfromhell.parse(page["text"])
        pieces: list[str] = []
        links: list[tuple[int, int, str]] = []
        _render(wikicode.nodes, pieces, links)
    except Exception as err:  # mwparserfromhell raises assorted errors on pathological markup
        report.reject(source, "wikitext that cannot be parsed", f"{page['title']}: {err!r}")
        return None
    text, links = _tidy("".join(pieces), links)
    if not text:
        report.reject(source, "article without text", page["title"])
        return None
    toponyms = []
    if resolver is not None:
        taken = bytearray(len(text))
        point = own_coordinates(wikicode)
        if point is not None:
            own = resolver.nearest(_QUALIFIED.sub(r"\g<name>", page["title"]), *point)
            if own is not None:
                name = _QUALIFIED.sub(r"\g<name>", page["title"])
                for found in re.finditer(rf"\b{re.escape(name)}\b", text):
                    toponyms.append(
                        make_toponym(
                            text,
                            found.start(),
                            found.end(),
                            entity_id=own.entity_id,
                            lat=own.lat,
                            lon=own.lon,
                            label_source="distant",
                        )
                    )
                    taken[found.start() : found.end()] = b"\x01" * (found.end() - found.start())
        for start, end, target in links:
            if any(taken[start:end]):
                continue
            cand = resolver.resolve(target)
            if cand is not None:
                toponyms.append(
                    make_toponym(
                        text,
                        start,
                        end,
                        entity_id=cand.entity_id,
                        lat=cand.lat,
                        lon=cand.lon,
                        label_source="distant",
                    )
                )
                taken[start:end] = b"\x01" * (end - start)
        if not toponyms:
            report.skip(source, "document without any resolvable mention")
    title = page["title"]
    host = "wikinews" if source == "wikinews" else "wikipedia"
    return make_record(
        f"{source}:{page['lang']}:{page['id'] or title}",
        text,
        source=source,
        lang=page["lang"],
        url=f"https://{page['lang']}.{host}.org/wiki/{title.replace(' ', '_')}",
        title=title,
        toponyms=toponyms,
    )


def read_wiki_dump(
    path: str | Path,
    index: GazetteerIndex | None,
    report: BuildReport,
    *,
    source: str = "wikipedia",
    limit: int | None = None,
) -> Iterator[dict]:
    """Geotext records of a MediaWiki XML dump (Wikipedia or WikiNews), streamed."""
    resolver = None
    count = 0
    for page in iter_pages(path, report, source):
        if resolver is None and index is not None:
            resolver = TitleResolver(index, page["lang"])
        record = page_record(page, resolver, report, source)
        if record is None:
            continue
        report.count_read(source)
        yield record
        count += 1
        if limit is not None and count >= limit:
            return


__all__ = [
    "OWN_COORD_KM",
    "TitleResolver",
    "iter_pages",
    "own_coordinates",
    "page_record",
    "parse_coord",
    "read_wiki_dump",
]
