"""The ``crepe-gen`` command in a subprocess: output, exit codes, bad input."""

from __future__ import annotations

import pytest
from test_visual_genome import BAD_INPUTS, make_bad_vg

from crepe_gen.cli import build_parser, command_modules, main


def test_inspect_prints_the_sample_counts(run_cli):
    done = run_cli("inspect")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    counts = {" ".join(line.split()[:-1]): line.split()[-1] for line in lines[1:5]}
    assert counts == {"images": "100", "objects": "3,671", "attribute mentions": "2,931",
                      "relationships": "2,615"}
    assert any(line.split()[:3] == ["region", "descriptions", "7,278"] for line in lines)
    assert any(line.startswith("top names: window (120)") for line in lines)
    assert any(line.startswith("top predicates: on (") for line in lines)
    assert done.stderr == ""


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gives_one_line_and_exit_2(write_vg, run_cli, case):
    root = make_bad_vg(write_vg, case)
    _, expected, kept, count = BAD_INPUTS[case]
    done = run_cli("inspect", root)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("crepe-gen: error: ")
    assert all(part in lines[0] for part in expected), lines[0]

    lenient = run_cli("inspect", "--lenient", root)
    if kept is None:
        assert lenient.returncode == 2 and len(lenient.stderr.splitlines()) == 1
        return
    assert lenient.returncode == 0, lenient.stderr
    assert f"images {len(kept):>{20}}".split() == next(
        line for line in lenient.stdout.splitlines() if line.startswith("images")).split()
    summary = lenient.stdout.splitlines()[-1]
    assert summary.startswith(f"skipped {count} bad records: ") and expected[-1] in summary


def test_missing_folder(run_cli, tmp_path):
    done = run_cli("inspect", tmp_path / "nope")
    assert done.returncode == 2
    assert done.stderr.strip() == f"crepe-gen: error: {tmp_path / 'nope'}: Visual Genome folder not found"


def test_lenient_on_good_input_reports_no_bad_records(capsys):
    assert main(["inspect", "--lenient", "--top", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no bad records"


@pytest.mark.slow  # imports every command's dependencies
def test_every_command_has_the_global_flags():
    subparsers = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert "inspect" in subparsers and set(subparsers) == set(command_modules())
    for sub in subparsers.values():
        flags = {flag for action in sub._actions for flag in action.option_strings}
        assert {"--lenient", "-v", "--verbose"} <= flags


def test_one_command_loads_only_its_module():
    assert list(command_modules("inspect")) == ["inspect"]
    assert "inspect" in command_modules("no-such-module")


@pytest.mark.slow  # imports every command's dependencies
def test_help_lists_every_command(run_cli):
    done = run_cli("--help")
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in command_modules())


def test_inspect_with_images(write_vg, run_cli, tmp_path):
    from test_visual_genome import small_vg, write_jpeg

    root = small_vg(write_vg)
    write_jpeg(tmp_path / "images" / "VG_100K" / "1.jpg", (80, 60))
    write_jpeg(tmp_path / "images" / "VG_100K" / "2.jpg", (40, 30))
    done = run_cli("inspect", root, "--images-dir", tmp_path / "images")
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("image files found"))
    assert line.split()[3] == "2" and "(1 with a size other" in line


def test_output_into_a_closed_pipe_is_not_an_error():
    import subprocess
    import sys

    reader = subprocess.Popen([sys.executable, "-m", "crepe_gen.cli", "inspect"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.close()  # the reader is gone before anything is written, as with ``| head``
    stderr = reader.stderr.read().decode()
    assert reader.wait(timeout=120) == 141
    assert stderr == ""
