"""Stream the records of a file that holds one top-level JSON array.

Visual Genome ships each annotation file as one JSON array with one entry per
image; the scene graphs alone are about 0.8 GB and ``json.load`` needs about
five times that in memory. :func:`iter_json_array` reads the file in chunks and
decodes one array element at a time with the standard library's C decoder, so
memory stays bounded by the largest element while speed stays close to
``json.load``.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.json"
>>> _ = path.write_text('[{"image_id": 1}, {"image_id": 2}]')
>>> [record["image_id"] for _, record in iter_json_array(path)]
[1, 2]
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Iterator

from .errors import InputError, Problems

__all__ = ["iter_json_array"]

_WHITESPACE = " \t\n\r"
_NUMBER_TAIL = frozenset("0123456789.eE+-" + _WHITESPACE)
_DECODER = json.JSONDecoder()
# How close to the buffer's end a decode error must be to come from the data
# running out: the longest token the decoder reports at its start ("-Infinity",
# a \uXXXX escape pair) is shorter. An unterminated string is reported at its
# opening quote however long it is.
_END_MARGIN = 16


# Bytes that are not UTF-8 are decoded with "surrogateescape" into lone
# surrogates U+DC80..U+DCFF, which valid UTF-8 never yields (a JSON escape such
# as "\\udc80" stays six ASCII characters until the element is decoded), so the
# element holding them can be named once it is parsed.
_BAD_BYTE = re.compile("[\udc80-\udcff]")


def _bad_byte(text: str, start: int, stop: int) -> str | None:
    """``"byte 0x.."`` of the first byte that is not UTF-8 in ``text[start:stop]``."""
    match = _BAD_BYTE.search(text, start, stop)
    return f"byte 0x{ord(match.group()) - 0xDC00:02x}" if match else None


def iter_json_array(path, *, problems: Problems | None = None,
                    chunk_size: int = 1 << 22,
                    max_record_chars: int = 1 << 26) -> Iterator[tuple[int, object]]:
    """Yield ``(index, element)`` for every element of the array in *path*.

    Raises :class:`InputError` (one line, naming the file, the element's
    index and, where it can be seen, its ``image_id``) for a missing file, a
    top-level value that is not an array, malformed or truncated JSON, and
    bytes that are not UTF-8. In lenient mode (``problems.lenient``) an element
    holding bytes that are not UTF-8 is skipped and counted, and malformed JSON
    ends the file with what was read so far, counted once.

    *chunk_size* bytes are read at a time; a record that does not fit is read
    on in growing reads (so no string or record length makes a valid file
    fail), up to *max_record_chars* ("record too large"). JSON is judged
    malformed only where it fails inside data fully read.
    """
    problems = problems or Problems()
    path = Path(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as error:
        raise InputError(path, f"cannot open: {error.strerror}") from None

    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")

    with handle:
        reader = _Buffer(handle, decoder, chunk_size, path)
        yield from _elements(reader, path, problems, max_record_chars)


class _Buffer:
    """Decoded text of the file, refilled on demand; ``pos`` is the cursor."""

    def __init__(self, handle, decoder, chunk_size, path):
        self.handle, self.decoder, self.chunk_size, self.path = handle, decoder, chunk_size, path
        self.text = ""
        self.pos = 0
        self.eof = False
        self.index = 0  # index of the element being read, for messages
        self.bad_bytes = False  # whether the text read so far holds bytes that are not UTF-8

    def fill(self, at_least: int = 0) -> None:
        """Append the next ``max(chunk_size, at_least)`` bytes of the file."""
        raw = self.handle.read(max(self.chunk_size, at_least))
        self.eof = not raw
        new = self.decoder.decode(raw, final=self.eof)
        if not self.bad_bytes and not new.isascii():  # isascii is O(1); searching is not
            try:
                new.encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8
                self.bad_bytes = True
        self.text = self.text[self.pos:] + new
        self.pos = 0

    def skip_whitespace(self) -> str | None:
        """Advance past whitespace; return the next character, None at end of file."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < len(text):
                return text[pos]
            if self.eof:
                return None
            self.fill()


