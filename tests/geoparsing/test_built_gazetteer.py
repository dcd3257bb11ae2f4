"""The geoparser on a gazetteer written by the real builder and opened by path, as users run it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

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


def test_killed_geoparse_resumes_where_it_stopped(built_gazetteer, tmp_path, capsys):
    """A real kill -9 in the middle of `georeset geoparse --input ... --output ...`; the same command then finishes
    the job, and the file equals an uninterrupted run's."""
    places = ["Paris", "Denver", "France", "Texas", "Boulder"]
    source = tmp_path / "docs.jsonl"
    with open(source, "w", encoding="utf-8") as handle:
        for i in range(800):
            text = f"Day {i}: storms hit {places[i % 5]} and {places[(i + 2) % 5]}, officials said."
            handle.write(json.dumps({"id": i, "text": text}) + "\n")
    out, partial = tmp_path / "out.jsonl", tmp_path / ".out.jsonl.partial"
    args = ["geoparse", "--gazetteer", str(built_gazetteer), "--input", str(source), "--batch-size", "8"]
    command = [
        sys.executable,
        "-c",
        "import sys; from georeset.cli import main; sys.exit(main(sys.argv[1:]))",
    ]
    job = subprocess.Popen([*command, *args, "--output", str(out)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not (partial.is_file() and partial.read_bytes().count(b"\n") >= 40):
        assert job.poll() is None and time.monotonic() < deadline, "the job ended before it could be killed"
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    kept = partial.read_bytes().count(b"\n")
    assert 40 <= kept < 800 and not out.exists()

    assert main([*args, "--output", str(out)]) == 0
    assert f"resuming: {kept:,} documents already in" in capsys.readouterr().err
    assert main([*args, "--output", str(tmp_path / "reference.jsonl")]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(range(800))
    assert out.read_text(encoding="utf-8") == (tmp_path / "reference.jsonl").read_text(encoding="utf-8")
    assert not partial.exists()
