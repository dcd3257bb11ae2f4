"""The transformers pipeline "geoparsing" and the `georeset geoparse` command."""

from __future__ import annotations

import json

import pytest

import modeling.geoparsing.geoparser as geoparser_module
from georeset.cli import main
from modeling.geoparsing import Geoparser


@pytest.fixture(scope="module")
def geoparse_pipeline(memory_index):
    from transformers import pipeline

    return pipeline("geoparsing", model=Geoparser(memory_index), device="cpu")


def test_pipeline_is_registered_and_parses(geoparse_pipeline):
    from modeling.geoparsing.pipeline import GeoparsingPipeline

    assert isinstance(geoparse_pipeline, GeoparsingPipeline)
    result = geoparse_pipeline("Flooding hit Paris, Texas.")
    assert [(t["text"], t["entity_id"]) for t in result["toponyms"]] == [("Paris", "E2"), ("Texas", "E4")]


def test_pipeline_batch_gold_and_geojson(geoparse_pipeline):
    results = geoparse_pipeline(["Snow in Denver.", "Rain in Boulder."])
    assert [r["toponyms"][0]["name"] for r in results] == ["Denver", "Boulder"]
    gold = geoparse_pipeline({"text": "Xqzwv and Denver", "spans": [(10, 16)]})
    assert [t["entity_id"] for t in gold["toponyms"]] == ["E24"]
    collection = geoparse_pipeline("Snow in Denver.", output_format="geojson")
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 1
    with_candidates = geoparse_pipeline("Snow in Denver.", with_candidates=True)
    assert with_candidates["toponyms"][0]["candidates"][0]["entity_id"] == "E24"


@pytest.mark.parametrize("transformers_first", [False, True])
def test_task_registers_in_either_import_order_without_loading_pipelines_early(transformers_first):
    """In a fresh process: importing the package leaves transformers.pipelines alone (~3 s of the CLI's start),
    and `pipeline("geoparsing")` works whether transformers' pipelines were loaded before it or after."""
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).parent
    script = f"""
import sys
sys.path.insert(0, {str(tests)!r})
if {transformers_first}:
    import transformers.pipelines
import modeling.geoparsing
if not {transformers_first}:
    assert "transformers.pipelines" not in sys.modules, "imported transformers.pipelines early"
from transformers import pipeline
from conftest import MemoryIndex
geoparse = pipeline("geoparsing", model=modeling.geoparsing.Geoparser(MemoryIndex()), device="cpu")
print(geoparse("Snow in Denver.")["toponyms"][0]["name"])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "Denver"


def test_pipeline_refuses_what_is_not_a_geoparser():
    from modeling.geoparsing.pipeline import GeoparsingPipeline

    with pytest.raises(TypeError, match="expected a Geoparser or a causal LM"):
        GeoparsingPipeline(model=object())


@pytest.fixture()
def cli_gazetteer(monkeypatch, memory_index):
    """The CLI opens gazetteers by path; here every path opens the in-memory one."""
    monkeypatch.setattr(geoparser_module, "open_gazetteer", lambda _: memory_index)


def test_cli_text_arguments_json(cli_gazetteer, capsys):
    assert main(["geoparse", "--no-geometry", "Flooding hit Paris, Texas.", "Snow in Denver."]) == 0
    out, decoder, docs, at = capsys.readouterr().out, json.JSONDecoder(), [], 0
    while out[at:].strip():
        doc, at = decoder.raw_decode(out, at + len(out[at:]) - len(out[at:].lstrip()))
        docs.append(doc)
    assert [d["text"] for d in docs] == ["Flooding hit Paris, Texas.", "Snow in Denver."]
    assert docs[0]["toponyms"][0]["admin_path"] == "United States > Texas > Lamar County"
    assert "geometry" not in docs[0]["toponyms"][0]  # --no-geometry leaves it out, as its help says


def test_cli_jsonl_in_jsonl_out(cli_gazetteer, tmp_path, capsys):
    source = tmp_path / "docs.jsonl"
    source.write_text(
        json.dumps({"id": 1, "text": "Snow in Denver."}) + "\n\n" + json.dumps("Rain in Boulder.") + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "parsed.jsonl"
    assert main(["geoparse", "--input", str(source), "--output", str(out), "--stats"]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["id"] == 1 and lines[0]["toponyms"][0]["name"] == "Denver"
    assert lines[1]["toponyms"][0]["name"] == "Boulder"
    assert '"documents": 2' in capsys.readouterr().err


def test_cli_n_process_gives_the_same_lines(cli_gazetteer, tmp_path, capsys):
    source = tmp_path / "docs.jsonl"
    texts = ["Snow in Denver.", "Rain in Boulder.", "Paris, Texas floods.", "No place."] * 3
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), "utf-8")
    outputs = {}
    for n in (1, 2):
        out = tmp_path / f"parsed-{n}.jsonl"
        args = ["geoparse", "--input", str(source), "--output", str(out), "--batch-size", "2", "--stats"]
        assert main([*args, "--n-process", str(n)]) == 0
        outputs[n] = out.read_text(encoding="utf-8")
        assert '"documents": 12' in capsys.readouterr().err
    assert outputs[1] == outputs[2]
    assert [json.loads(line)["id"] for line in outputs[2].splitlines()] == list(range(12))
    assert main(["geoparse", "--n-process", "0", "Snow in Denver."]) == 1
    assert "--n-process 0: must be at least 1" in capsys.readouterr().err
    assert main(["geoparse", "--input", str(source), "--output", str(tmp_path)]) == 1
    assert "is a folder; give a file path" in capsys.readouterr().err


def test_cli_geojson(cli_gazetteer, capsys):
    assert main(["geoparse", "--format", "geojson", "Snow in Denver."]) == 0
    assert json.loads(capsys.readouterr().out)["features"][0]["properties"]["name"] == "Denver"


def test_cli_bad_jsonl_names_the_line(cli_gazetteer, tmp_path, capsys):
    source = tmp_path / "docs.jsonl"
    source.write_text('{"text": "ok"}\n{"text": 3}\n', encoding="utf-8")
    assert main(["geoparse", "--input", str(source)]) == 1
    assert "docs.jsonl:2: expected an object with a string field 'text'" in capsys.readouterr().err


def test_cli_binary_file_is_refused(cli_gazetteer, tmp_path, capsys):
    source = tmp_path / "image.bin"
    source.write_bytes(bytes(range(256)) * 4)
    assert main(["geoparse", "--input", str(source)]) == 1
    assert "not UTF-8 text" in capsys.readouterr().err


def test_cli_source_field_gives_collection_context(cli_gazetteer, tmp_path, capsys):
    local = "Rapides Parish officials met in Louisiana on Monday."
    records = [{"feed": "towntalk", "text": local}] * 3
    records.append({"feed": "towntalk", "text": "An Alexandria woman was charged with arson."})
    source = tmp_path / "news.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "parsed.jsonl"
    assert main(["geoparse", "--input", str(source), "--output", str(out), "--no-geometry"]) == 0
    alone = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])["toponyms"][0]
    assert alone["country_code"] == "EG"
    args = ["geoparse", "--input", str(source), "--output", str(out), "--source-field", "feed"]
    assert main(args) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[-1]["feed"] == "towntalk"
    assert lines[-1]["toponyms"][0]["admin_path"] == "United States > Louisiana > Rapides Parish"
    assert main(["geoparse", "--source-field", "feed", "Snow in Denver."]) == 1
    assert "--source-field needs a .jsonl --input" in capsys.readouterr().err
