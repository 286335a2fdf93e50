#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sets the first and last LBA of one entry of a GPT disk image, in the primary and the
backup entry array alike, and makes both headers' CRCs (of the entry array and of the
header itself) right again: a table such as a hostile image carries it, which sfdisk
refuses to write (partitions that overlap, one that runs past the end of the disk).
512-byte sectors.

    gpt-edit.py IMAGE ENTRY FIRST-LBA LAST-LBA      (ENTRY counted from 1, as sfdisk does)
"""
import struct
import sys
import zlib

SECTOR = 512


def edit(image, header_lba, entry, first, last):
    """Edits the entry in the table of the header at HEADER_LBA; returns the other header's LBA."""
    image.seek(header_lba * SECTOR)
    header = bytearray(image.read(SECTOR))
    if header[:8] != b"EFI PART":
        sys.exit(f"gpt-edit: no GPT header at LBA {header_lba}")
    (header_size,) = struct.unpack_from("<I", header, 12)
    (alternate_lba,) = struct.unpack_from("<Q", header, 32)
    entries_lba, n_entries, entry_size = struct.unpack_from("<QII", header, 72)
    if not 1 <= entry <= n_entries:
        sys.exit(f"gpt-edit: the table has entries 1-{n_entries}, not {entry}")
    image.seek(entries_lba * SECTOR)
    entries = bytearray(image.read(n_entries * entry_size))
    struct.pack_into("<QQ", entries, (entry - 1) * entry_size + 32, first, last)
    image.seek(entries_lba * SECTOR)
    image.write(entries)
    struct.pack_into("<I", header, 88, zlib.crc32(entries))
    struct.pack_into("<I", header, 16, 0)
    struct.pack_into("<I", header, 16, zlib.crc32(header[:header_size]))
    image.seek(header_lba * SECTOR)
    image.write(header)
    return alternate_lba


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    entry, first, last = (int(a, 0) for a in sys.argv[2:])
    with open(sys.argv[1], "r+b") as image:
        backup_lba = edit(image, 1, entry, first, last)
        edit(image, backup_lba, entry, first, last)


if __name__ == "__main__":
    main()
