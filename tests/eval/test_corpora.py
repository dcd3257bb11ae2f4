"""Corpus readers on fixtures in the real formats, their error messages, and the real corpora when present."""

from __future__ import annotations

import pytest

from data_builders.geotext.corpora import detect_format, load_corpus
from georeset.errors import BadInputError


def test_lgl_reads_ids_coordinates_and_toponyms_without_gaztag(tmp_path, kit):
    corpus = load_corpus(kit.write_lgl(tmp_path / "lgl.xml"))
    assert (corpus.format, corpus.name, corpus.n_documents, corpus.n_toponyms) == ("lgl", "lgl", 2, 6)
    assert corpus.n_toponyms_with_coordinates == 5
    first, second = corpus.documents
    assert first.doc_id == "101" and first.text == kit.TEXT_A
    paris = first.toponyms[0]
    assert (paris.text, paris.geonames_id, paris.lat, paris.lon, paris.name) == (
        "Paris",
        2988507,
        48.85341,
        2.3488,
        "Paris",
    )
    street = next(t for t in second.toponyms if t.text == "Memphis St.")
    assert street.lat is None and street.geonames_id is None and not street.has_coordinates
    for doc in corpus.documents:
        assert all(doc.text[t.start : t.end] == t.text for t in doc.toponyms)
    assert (corpus.offset_shift, corpus.offset_mismatches, corpus.unshifted_mismatches) == (0, 0, 0)


def test_geovirus_one_based_offsets_are_detected_and_shifted(tmp_path, kit):
    corpus = load_corpus(kit.write_geovirus(tmp_path / "GeoVirus.xml"))
    assert (corpus.format, corpus.name) == ("geovirus", "geovirus")
    assert corpus.offset_shift == -1 and corpus.unshifted_mismatches == 3 and corpus.offset_mismatches == 0
    doc = corpus.documents[0]
    assert [t.text for t in doc.toponyms] == ["Paris", "Lyon", "Texas"]  # sorted by offset
    assert all(doc.text[t.start : t.end] == t.text for t in doc.toponyms)
    assert doc.toponyms[2].name == "Texas" and doc.toponyms[2].lat == 31.0


def test_wiktor_gold_lines_keep_windows_line_ends_in_offsets(tmp_path, kit):
    folder = kit.write_wiktor(tmp_path / "WikToR")
    for path in (folder, folder / "gold.txt"):
        corpus = load_corpus(path)
        assert (corpus.format, corpus.name, corpus.n_documents, corpus.n_toponyms) == (
            "gold-lines",
            "wiktor",
            2,
            3,
        )
        assert corpus.offset_mismatches == 0
    second = corpus.documents[1]
    assert "\r\n" in second.text
    assert [second.text[t.start : t.end] for t in second.toponyms] == ["Springfield", "Springfield"]
    assert second.toponyms[0].name == "Springfield, Missouri"


def test_eupeg_gold_lines_layout_and_null_coordinates(tmp_path, kit):
    gold = kit.write_eupeg_gold_lines(tmp_path / "eupeg")
    corpus = load_corpus(gold)
    assert corpus.name == "news" and corpus.n_toponyms == 2 and corpus.n_toponyms_with_coordinates == 1
    lyon = corpus.documents[0].toponyms[1]
    assert lyon.text == "Lyon" and lyon.lat is None and lyon.name == ""


def test_eupeg_xml_footprints_are_lon_lat_and_bad_spans_are_counted(tmp_path, kit):
    corpus = load_corpus(kit.write_eupeg_xml(tmp_path / "upload.xml"))
    assert corpus.format == "eupeg-xml"
    paris, lyon = corpus.documents[0].toponyms
    assert (paris.lat, paris.lon) == (48.85, 2.35) and (lyon.lat, lyon.lon) == (45.76, 4.84)
    assert corpus.invalid_spans == 1 and "Texas" in corpus.examples["invalid_spans"][0]


def test_mismatched_phrase_is_counted_with_an_example(tmp_path, kit):
    path = kit.write_lgl(tmp_path / "lgl.xml")
    path.write_text(path.read_text().replace("<phrase>Lyon</phrase>", "<phrase>Lyons</phrase>"))
    corpus = load_corpus(path)
    assert corpus.offset_shift == 0 and corpus.offset_mismatches == 1
    assert "Lyons" in corpus.examples["offset_mismatches"][0] and corpus.n_toponyms == 6


def test_limit_and_folder_with_one_xml(tmp_path, kit):
    kit.write_lgl(tmp_path / "lgl.xml")
    assert detect_format(tmp_path) == ("lgl", tmp_path / "lgl.xml")
    corpus = load_corpus(tmp_path, limit=1)
    assert corpus.n_documents == 1 and corpus.documents[0].doc_id == "101"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<articles><article><text>x</text><toponyms>", "not well-formed XML"),
        ("<catalog><book/></catalog>", "unknown schema"),
        (
            "<articles><article><text>Paris</text><toponyms><toponym><start>zero</start><end>5</end>"
            "<phrase>Paris</phrase></toponym></toponyms></article></articles>",
            "start is 'zero', not an integer",
        ),
    ],
)
def test_garbled_xml_names_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "broken.xml"
    path.write_text(content)
    with pytest.raises(BadInputError, match=message) as info:
        load_corpus(path)
    assert str(path) in str(info.value)


def test_gold_line_errors(tmp_path, kit):
    with pytest.raises(BadInputError, match="no such file"):
        load_corpus(tmp_path / "absent")
    folder = kit.write_wiktor(tmp_path / "WikToR")
    (folder / "texts" / "1").unlink()
    with pytest.raises(BadInputError, match="line 1 has no document text"):
        load_corpus(folder)
    (folder / "texts" / "1").write_text("x")
    (folder / "gold.txt").write_text("Paris,,Paris,,48.8,,2.3||\n")
    with pytest.raises(BadInputError, match="has 4 fields"):
        load_corpus(folder)
    (folder / "gold.txt").write_text("Paris,,Paris,,north,,2.3,,0,,5||\n")
    with pytest.raises(BadInputError, match="lat is 'north', not a number"):
        load_corpus(folder)


def test_out_of_range_coordinates_are_kept_without_coordinates(tmp_path, kit):
    folder = kit.write_wiktor(tmp_path / "WikToR")
    (folder / "gold.txt").write_text(
        kit.gold_line([("Paris", "Paris", 95.0, 2.3, *kit.span(kit.TEXT_A, "Paris"))])
    )
    corpus = load_corpus(folder)
    assert (
        corpus.invalid_coordinates == 1 and corpus.n_toponyms == 1 and corpus.n_toponyms_with_coordinates == 0
    )


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("folder", "documents", "toponyms", "with_coordinates", "shift"),
    [("LGL", 588, 5088, 4462, 0), ("GeoVirus", 229, 2167, 2167, -1), ("WikToR", 5000, 25242, 25242, 0)],
)
def test_real_corpora_counts(shared_data, folder, documents, toponyms, with_coordinates, shift):
    corpus = load_corpus(shared_data / "geoparsing" / folder)
    assert (corpus.n_documents, corpus.n_toponyms, corpus.n_toponyms_with_coordinates) == (
        documents,
        toponyms,
        with_coordinates,
    )
    assert corpus.offset_shift == shift and corpus.offset_mismatches == 0 and corpus.invalid_spans == 0
