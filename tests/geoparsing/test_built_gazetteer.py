"""The geoparser on a gazetteer written by the real builder and opened by path, as users run it."""

from __future__ import annotations

import json

from georeset.cli import main
from modeling.geoparsing import Geoparser


def test_geoparser_on_a_built_gazetteer(built_gazetteer):
    gp = Geoparser(built_gazetteer)
    doc = gp.parse("Storms hit Paris on Monday. Texas officials said France sent help.")
    by_text = {t.text: t for t in doc.toponyms}
    assert by_text["Paris"].geonames_id == 4717560  # Paris, Texas
    assert by_text["Paris"].admin_path == "United States > Texas > Lamar County"
    assert by_text["France"].geometry["type"] == "Polygon"
    turkish = gp.resolve("Turkish troops moved.", [(0, 7)])[0]
    assert turkish.geonames_id == 298795
    misspelt = gp.resolve("Floods in Montpelier, France.", [(10, 20)])[0]
    assert misspelt.geonames_id == 2992166 and misspelt.confidence < 1.0


def test_cli_with_gazetteer_folder(built_gazetteer, capsys):
    assert (
        main(["geoparse", "--gazetteer", str(built_gazetteer), "--format", "jsonl", "Snow in Denver."]) == 0
    )
    record = json.loads(capsys.readouterr().out)
    assert record["toponyms"][0]["geonames_id"] == 5419384
