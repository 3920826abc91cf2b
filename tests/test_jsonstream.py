"""Streaming a top-level JSON array: chunk boundaries, bad input, lenient mode."""

from __future__ import annotations

import json

import pytest

from crepe_gen.core.errors import InputError, Problems
from crepe_gen.core.jsonstream import iter_json_array


def records(path, **kwargs):
    return [record for _, record in iter_json_array(path, **kwargs)]


def test_matches_json_load_across_chunk_boundaries(tmp_path, sample_dir):
    path = sample_dir / "scene_graphs.json"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert records(path) == expected
    # tiny chunks cut every number, string, escape and multi-byte character somewhere
    small = tmp_path / "small.json"
    small.write_text(json.dumps(expected[:2] + [{"name": "caf\u00e9 \u2603 \U0001f600"}],
                                ensure_ascii=False), encoding="utf-8")
    for chunk_size in (5, 64, 1000):
        assert records(small, chunk_size=chunk_size) == expected[:2] + [{"name": "caf\u00e9 \u2603 \U0001f600"}]


def test_numbers_and_literals_cut_at_a_chunk_end(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("[12345, true, null, 1.5e3, \"\\u00e9\\n\", {\"k\": [false]}]")
    for chunk_size in range(1, 12):
        assert records(path, chunk_size=chunk_size) == [12345, True, None, 1500.0, "\u00e9\n",
                                                        {"k": [False]}]


def test_whitespace_bom_and_empty_array(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b"\xef\xbb\xbf \n[ \n]\n")
    assert records(path) == []
    path.write_text('\n[\n {"image_id": 1} ,\n {"image_id": 2}\n]\n  ')
    assert [i for i, _ in iter_json_array(path)] == [0, 1]


@pytest.mark.parametrize("content, message", [
    (b"", "empty file, expected a JSON array"),
    (b'{"image_id": 1}', "top-level JSON value is an object, expected an array"),
    (b'"text"', "top-level JSON value is not an array, expected an array"),
    (b"[1] [2]", "extra data after the top-level array"),
])
def test_bad_file_level_input(tmp_path, content, message):
    path = tmp_path / "f.json"
    path.write_bytes(content)
    for lenient in (False, True):  # a file that is not an array cannot be read at all
        with pytest.raises(InputError) as info:
            records(path, problems=Problems(lenient=lenient))
        assert str(info.value) == f"{path}: {message}"


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.json: file not found"):
        records(tmp_path / "nope.json")


@pytest.mark.parametrize("content, index, image_id, reason", [  # image 2 is the bad one
    (b'[{"image_id": 1}, {"image_id": 2, "objects": [{"x": 1', 1, 2,
     "truncated: file ends inside the record"),
    (b'[{"image_id": 1}, {"image_id": 1.5}', 2, None, "truncated: file ends before the array closes"),
    (b'[{"image_id": 1}, {"image_id": 2, "objects": [{"x": 1,,}]}, {"image_id": 3}]', 1, 2,
     "character 37: malformed JSON: Expecting property name enclosed in double quotes"),
    (b'[{"image_id": 1}, {"image_id": 2, "n": "a\x00b"}, {"image_id": 3}]', 1, 2,  # a NUL byte: a whole message
     "character 24: malformed JSON: Invalid control character '\\x00'"),
    (b'[{"image_id": 1} {"image_id": 2}]', 1, None, "malformed JSON: expected ',' or ']', found '{'"),
    (b'[{"image_id": 1}, {"image_id": 2, "objects": [{"names": ["caf\xe9"]}]}, {"image_id": 3}]',
     1, 2, "byte 0xe9: bytes that are not UTF-8"),
    (b'[{"image_id": 1}, {"image_id": 2, "names": ["\xff\xfe"]}, {"image_id": 3}]',
     1, 2, "byte 0xff: bytes that are not UTF-8"),
    (b'[{"image_id": 1}, {"image_id": 2, "n": 1\x80}, {"image_id": 3}]',  # outside a string
     1, 2, "byte 0x80: bytes that are not UTF-8"),
])
def test_bad_records_strict_and_lenient(tmp_path, content, index, image_id, reason):
    path = tmp_path / "scene_graphs.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        records(path, chunk_size=16)
    where = f"image #{index}" + (f" (id {image_id})" if image_id is not None else "")
    assert str(info.value) == f"{path}: {where}: {reason}"
    problems = Problems(lenient=True)
    good = records(path, problems=problems, chunk_size=16)
    assert good[0] == {"image_id": 1} and not any(r.get("image_id") == 2 for r in good)
    assert problems.total == 1
    assert next(iter(problems.counts)).split(";")[0] in reason


def test_lenient_utf8_skips_only_the_record_with_bad_bytes(tmp_path):
    path = tmp_path / "a.json"
    good = [{"image_id": i, "name": "caf\u00e9 \ufffd \\udc80 kept"} for i in range(50)]
    body = b", ".join(json.dumps(r, ensure_ascii=False).encode() for r in good)
    bad = b'{"image_id": 99, "name": "\xc3"}'
    path.write_bytes(b"[" + body + b", " + bad + b", " + body + b"]")
    problems = Problems(lenient=True)
    got = records(path, problems=problems, chunk_size=100)
    assert got == good + good
    assert problems.total == 1
    assert "image #50 (id 99)" in next(iter(problems.examples.values()))


def test_malformed_json_in_lenient_mode_says_the_rest_is_not_read(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[{"image_id": 1}, {"image_id": 2,, }, {"image_id": 3}]')
    problems = Problems(lenient=True)
    assert records(path, problems=problems) == [{"image_id": 1}]
    assert "rest of the file not read" in problems.summary()


def test_record_larger_than_the_limit(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[{"image_id": 1, "pad": "' + "x" * 5000 + '"}]')
    with pytest.raises(InputError, match="record too large"):
        records(path, chunk_size=100, max_record_chars=1000)


@pytest.mark.parametrize("chunk_size", [64, 1000, 4096])
def test_a_string_longer_than_the_read_size_across_a_boundary(tmp_path, chunk_size):
    # The decoder reports an unterminated string at the string's start, far
    # before the buffer's end: that is still "read more", not malformed.
    long = "y" * 100_003  # longer than the read size and than any fixed look-ahead
    data = [{"image_id": 1, "pad": "x" * (chunk_size - 40)}, {"image_id": 2, "names": [long]},
            {"image_id": 3, "names": ["caf\u00e9"]}]
    path = tmp_path / "scene_graphs.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert records(path, chunk_size=chunk_size) == data
    problems = Problems(lenient=True)
    assert records(path, problems=problems, chunk_size=chunk_size) == data and problems.total == 0


def test_a_200_kb_string_across_the_default_read_boundary(tmp_path):
    chunk = 1 << 22
    first = {"image_id": 1, "pad": "x" * (chunk - 100_000)}
    data = [first, {"image_id": 2, "names": ["y" * 200_000]}, {"image_id": 3}]
    path = tmp_path / "scene_graphs.json"
    path.write_text(json.dumps(data))
    assert [r["image_id"] for r in records(path)] == [1, 2, 3]


def test_a_record_growing_past_many_reads_is_read_in_few(tmp_path, monkeypatch):
    from crepe_gen.core import jsonstream

    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"image_id": 1, "pad": "z" * 100_000}, {"image_id": 2}]))
    fills = []
    real = jsonstream._Buffer.fill
    monkeypatch.setattr(jsonstream._Buffer, "fill", lambda self, **kw: fills.append(1) or real(self, **kw))
    assert [r["image_id"] for r in records(path, chunk_size=100)] == [1, 2]
    assert len(fills) < 20  # the buffer grows geometrically, not by one read size at a time