def _elements(buf: _Buffer, path, problems, max_record_chars):
    first = buf.skip_whitespace()
    if first is None:
        raise InputError(path, "empty file, expected a JSON array")
    if first != "[":
        kind = {"{": "an object"}.get(first, "not an array")
        raise InputError(path, f"top-level JSON value is {kind}, expected an array")
    buf.pos += 1
    expect_comma = False
    while True:
        char = buf.skip_whitespace()
        if char is None:
            _bad_json(buf, path, problems, "truncated: file ends before the array closes")
            return
        if char == "]":
            buf.pos += 1
            if buf.skip_whitespace() is not None:
                raise InputError(path, "extra data after the top-level array")
            return
        if expect_comma:
            if char != ",":
                _bad_json(buf, path, problems, f"malformed JSON: expected ',' or ']', found {char!r}"
                          + ("; rest of the file not read" if problems.lenient else ""))
                return
            buf.pos += 1
            expect_comma = False
            continue
        try:
            element, end = _DECODER.raw_decode(buf.text, buf.pos)
        except RecursionError:
            problems.report(InputError(path, "record nested too deeply" + ("; rest of the file not read"
                                                                           if problems.lenient else ""),
                                       index=buf.index, image_id=_image_id_hint(buf.text, buf.pos, buf.pos + 200)))
            return
        except json.JSONDecodeError as error:
            pending = len(buf.text) - buf.pos
            if not buf.eof and pending < max_record_chars:
                # Only fully read data can be judged malformed. Reading as much
                # again as the record holds keeps a long record to few re-parses.
                buf.fill(at_least=pending)
                continue
            reason, record = _malformed(error, buf.pos)
            if not buf.eof and _reaches_end(error, buf.text):
                reason, record = "record too large", None
            elif buf.eof and _only_truncated(buf.text, buf.pos):
                reason, record = "truncated: file ends inside the record", None
            if buf.bad_bytes and (bad_byte := _bad_byte(buf.text, buf.pos, error.pos + 1)):
                reason, record = "bytes that are not UTF-8", bad_byte
            if problems.lenient and not reason.startswith("truncated"):
                reason += "; rest of the file not read"
            problems.report(InputError(path, reason, index=buf.index, record=record,
                                       image_id=_image_id_hint(buf.text, buf.pos, error.pos)))
            return
        if not buf.eof and type(element) in (int, float) and _NUMBER_TAIL.issuperset(buf.text[end:]):
            # A number at the end of the buffer may continue in the next chunk ("1." + "5").
            buf.fill()
            continue
        start, buf.pos = buf.pos, end
        index = buf.index
        buf.index += 1
        expect_comma = True
        if buf.bad_bytes:
            bad_byte = _bad_byte(buf.text, start, end)
            if bad_byte:
                image_id = element.get("image_id", element.get("id")) if type(element) is dict else None
                problems.report(InputError(path, "bytes that are not UTF-8", index=index,
                                           image_id=image_id, record=bad_byte))
                continue
        yield index, element


def _reaches_end(error: json.JSONDecodeError, text: str) -> bool:
    """Whether the decoder failed because *text* ended (so more data could cure it).

    >>> def reaches_end(text):
    ...     try:
    ...         json.loads(text)
    ...     except json.JSONDecodeError as error:
    ...         return _reaches_end(error, text)
    >>> reaches_end('["' + "x" * 100), reaches_end("[1, tr"), reaches_end("[1,, 2" + " " * 99)
    (True, True, False)
    """
    return error.msg.startswith("Unterminated string") or error.pos >= len(text) - _END_MARGIN


def _only_truncated(text: str, start: int) -> bool:
    """True when appending closing brackets would make the element parse."""
    depth = []
    in_string = escaped = False
    for char in text[start:]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth.append(char)
        elif char in "]}":
            if not depth:
                return False
            depth.pop()
    return bool(depth) or in_string


def _malformed(error: json.JSONDecodeError, start: int) -> tuple[str, str]:
    """``(reason, where)`` of a record *error* found in a record's text
    starting at *start*: Python's message without its trailing "at", and
    the character at fault, so the message is whole and the reason counts
    alike for every record.

    >>> try:
    ...     json.loads('{"a": 1 "b": 2}')
    ... except json.JSONDecodeError as error:
    ...     _malformed(error, 0)
    ("malformed JSON: Expecting ',' delimiter", 'character 9')
    """
    message = error.msg.removesuffix(" at")
    if error.msg.startswith("Invalid control character") and error.pos < len(error.doc):
        message += f" {error.doc[error.pos]!r}"
    return f"malformed JSON: {message}", f"character {error.pos - start + 1}"


def _bad_json(buf: _Buffer, path, problems: Problems, reason: str) -> None:
    problems.report(InputError(path, reason, index=buf.index))


_IMAGE_ID = re.compile(r'"(?:image_)?id"\s*:\s*(\d+)')


def _image_id_hint(text: str, start: int, stop: int) -> int | None:
    """The image id written in an element that does not parse, if one is seen.

    VG writes ``image_id`` (``id`` in region_descriptions.json) either at the
    top of the element or in its regions, always with the same value.
    """
    match = _IMAGE_ID.search(text, start, max(start, stop))
    return int(match.group(1)) if match else None
