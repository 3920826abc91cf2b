"""Every exit status of ``crepe-gen`` (:data:`crepe_gen.cli.EXIT_STATUSES`),
each through the command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from crepe_gen.cli import EXIT_STATUSES

from crepe_fixtures import PRODUCTIVITY_COLUMNS

#: Runs ``crepe-gen inspect`` with the inspect command replaced by one that raises ``error``.
FAILING_COMMAND = textwrap.dedent("""
    import sys
    import crepe_gen.commands.inspect as command
    def run(args):
        raise {error}
    command.run = run
    from crepe_gen.cli import main
    sys.exit(main(["inspect"]))
""")


def run_failing(error: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", FAILING_COMMAND.format(error=error)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


def test_success_is_0(run_cli):
    assert run_cli("inspect", "--top", "1").returncode == 0


def test_failed_audit_is_1(run_cli, tmp_path):
    from crepe_gen.bench.writer import write_csv_atomic

    row = {"image_id": 1, "caption": "A red cup.", "n": 4, "n_objects": 2, "n_relations": 1, "n_attributes": 1,
           "n_connected_components": 1, "hard_negs": ["a  red cup", "a blue cup"],
           "x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0}
    write_csv_atomic(tmp_path / "negate" / "set.csv", PRODUCTIVITY_COLUMNS, [row])  # a negative equal to its positive
    done = run_cli("audit", tmp_path, "--no-classifier")
    assert done.returncode == 1, done.stderr
    assert "FAIL" in done.stdout and "Traceback" not in done.stderr


def test_bad_input_is_2(run_cli, tmp_path):
    done = run_cli("inspect", tmp_path / "nope")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1


def test_usage_error_is_2_on_one_line(run_cli):
    done = run_cli("inspect", "--top", "x")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "crepe-gen inspect: error: argument --top: expected an integer, got 'x' (see crepe-gen inspect --help)"]


def test_service_error_is_3():
    done = run_failing("__import__('crepe_gen.core.errors').core.errors.ServiceError('http://h/v1: down')")
    assert (done.returncode, done.stderr) == (3, "crepe-gen: error: http://h/v1: down\n")


def test_internal_error_is_70_one_line_without_traceback():
    done = run_failing("RuntimeError('the\\nbug')")
    assert done.returncode == 70
    assert done.stderr == ("crepe-gen: internal error: RuntimeError: the bug "
                           "(set CREPE_GEN_DEBUG=1 for the traceback)\n")


def test_internal_error_shows_its_traceback_under_debug():
    done = run_failing("KeyError('gone')", CREPE_GEN_DEBUG="1")
    assert done.returncode == 70
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert 'File "<string>", line 5, in run' in done.stderr
    assert done.stderr.splitlines()[-1] == "crepe-gen: internal error: KeyError: 'gone'"


def test_interrupt_is_130():
    done = run_failing("KeyboardInterrupt()")
    assert (done.returncode, done.stderr) == (130, "crepe-gen: interrupted\n")


def test_statuses_are_documented_in_help_and_module(run_cli):
    import crepe_gen.cli

    done = run_cli("--help")
    assert done.returncode == 0
    listed = done.stdout.split("exit statuses:", 1)[1]
    for status, meaning in EXIT_STATUSES.items():
        assert f"{status:<4} {meaning}" in listed
        assert f"\n{status:<3}  " in crepe_gen.cli.__doc__
    assert set(EXIT_STATUSES) == {0, 1, 2, 3, 70, 130, 141}


@pytest.mark.parametrize("status", [0, 1, 2, 3, 70, 130, 141])
def test_every_status_has_a_meaning(status):
    assert EXIT_STATUSES[status]
