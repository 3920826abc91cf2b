"""Model adapters: spec parsing, text rules, and open_clip end to end with random weights."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from crepe_gen.cli import main
from crepe_gen.core.errors import ConfigError
from crepe_gen.evaluation.models import TEXT_RULES, load_adapter, parse_model_spec

from test_evaluate import make_bench

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def test_spec_parsing_and_errors():
    assert parse_model_spec("open_clip:RN50:none") == ("open_clip", "RN50", None)
    assert parse_model_spec("text:shortest") == ("text", "shortest", None)
    for bad in ("clip", "open_clip", "nope:x", ":x"):
        with pytest.raises(ConfigError):
            parse_model_spec(bad)
    with pytest.raises(ConfigError, match="unknown text rule"):
        load_adapter("text:tallest")
    with pytest.raises(ConfigError, match="no pretrained"):
        load_adapter("text:shortest:weights")


def test_text_rules_score_what_they_say():
    candidates = [["a dog", "A dog with no bone", "Not a dog"]]
    best = {rule: int(np.argmax(load_adapter(f"text:{rule}").score(None, candidates)[0]))
            for rule in TEXT_RULES}
    assert best == {"shortest": 0, "longest": 1, "no_negation": 0, "lowercase": 0, "odd_casing": 0,
                    "odd_punctuation": 0, "middle_length": 2, "centroid": 0, "constant": 0}


def draw_images(bench, images_dir):
    """Synthetic JPEGs: a coloured rectangle per row box, so crops differ."""
    from PIL import Image, ImageDraw

    from crepe_gen.bench.reader import load_benchmark

    items, _ = load_benchmark(bench)
    (images_dir / "VG_100K").mkdir(parents=True, exist_ok=True)
    for image_id in sorted({item.image_id for item in items}):
        image = Image.new("RGB", (160, 120), (20 * image_id, 90, 200 - 30 * image_id))
        draw = ImageDraw.Draw(image)
        for item in items:
            if item.image_id == image_id:
                x, y, w, h = item.box
                draw.rectangle([x, y, x + w, y + h], outline=(255, 255, 0), width=3)
        image.save(images_dir / "VG_100K" / f"{image_id}.jpg")


@pytest.mark.slow
def test_open_clip_random_weights_end_to_end(tmp_path, capsys):
    pytest.importorskip("open_clip")
    bench = make_bench(tmp_path / "bench")
    images = tmp_path / "images"
    draw_images(bench, images)
    out = tmp_path / "clip.json"
    args = ["eval", "--bench", str(bench), "--model", "open_clip:RN50", "--images", str(images),
            "--out", str(out), "--batch-size", "4", "--bootstrap", "100"]
    assert main(args) == 0
    results = json.loads(out.read_text())
    assert results["model"] == "open_clip:RN50" and results["items"] == 14
    overall = {g["task"]: g for g in results["groups"] if g["grouping"] == "task"}
    for group in overall.values():
        assert 0.0 <= group["recall@1"]["ci_low"] <= group["recall@1"]["value"] <= group["recall@1"]["ci_high"]
        assert 1.0 <= group["mean_rank"]["value"] <= 4.0
    # seeded random weights and a resumed run (from the rank cache) give the same bytes
    first = out.read_bytes()
    assert main(args) == 0 and out.read_bytes() == first
    cached = sorted((tmp_path / ".eval_cache").glob("*.json"))
    assert len(cached) == 6
    cached[0].unlink()
    assert main(args) == 0 and out.read_bytes() == first
    # a missing image is an error naming it, not a skip
    (images / "VG_100K" / "3.jpg").unlink()
    assert main(args) == 2
    assert "1 of 3 images not found" in capsys.readouterr().err


def test_missing_checkpoint_file(tmp_path):
    pytest.importorskip("open_clip")
    with pytest.raises(ConfigError, match="checkpoint file not found"):
        load_adapter(f"open_clip:RN50:{tmp_path / 'missing.pt'}")
