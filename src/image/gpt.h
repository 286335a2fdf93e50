/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The GUID Partition Table (UEFI 2.10, chapter 5) and the partition types the
 * Discoverable Partitions Specification (DPS) gives it: what dissect.h needs of them
 * beyond what libblkid reads. */

/* What a partition is for, by its type. */
enum partition_designator {
        DESIGNATOR_ROOT,
        DESIGNATOR_USR,
        DESIGNATOR_HOME,
        DESIGNATOR_SRV,
        DESIGNATOR_VAR,
        DESIGNATOR_TMP,
        DESIGNATOR_ESP,
        DESIGNATOR_XBOOTLDR,
        DESIGNATOR_SWAP,
        DESIGNATOR_ROOT_VERITY,
        DESIGNATOR_USR_VERITY,
        DESIGNATOR_ROOT_VERITY_SIG,
        DESIGNATOR_USR_VERITY_SIG,
        DESIGNATOR_LINUX_GENERIC, /* GPT "Linux filesystem", MBR 0x83 */
        DESIGNATOR_OTHER,
        _DESIGNATOR_MAX,
};

/* "root", "usr", ..., "linux-generic", "other"; NULL for a value out of range. */
const char *partition_designator_to_string(enum partition_designator designator);

/* The designator of the GPT partition type TYPE (its GUID in lower case, as libblkid
 * spells it): DESIGNATOR_OTHER for a type DPS does not name. For a root, /usr or verity
 * type, *RET_ARCH (unless RET_ARCH is NULL) gets its architecture ("x86-64", "arm64"). */
enum partition_designator gpt_type_designator(const char *type, const char **ret_arch);

/* The type GUID of the root partition for ARCH, or NULL for an architecture DPS does
 * not name. */
const char *gpt_root_type(const char *arch);

/* The architectures DPS has types for, in the order of its table: the Ith, or NULL past
 * the last. */
const char *gpt_arch(size_t i);

/* Sector 0 holds the boot signature and a partition of type 0xee: the protective MBR
 * that stands in front of a GPT (UEFI 2.10, 5.2.3). */
bool gpt_has_protective_mbr(int fd);

/* The size in bytes of the disk the primary GPT header (LBA 1, of SECTOR_SIZE bytes)
 * describes: where its backup header ends. 0 when there is no header there, or the size
 * does not fit in 64 bits. */
uint64_t gpt_claimed_disk_size(int fd, unsigned sector_size);

/* A used entry of the GPT outside the sectors its header leaves for partitions. */
struct gpt_stray_entry {
        unsigned number;                    /* in the table, from 1 */
        char type[40];                      /* its type GUID, as libblkid spells it */
        uint64_t first, last;               /* the sectors it claims */
        uint64_t first_usable, last_usable; /* the sectors the header leaves for partitions */
};

/* libblkid passes over an entry outside the usable sectors in silence: reads the header
 * at byte HEADER_OFFSET of the disk FD (N_SECTORS sectors of SECTOR_SIZE bytes) and every
 * entry of its table. Returns 1 with the first such entry in *RET, or 0 when there is
 * none; -EBADMSG: no header of 128-byte entries there, or its entries past the disk's end
 * (it changed since libblkid read it); -EIO: the entries cannot be read. */
int gpt_find_stray_entry(int fd, uint64_t header_offset, unsigned sector_size, uint64_t n_sectors,
                         struct gpt_stray_entry *ret);
