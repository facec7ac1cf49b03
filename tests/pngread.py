"""Pixels of a PNG screenshot, without an imaging library: enough to ask whether something is in colour."""
from __future__ import annotations

import struct
import zlib


def pixels(png: bytes) -> list[tuple[int, ...]]:
    """RGB(A) tuples of an 8-bit truecolour PNG, as Chromium writes screenshots."""
    pos, idat, width = 8, b"", 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, _, depth, colour = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour in (2, 6), "only 8-bit RGB/RGBA"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw, stride, out, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for row in range(len(raw) // (stride + 1)):
        kind, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += [tuple(line[i:i + channels]) for i in range(0, stride, channels)]
        prev = line
    return out


def colourful(png: bytes, spread: int = 80) -> int:
    """How many pixels are clearly coloured (not grey, black or white)."""
    return sum(1 for p in pixels(png) if max(p[:3]) - min(p[:3]) > spread)
