"""`georeset geotext build` and `georeset geotext distant` end to end on small real inputs."""

from __future__ import annotations

import json

from georeset.cli import main

TEXTS = [
    "Flooding hit Paris, Texas on Monday; the Red River rose near the Oklahoma line.",
    "In Paris, France, the Seine rose while Lyon and Marseille stayed dry.",
    "Tbilisi, the capital of Georgia, hosted talks with France.",
    "Springfield, Illinois and Springfield, Missouri both voted on Tuesday.",
]


def test_build_text_with_silver_labels_then_distant(tmp_path, gazetteer_dir, capsys):
    source = tmp_path / "news.jsonl"
    source.write_text(
        "".join(json.dumps({"id": f"n{i % 8}", "text": t}) + "\n" for i, t in enumerate(TEXTS * 6))
    )
    # 8 distinct ids over 24 lines: the repeats are rejected into the report, not silently merged.
    out = tmp_path / "geotext"
    status = main(
        [
            "geotext",
            "build",
            "--source",
            f"text:{source}",
            "--gazetteer",
            str(gazetteer_dir),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert status == 0
    report = json.loads((out / "build_report.json").read_text())
    assert report["rejected"][0]["reason"] == "duplicate document id" and report["rejected"][0]["count"] == 16
    assert "silver" in capsys.readouterr().out

    examples = tmp_path / "examples"
    status = main(
        [
            "geotext",
            "distant",
            "--dataset",
            str(out),
            "--gazetteer",
            str(gazetteer_dir),
            "--out",
            str(examples),
            "--min-confidence",
            "0.3",
            "--quiet",
        ]
    )
    assert status == 0
    assert (examples / "data" / "train-00000-of-00001.parquet").is_file()


def test_clear_errors(tmp_path, gazetteer_dir, capsys):
    assert main(["geotext", "build", "--source", "tweets:x", "--out", str(tmp_path / "o")]) == 1
    assert "unknown kind 'tweets'" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("   ")
    status = main(
        [
            "geotext",
            "build",
            "--source",
            f"text:{empty}",
            "--no-silver",
            "--gazetteer",
            str(gazetteer_dir),
            "--out",
            str(tmp_path / "o"),
            "--quiet",
        ]
    )
    assert status == 1 and "no document to write" in capsys.readouterr().err
