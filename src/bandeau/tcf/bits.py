"""Bits in, bits out, and the base64url text they travel as (TCF-01).

A segment is a sequence of bits packed big-endian, left to right, written six bits to a
character of the URL-safe base64 alphabet (RFC 4648 §5) without `=` padding. Like the IAB's
reference library, the writer zero-fills each segment to a multiple of 24 bits (whole groups of
four characters), so bandeau writes the same characters for the same bits; the reader accepts
any zero fill."""

from __future__ import annotations

import string

from .errors import TCStringError

ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
SIXBITS = {char: value for value, char in enumerate(ALPHABET)}
SIXBIT_TEXT = {char: format(value, "06b") for char, value in SIXBITS.items()}
ALPHABET_SET = frozenset(ALPHABET)


class BitWriter:
    """Appends fixed-width unsigned integers and booleans; `bits()` gives them all."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def uint(self, value: int, width: int, field: str) -> None:
        if not 0 <= value < 1 << width:
            raise TCStringError(field, f"{value} does not fit in {width} bits")
        self.parts.append(format(value, f"0{width}b") if width else "")

    def flag(self, value: bool) -> None:
        self.parts.append("1" if value else "0")

    def raw(self, bits: str) -> None:
        self.parts.append(bits)

    def bits(self) -> str:
        return "".join(self.parts)


def base64url(bits: str, multiple: int = 24) -> str:
    """A segment's bits as text, zero-filled to a multiple of `multiple` bits (TC strings: 24,
    as the reference library; GPP: 6, whole characters)."""
    bits += "0" * (-len(bits) % multiple)
    return "".join(ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


class BitReader:
    """Reads what a BitWriter wrote; reading past the end names the field being read.

    Decoding is on the server's decision and middleware paths: the segment's characters become
    a string of 0 and 1 in one C-level pass (`SIXBIT_TEXT`), and each read is one slice."""

    def __init__(self, segment: str, field: str) -> None:
        if not segment:
            raise TCStringError(field, "empty segment")
        if not ALPHABET_SET.issuperset(segment):
            unknown = next(c for c in segment if c not in SIXBITS)
            raise TCStringError(
                field, f"{unknown!r} is not a base64url character (A-Z a-z 0-9 - _)"
            )
        self.bits = "".join(map(SIXBIT_TEXT.__getitem__, segment))
        self.size = len(self.bits)
        self.position = 0

    def take(self, width: int, field: str) -> str:
        """The next `width` bits, as a string of 0 and 1."""
        start = self.position
        end = start + width
        if end > self.size:
            raise TCStringError(field, "the segment ends inside this field")
        self.position = end
        return self.bits[start:end]

    def uint(self, width: int, field: str) -> int:
        start = self.position
        end = start + width
        if end > self.size:
            raise TCStringError(field, "the segment ends inside this field")
        self.position = end
        return int(self.bits[start:end], 2) if width else 0

    def flag(self, field: str) -> bool:
        position = self.position
        if position >= self.size:
            raise TCStringError(field, "the segment ends inside this field")
        self.position = position + 1
        return self.bits[position] == "1"

    def finish(self, field: str) -> None:
        """Only zero fill may follow the last field: anything else is not a string we read."""
        if "1" in self.bits[self.position :]:
            raise TCStringError(field, "non-zero bits after the last field")