@pytest.mark.parametrize("chunk_size", [16, 64, 1 << 22])
def test_a_true_syntax_error_after_a_long_string_is_malformed(tmp_path, chunk_size):
    path = tmp_path / "scene_graphs.json"
    path.write_text('[{"image_id": 1}, {"image_id": 2, "names": ["' + "y" * 300 + '"],, "x": 1}, '
                    '{"image_id": 3}]')
    with pytest.raises(InputError) as info:
        records(path, chunk_size=chunk_size)
    assert str(info.value) == (f"{path}: image #1 (id 2): character 331: malformed JSON: "
                               "Expecting property name enclosed in double quotes")
    problems = Problems(lenient=True)
    assert records(path, problems=problems, chunk_size=chunk_size) == [{"image_id": 1}]
    assert problems.total == 1 and "rest of the file not read" in problems.summary()


def test_a_record_nested_too_deeply_is_refused_not_a_crash(tmp_path):
    path = tmp_path / "scene_graphs.json"
    path.write_text('[{"image_id": 1}, {"image_id": 2, "objects": ' + "[" * 100_000 + "]" * 100_000 + "}]")
    with pytest.raises(InputError, match=r"image #1 \(id 2\): record nested too deeply"):
        records(path)
    problems = Problems(lenient=True)
    assert records(path, problems=problems) == [{"image_id": 1}] and problems.total == 1
