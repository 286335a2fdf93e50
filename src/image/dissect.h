/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/gpt.h"

/* Raw disk images, dissected in user space with libblkid (dlopen()ed, see util/dl.h):
 * a GPT read per the Discoverable Partitions Specification, an MBR with one Linux
 * partition, or a bare file system. No kernel partition parser and no udev needed. */

struct image_partition {
        int number; /* in the table, from 1; 0 for a bare file system */
        enum partition_designator designator;
        char type[40];                   /* the GPT type GUID (lower case), or the MBR type as "0x83" */
        char arch[16];                   /* root/usr/verity types: "x86-64", "arm64", ...; else "" */
        char uuid[40];                   /* the partition's own UUID (GPT), or "" */
        char label[80];                  /* the GPT partition name, or "" */
        char fstype[32];                 /* what libblkid finds in it ("ext4", "crypto_LUKS", ...), or "" */
        uint64_t offset, size;           /* in bytes, from the start of the image */
        bool read_only, no_auto, growfs; /* GPT attribute bits 60, 63, 59 */
        const char *mount_point;         /* where it is mounted in the guest ("/", "/usr", ...), or NULL */
};

struct dissected_image {
        char table[8];      /* "gpt", "dos", or "" for a bare file system */
        char disk_uuid[40]; /* the GPT's disk GUID, or "" */
        uint64_t size;      /* of the image, in bytes */
        size_t n_partitions;
        struct image_partition *partitions; /* in table order */
        struct image_partition *root;       /* the one that is mounted at /: points into partitions */
};

/* The GPT root partition type of the architecture we run on (x86-64 here): its name
 * as in struct image_partition's arch, or NULL on an architecture DPS has no types for. */
const char *dissect_native_arch(void);

/* Reads the image or block device open at FD with libblkid. Fills *RET and returns 0, or
 * returns -errno with one line in ERROR saying what is wrong with the image (no disk
 * image, empty, truncated, a corrupt GPT, no root partition for this architecture,
 * an unknown file system, verity or LUKS, ...).
 *
 * In a GPT, the root is a root partition of the native architecture not marked no-auto;
 * with several (A/B updates), the one whose label sorts highest by strverscmp(), i.e.
 * the newest version ("root-1.10" over "root-1.9"); equal labels: the first. /usr is
 * chosen the same way; /home, /srv, /var and /tmp are the first of their type not
 * marked no-auto. ESP, XBOOTLDR, swap and the rest are listed with no mount point.
 * Every partition given a mount point must hold ext4, ext3, ext2, btrfs, xfs, squashfs
 * or erofs.
 *
 * Errors: -EINVAL an empty file; -EMEDIUMTYPE no table and no file system, or a file
 * system we cannot mount; -EBADMSG a truncated image or a corrupt table; -ENXIO no root
 * for this architecture; -EOPNOTSUPP dm-verity, LUKS, or another kind of table. ERROR
 * names no path ("the image has ...", "partition 2 (root) ..."): the caller puts it in
 * front. */
int dissect_image(int fd, struct dissected_image *ret, char *error, size_t error_size);

void dissected_image_done(struct dissected_image *d);
