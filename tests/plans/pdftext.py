"""The text of a PDF as a reader extracts it (copy and paste, search, screen readers), with
the standard library only: no PDF library is in the project, and the tests must check the
PDF itself, not the HTML it was made from.

A PDF shows glyphs, not letters: WeasyPrint writes each run of text as glyph ids of a
subset font (Identity-H) and gives each font a ToUnicode map from glyph ids back to
characters. This reads the (Flate-compressed) objects and object streams, each page's
fonts and their maps, and the text operators (Tf, Tj, TJ) of each page's content, and maps
the glyphs back, as pdftotext does. Enough for WeasyPrint's output; not a general reader.
"""

from __future__ import annotations

import re
import zlib

OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
Objects = dict[int, tuple[bytes, bytes | None]]


def _stream(body: bytes) -> tuple[bytes, bytes | None]:
    start = body.find(b"stream")
    if start < 0:
        return body, None
    head, data = body[:start], body[start + 6:]
    data = data[2:] if data[:2] == b"\r\n" else data[1:] if data[:1] == b"\n" else data
    data = data[:data.rfind(b"endstream")]
    return head, zlib.decompress(data) if b"/FlateDecode" in head else data


def objects(pdf: bytes) -> Objects:
    """Every object by number: (dictionary, stream or None), object streams unpacked."""
    out: Objects = {}
    for match in OBJ.finditer(pdf):
        head, data = _stream(match.group(2))
        out[int(match.group(1))] = (head, data)
        if data is not None and b"/ObjStm" in head:
            n = int(re.search(rb"/N (\d+)", head).group(1))  # type: ignore[union-attr]
            first = int(re.search(rb"/First (\d+)", head).group(1))  # type: ignore[union-attr]
            pairs = data[:first].split()
            numbers = [int(x) for x in pairs[0::2][:n]]
            offsets = [int(x) for x in pairs[1::2][:n]] + [len(data) - first]
            for i, number in enumerate(numbers):
                out[number] = (data[first + offsets[i]:first + offsets[i + 1]], None)
    return out


def to_unicode(cmap: bytes) -> dict[bytes, str]:
    """A ToUnicode CMap: glyph code (hex) -> text."""
    table: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[src.lower()] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    pattern = rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>"
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, dst in re.findall(pattern, block):
            for i, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                table[f"{code:0{len(low)}x}".encode()] = chr(int(dst, 16) + i)
    return table


def _ref(head: bytes, key: bytes) -> int | None:
    match = re.search(rb"/" + key + rb"\s+(\d+) 0 R", head)
    return int(match.group(1)) if match else None


def _fonts(objs: Objects, page: bytes) -> dict[bytes, dict[bytes, str]]:
    """A page's font resource names -> their ToUnicode maps."""
    resources = page
    ref = _ref(page, b"Resources")
    if ref is not None:
        resources = objs.get(ref, (b"", None))[0]
    inline = re.search(rb"/Font\s*<<(.*?)>>", resources, re.S)
    if inline:
        table = inline.group(1)
    else:
        ref = _ref(resources, b"Font")
        table = objs.get(ref, (b"", None))[0] if ref is not None else b""
    out = {}
    for name, number in re.findall(rb"/([^\s/<>\[\]()]+)\s+(\d+) 0 R", table):
        cmap = _ref(objs.get(int(number), (b"", None))[0], b"ToUnicode")
        out[name] = to_unicode(objs.get(cmap, (b"", b""))[1] or b"") if cmap else {}
    return out


TEXT = re.compile(rb"/([^\s/<>\[\]()]+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj|\bET\b",
                  re.S)


def pdf_text(pdf: bytes) -> str:
    """Every page's text runs, in content order, one line per text object, spaces collapsed."""
    objs = objects(pdf)
    lines: list[str] = []
    pages = [head for head, _data in objs.values() if re.search(rb"/Type\s*/Page\b", head)]
    for page in pages:
        fonts = _fonts(objs, page)
        contents = _ref(page, b"Contents")
        data = objs.get(contents, (b"", b""))[1] if contents is not None else b""
        cmap: dict[bytes, str] = {}
        line: list[str] = []
        for token in TEXT.finditer(data or b""):
            if token.group(1) is not None:
                cmap = fonts.get(token.group(1), {})
            elif token.group(2) is None and token.group(3) is None:
                lines.append("".join(line))
                line = []
            else:
                runs = ([token.group(3)] if token.group(3) is not None
                        else re.findall(rb"<([0-9A-Fa-f]*)>", token.group(2)))
                for run in runs:
                    run = run.lower()
                    line.append("".join(cmap.get(run[i:i + 4], "") for i in range(0, len(run), 4)))
                line.append(" ")
    return "\n".join(" ".join(text.split()) for text in lines if text.strip())


def flat(text: str) -> str:
    """Text with all whitespace collapsed (a phrase may wrap across lines)."""
    return " ".join(text.split())
