#!/usr/bin/env python3
"""Checks that a browser screenshot of an mstrain report is a real rendering: decodes the PNG
with zlib alone (no imaging library), then requires enough non-background pixels and, for each
given colour, enough pixels of that colour (within a tolerance, for anti-aliasing). Prints the
counts; exits 1 when a check fails.

Usage: python3 tools/check_screenshot.py SCREENSHOT.png [--colours #1f77b4,#d62728]
           [--min-pixels 40] [--min-content 0.02]
"""
import argparse
import collections
import struct
import sys
import zlib


def decode_png(path):
    """Width, height and the pixels (bytes, 3 per pixel, rows top to bottom) of an 8-bit,
    non-interlaced RGB or RGBA PNG; alpha is dropped."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace != 0:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {colour_type}, interlace {interlace})")
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytes(stride)
    pixels = bytearray()
    for y in range(height):
        start = y * (stride + 1)
        line = unfilter(raw[start], raw[start + 1:start + 1 + stride], previous, channels)
        pixels += line if channels == 3 else b"".join(line[x:x + 3] for x in range(0, stride, 4))
        previous = line
    return width, height, bytes(pixels)


def unfilter(kind, filtered, previous, channels):
    """One scan line with PNG filter `kind` undone (RFC 2083 section 6), given the line above."""
    if kind == 0:
        return bytes(filtered)
    if kind == 2:   # Up, the most common: an all-zero line repeats the line above
        return previous if not any(filtered) else bytes([(a + b) & 255 for a, b in zip(filtered, previous)])
    line = bytearray(filtered)
    for i in range(len(line)):
        left = line[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + left) & 255
        elif kind == 3:
            line[i] = (line[i] + (left + previous[i]) // 2) & 255
        elif kind == 4:
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            estimate = left + up - up_left
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        else:
            raise ValueError(f"unknown PNG filter type {kind}")
    return bytes(line)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("screenshot")
    parser.add_argument("--colours", default="")
    parser.add_argument("--min-pixels", type=int, default=40)
    parser.add_argument("--min-content", type=float, default=0.02)
    arguments = parser.parse_args()
    width, height, pixels = decode_png(arguments.screenshot)
    colours = collections.Counter(zip(pixels[0::3], pixels[1::3], pixels[2::3]))
    background, count = colours.most_common(1)[0]
    content = 1 - count / (width * height)
    print(f"{arguments.screenshot}: {width}x{height}, background {background}, {content:.1%} other pixels")
    ok = content >= arguments.min_content
    for colour in filter(None, arguments.colours.split(",")):
        target = tuple(int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
        near = sum(n for pixel, n in colours.items() if all(abs(a - b) <= 12 for a, b in zip(pixel, target)))
        print(f"  {colour}: {near} pixels")
        ok = ok and near >= arguments.min_pixels
    if not ok:
        print("not a real rendering of the report: too few content or series-colour pixels", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
