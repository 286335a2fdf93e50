/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a raw disk image without mounting it: libblkid's view of its partitions (or
 * one bare file system), checked against the GPT itself, and which partition is mounted
 * where, as the Discoverable Partitions Specification says. */
#include <blkid/blkid.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/dissect.h"
#include "image/gpt.h"
#include "util/dl.h"
#include "util/macro.h"

/* An image is untrusted input: a table may list any number of entries. The GPT default
 * is 128, and nothing we mount needs more. */
#define PARTITIONS_MAX 128

/* libblkid gives partition starts and sizes in 512-byte units, whatever the sector size. */
#define BLKID_SECTOR 512ULL

/* GPT attribute bits (UEFI and the Discoverable Partitions Specification). */
#define GPT_FLAG_GROWFS (1ULL << 59)
#define GPT_FLAG_READ_ONLY (1ULL << 60)
#define GPT_FLAG_NO_AUTO (1ULL << 63)

/* libblkid, dlopen()ed for the dissection and closed right after it: an image is read
 * once, before the boot, and the supervisor must not carry the library for the
 * machine's whole life (see util/dl.h). */
static struct {
        void *handle;
        blkid_probe (*new_probe)(void);
        void (*free_probe)(blkid_probe);
        int (*set_device)(blkid_probe, int, blkid_loff_t, blkid_loff_t);
        blkid_loff_t (*probe_get_size)(blkid_probe);
        unsigned int (*get_sectorsize)(blkid_probe);
        int (*enable_partitions)(blkid_probe, int);
        int (*set_partitions_flags)(blkid_probe, int);
        int (*enable_superblocks)(blkid_probe, int);
        int (*set_superblocks_flags)(blkid_probe, int);
        int (*do_safeprobe)(blkid_probe);
        int (*lookup_value)(blkid_probe, const char *, const char **, size_t *);
        blkid_partlist (*get_partitions)(blkid_probe);
        int (*numof_partitions)(blkid_partlist);
        blkid_parttable (*partlist_get_table)(blkid_partlist);
        blkid_partition (*get_partition)(blkid_partlist, int);
        blkid_parttable (*partition_get_table)(blkid_partition);
        const char *(*parttable_get_id)(blkid_parttable);
        blkid_loff_t (*parttable_get_offset)(blkid_parttable);
        int (*get_partno)(blkid_partition);
        blkid_loff_t (*get_start)(blkid_partition);
        blkid_loff_t (*get_size)(blkid_partition);
        int (*get_type)(blkid_partition);
        const char *(*get_type_string)(blkid_partition);
        const char *(*get_uuid)(blkid_partition);
        const char *(*get_name)(blkid_partition);
        unsigned long long (*get_flags)(blkid_partition);
} libblkid;

static int libblkid_load(void)
{
        const struct dl_symbol symbols[] = {
                { "blkid_new_probe", (void **)&libblkid.new_probe },
                { "blkid_free_probe", (void **)&libblkid.free_probe },
                { "blkid_probe_set_device", (void **)&libblkid.set_device },
                { "blkid_probe_get_size", (void **)&libblkid.probe_get_size },
                { "blkid_probe_get_sectorsize", (void **)&libblkid.get_sectorsize },
                { "blkid_probe_enable_partitions", (void **)&libblkid.enable_partitions },
                { "blkid_probe_set_partitions_flags", (void **)&libblkid.set_partitions_flags },
                { "blkid_probe_enable_superblocks", (void **)&libblkid.enable_superblocks },
                { "blkid_probe_set_superblocks_flags", (void **)&libblkid.set_superblocks_flags },
                { "blkid_do_safeprobe", (void **)&libblkid.do_safeprobe },
                { "blkid_probe_lookup_value", (void **)&libblkid.lookup_value },
                { "blkid_probe_get_partitions", (void **)&libblkid.get_partitions },
                { "blkid_partlist_numof_partitions", (void **)&libblkid.numof_partitions },
                { "blkid_partlist_get_table", (void **)&libblkid.partlist_get_table },
                { "blkid_partlist_get_partition", (void **)&libblkid.get_partition },
                { "blkid_partition_get_table", (void **)&libblkid.partition_get_table },
                { "blkid_parttable_get_id", (void **)&libblkid.parttable_get_id },
                { "blkid_parttable_get_offset", (void **)&libblkid.parttable_get_offset },
                { "blkid_partition_get_partno", (void **)&libblkid.get_partno },
                { "blkid_partition_get_start", (void **)&libblkid.get_start },
                { "blkid_partition_get_size", (void **)&libblkid.get_size },
                { "blkid_partition_get_type", (void **)&libblkid.get_type },
                { "blkid_partition_get_type_string", (void **)&libblkid.get_type_string },
                { "blkid_partition_get_uuid", (void **)&libblkid.get_uuid },
                { "blkid_partition_get_name", (void **)&libblkid.get_name },
                { "blkid_partition_get_flags", (void **)&libblkid.get_flags },
        };
        int r;

        if (libblkid.handle)
                return 0;
        libblkid.handle = dl_open("libblkid.so.1", symbols, ELEMENTSOF(symbols), &r);
        return r;
}

static void libblkid_unload(void)
{
        if (libblkid.handle)
                dlclose(libblkid.handle);
        libblkid.handle = NULL;
}

static void blkid_free_probep(blkid_probe *pr)
{
        if (*pr)
                libblkid.free_probe(*pr);
}

/* What we know how to mount read from an image. vfat is missing on purpose: it is
 * fine on an ESP, which we leave alone, but no Linux tree lives on it. */
static const char *const mountable_fstypes[] = {
        "ext4", "ext3", "ext2", "btrfs", "xfs", "squashfs", "erofs",
};
#define MOUNTABLE_FSTYPES_TEXT "ext4, ext3, ext2, btrfs, xfs, squashfs or erofs"

const char *dissect_native_arch(void)
{
#if defined(__x86_64__)
        return "x86-64";
#elif defined(__i386__)
        return "x86";
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
        return "arm64";
#elif defined(__arm__) && !defined(__ARMEB__)
        return "arm";
#elif defined(__ia64__)
        return "ia64";
#elif defined(__loongarch_lp64)
        return "loongarch64";
#elif defined(__mips64) && defined(__MIPSEL__)
        return "mips64-le";
#elif defined(__mips__) && defined(__MIPSEL__)
        return "mips-le";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "ppc64-le";
#elif defined(__powerpc64__)
        return "ppc64";
#elif defined(__powerpc__)
        return "ppc";
#elif defined(__riscv) && __riscv_xlen == 64
        return "riscv64";
#elif defined(__riscv) && __riscv_xlen == 32
        return "riscv32";
#elif defined(__s390x__)
        return "s390x";
#elif defined(__s390__)
        return "s390";
#elif defined(__tilegx__)
        return "tilegx";
#elif defined(__alpha__)
        return "alpha";
#elif defined(__arc__)
        return "arc";
#else
        return NULL;
#endif
}

static void classify_gpt_type(struct image_partition *p)
{
        const char *arch = NULL;

        p->designator = gpt_type_designator(p->type, &arch);
        if (arch)
                snprintf(p->arch, sizeof(p->arch), "%s", arch);
}

/* Stores one line in ERROR (whatever the image put into the arguments) and returns
 * the errno the caller gave with it, so that `return fail_errno(...)` reads as one step. */
static int fail_errno(int r, char *error, size_t error_size, const char *format, ...) _printf_(4, 5);

static int fail_errno(int r, char *error, size_t error_size, const char *format, ...)
{
        va_list ap;

        if (error_size == 0)
                return r;
        va_start(ap, format);
        vsnprintf(error, error_size, format, ap);
        va_end(ap);
        for (char *c = error; *c; c++)
                if (*c == '\n' || *c == '\r')
                        *c = ' ';
        return r;
}

/* Copies a string from libblkid (that is, from the image) into a fixed field: cut at a
 * character boundary, so that a UTF-8 sequence is never left half. */
static void copy_field(char *field, size_t field_size, const char *value)
{
        size_t n;

        if (!value)
                value = "";
        n = strnlen(value, field_size - 1);
        if (value[n] != '\0')
                while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
                        n--;
        memcpy(field, value, n);
        field[n] = '\0';
}

static void lowercase(char *s)
{
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        *s = (char)(*s - 'A' + 'a');
}

static bool fstype_is_mountable(const char *fstype)
{
        for (size_t i = 0; i < ELEMENTSOF(mountable_fstypes); i++)
                if (strcmp(mountable_fstypes[i], fstype) == 0)
                        return true;
        return false;
}

/* The file system in one area of the image, probed on its own: the same fd, the
 * window of the partition, superblocks only. Leaves FSTYPE empty when libblkid finds
 * none or several (a stale signature next to a new one is no better than nothing). */
static int probe_fstype(int fd, uint64_t offset, uint64_t size, char *fstype, size_t fstype_size)
{
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        const char *value = NULL;
        int r;

        fstype[0] = '\0';
        pr = libblkid.new_probe();
        if (!pr)
                return -ENOMEM;
        errno = 0;
        if (libblkid.set_device(pr, fd, (blkid_loff_t)offset, (blkid_loff_t)size) < 0)
                return negative_errno();
        libblkid.enable_partitions(pr, 0);
        libblkid.enable_superblocks(pr, 1);
        libblkid.set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        errno = 0;
        r = libblkid.do_safeprobe(pr);
        if (r == -1)
                return negative_errno();
        if (r == 0 && libblkid.lookup_value(pr, "TYPE", &value, NULL) == 0)
                copy_field(fstype, fstype_size, value);
        return 0;
}

/* libblkid found a protective MBR but no GPT header it trusts. libblkid rejects a
 * primary header whose last usable sector lies past the end of the device, and the
 * backup header sits in the very last sector: a copy cut short loses both. Tell that
 * apart from damage by what the primary header claims the disk size is. */
static int refuse_broken_gpt(int fd, unsigned sector_size, uint64_t image_size, char *error, size_t error_size)
{
        uint64_t claimed;

        if (sector_size < 512 || sector_size > 65536)
                sector_size = 512;
        claimed = gpt_claimed_disk_size(fd, sector_size);
        if (claimed > image_size)
                return fail_errno(-EBADMSG, error, error_size,
                                  "the GPT describes a disk of %" PRIu64 " bytes, past the image's end (%" PRIu64
                                  " bytes): the image is truncated (copy it again in full)",
                                  claimed, image_size);
        return fail_errno(-EBADMSG, error, error_size,
                          "the GPT is corrupt: the protective MBR announces one, but neither the primary nor "
                          "the backup GPT header is valid (repair it with sfdisk or gdisk, or rebuild the image)");
}

/* Reads the entries of the table libblkid found into D->partitions, with each
 * partition's file system. Refuses an entry outside the image: whatever lies
 * behind the end of a truncated copy is lost, and mounting it would fail late. */
static int read_partitions(int fd, blkid_probe pr, bool gpt, struct dissected_image *d, char *error, size_t error_size)
{
        blkid_partlist list;
        blkid_parttable table;
        int n, r;

        errno = 0;
        list = libblkid.get_partitions(pr);
        if (!list)
                return fail_errno(errno > 0 ? -errno : -EBADMSG, error, error_size,
                                  "libblkid could not read the partition table of the image");
        n = libblkid.numof_partitions(list);
        if (n < 0)
                return fail_errno(-EBADMSG, error, error_size,
                                  "libblkid could not read the partition table of the image");
        if (n > PARTITIONS_MAX)
                return fail_errno(-EBADMSG, error, error_size,
                                  "the partition table of the image lists %d partitions; at most %d are supported", n,
                                  PARTITIONS_MAX);
        table = libblkid.partlist_get_table(list);
        if (gpt && table)
                copy_field(d->disk_uuid, sizeof(d->disk_uuid), libblkid.parttable_get_id(table));
        lowercase(d->disk_uuid);

        d->partitions = calloc(n > 0 ? (size_t)n : 1, sizeof(struct image_partition));
        if (!d->partitions)
                return fail_errno(-ENOMEM, error, error_size, "out of memory while reading the image");

        for (int i = 0; i < n; i++) {
                struct image_partition *p = &d->partitions[d->n_partitions];
                blkid_partition par = libblkid.get_partition(list, i);
                blkid_loff_t start, size;
                uint64_t end;

                if (!par)
                        continue;
                d->n_partitions++;
                p->number = libblkid.get_partno(par);
                start = libblkid.get_start(par);
                size = libblkid.get_size(par);
                if (start < 0 || size <= 0 || (uint64_t)start > UINT64_MAX / BLKID_SECTOR ||
                    (uint64_t)size > UINT64_MAX / BLKID_SECTOR)
                        return fail_errno(-EBADMSG, error, error_size,
                                          "partition %d has an impossible start or size in the partition table "
                                          "(the table is corrupt)",
                                          p->number);
                p->offset = (uint64_t)start * BLKID_SECTOR;
                p->size = (uint64_t)size * BLKID_SECTOR;
                if (__builtin_add_overflow(p->offset, p->size, &end) || end > d->size)
                        return fail_errno(-EBADMSG, error, error_size,
                                          "partition %d ends at byte %" PRIu64 ", past the image's end (%" PRIu64
                                          " bytes): the image is truncated (copy it again in full)",
                                          p->number, p->offset + p->size, d->size);

                if (gpt) {
                        unsigned long long flags = libblkid.get_flags(par);

                        copy_field(p->type, sizeof(p->type), libblkid.get_type_string(par));
                        lowercase(p->type);
                        copy_field(p->uuid, sizeof(p->uuid), libblkid.get_uuid(par));
                        lowercase(p->uuid);
                        copy_field(p->label, sizeof(p->label), libblkid.get_name(par));
                        p->read_only = flags & GPT_FLAG_READ_ONLY;
                        p->no_auto = flags & GPT_FLAG_NO_AUTO;
                        p->growfs = flags & GPT_FLAG_GROWFS;
                        classify_gpt_type(p);
                } else {
                        /* A Linux partition counts only in the MBR itself, not in a BSD or
                         * other label libblkid found nested inside one of its partitions. */
                        int type = libblkid.get_type(par);

                        snprintf(p->type, sizeof(p->type), "0x%02x", (unsigned)type & 0xffu);
                        p->designator = type == 0x83 && libblkid.partition_get_table(par) == table
                                                ? DESIGNATOR_LINUX_GENERIC
                                                : DESIGNATOR_OTHER;
                }

                r = probe_fstype(fd, p->offset, p->size, p->fstype, sizeof(p->fstype));
                if (r < 0)
                        return fail_errno(r, error, error_size, "libblkid could not read partition %d of the image: %s",
                                          p->number, strerror(-r));
        }
        return 0;
}

/* One entry of the table outside the sectors the header leaves for partitions. */
static int refuse_stray_entry(const struct gpt_stray_entry *e, uint64_t n_sectors, char *error, size_t error_size)
{
        const char *name = partition_designator_to_string(gpt_type_designator(e->type, NULL));

        if (e->last >= n_sectors)
                return fail_errno(-EBADMSG, error, error_size,
                                  "partition %u (%s) runs past the end of the disk (sectors %" PRIu64 "-%" PRIu64
                                  ", the disk has %" PRIu64
                                  " sectors): the image is corrupt or hostile, fix its partition table",
                                  e->number, name, e->first, e->last, n_sectors);
        if (e->first > e->last)
                return fail_errno(-EBADMSG, error, error_size,
                                  "partition %u (%s) ends (sector %" PRIu64 ") before it starts (sector %" PRIu64
                                  "): the image is corrupt or hostile, fix its partition table",
                                  e->number, name, e->last, e->first);
        return fail_errno(-EBADMSG, error, error_size,
                          "partition %u (%s) covers sectors %" PRIu64 "-%" PRIu64 ", outside the sectors %" PRIu64
                          "-%" PRIu64 " the GPT leaves for partitions: the image is corrupt or hostile, fix its "
                          "partition table",
                          e->number, name, e->first, e->last, e->first_usable, e->last_usable);
}

/* libblkid leaves out, without a word, a GPT entry that lies outside the usable sectors
 * its header declares (libblkid/src/partitions/gpt.c): a root partition running past
 * the end of the disk would show as no root partition at all, which sends the user
 * looking at the wrong thing. So the entries of the header libblkid chose (it checked
 * the header's and the entries' CRCs) are read once more, every one of them (gpt.h). */
static int check_gpt_entries(int fd, blkid_probe pr, char *error, size_t error_size)
{
        blkid_partlist list = libblkid.get_partitions(pr);
        blkid_parttable table = list ? libblkid.partlist_get_table(list) : NULL;
        unsigned sector_size = libblkid.get_sectorsize(pr);
        blkid_loff_t size = libblkid.probe_get_size(pr);
        struct gpt_stray_entry stray;
        uint64_t n_sectors;
        int r;

        if (!table || sector_size < 512 || size <= 0 || libblkid.parttable_get_offset(table) < 0)
                return fail_errno(-EBADMSG, error, error_size,
                                  "libblkid could not read the partition table of the image");
        n_sectors = (uint64_t)size / sector_size;
        r = gpt_find_stray_entry(fd, (uint64_t)libblkid.parttable_get_offset(table), sector_size, n_sectors, &stray);
        if (r == -EBADMSG)
                return fail_errno(-EBADMSG, error, error_size,
                                  "the GPT header changed while it was read: the image is being written to");
        if (r < 0)
                return fail_errno(-EIO, error, error_size, "cannot read the GPT entries of the image");
        if (r > 0)
                return refuse_stray_entry(&stray, n_sectors, error, error_size);
        return 0;
}

/* Two partitions on the same sectors would be mounted as two file systems, each
 * writing over the other's blocks: a table that does that is refused, whichever two
 * partitions they are (one of them mounted is enough to do harm). A GPT lists no
 * partition inside another one, as an MBR's extended partition does. */
static int refuse_overlaps(const struct dissected_image *d, unsigned sector_size, char *error, size_t error_size)
{
        for (size_t i = 0; i < d->n_partitions; i++)
                for (size_t j = i + 1; j < d->n_partitions; j++) {
                        const struct image_partition *a = &d->partitions[i], *b = &d->partitions[j];
                        uint64_t start = MAX(a->offset, b->offset), end = MIN(a->offset + a->size, b->offset + b->size);

                        if (start >= end)
                                continue;
                        return fail_errno(-EBADMSG, error, error_size,
                                          "partitions %d (%s) and %d (%s) overlap (sectors %" PRIu64 "-%" PRIu64
                                          "): the image is corrupt or hostile, fix its partition table",
                                          a->number, partition_designator_to_string(a->designator), b->number,
                                          partition_designator_to_string(b->designator), start / sector_size,
                                          (end - 1) / sector_size);
                }
        return 0;
}

/* DPS: with several root (or /usr) partitions for the running architecture, the
 * partition labels carry the version of the OS inside ("root-1.9", "root-1.10"), as
 * A/B updates leave them; the highest by strverscmp() is the newest and boots. Equal
 * labels: the first in the table. A partition marked no-auto is never picked. */
static struct image_partition *choose_newest(struct dissected_image *d, enum partition_designator designator,
                                             const char *arch)
{
        struct image_partition *best = NULL;

        if (!arch)
                return NULL;
        for (size_t i = 0; i < d->n_partitions; i++) {
                struct image_partition *p = &d->partitions[i];

                if (p->designator != designator || p->no_auto || strcmp(p->arch, arch) != 0)
                        continue;
                if (!best || strverscmp(p->label, best->label) > 0)
                        best = p;
        }
        return best;
}

static struct image_partition *choose_first(struct dissected_image *d, enum partition_designator designator)
{
        for (size_t i = 0; i < d->n_partitions; i++)
                if (d->partitions[i].designator == designator && !d->partitions[i].no_auto)
                        return &d->partitions[i];
        return NULL;
}

/* No root for us: say what the image has instead, since "no root" alone sends the
 * user looking at the wrong thing when the image is for another machine. */
static int refuse_no_root(const struct dissected_image *d, char *error, size_t error_size)
{
        const char *native = dissect_native_arch(), *root_type = native ? gpt_root_type(native) : NULL;
        char others[256] = "";
        bool native_no_auto = false;

        /* Each architecture once, in the order of the table of types: all of them fit. */
        for (size_t a = 0; gpt_arch(a); a++)
                for (size_t i = 0; i < d->n_partitions; i++) {
                        const struct image_partition *p = &d->partitions[i];
                        size_t used = strlen(others);

                        if (p->designator != DESIGNATOR_ROOT || strcmp(p->arch, gpt_arch(a)) != 0)
                                continue;
                        if (native && strcmp(p->arch, native) == 0)
                                native_no_auto = true;
                        else
                                snprintf(others + used, sizeof(others) - used, "%s%s", used > 0 ? ", " : "", p->arch);
                        break;
                }

        if (!native)
                return fail_errno(-ENXIO, error, error_size,
                                  "this machine's architecture has no root partition type in the Discoverable "
                                  "Partitions Specification: images cannot be booted here");
        if (native_no_auto)
                return fail_errno(-ENXIO, error, error_size,
                                  "the image's %s root partitions are all marked no-auto (GPT attribute 63); "
                                  "clear the flag on the one to boot",
                                  native);
        if (others[0])
                return fail_errno(-ENXIO, error, error_size,
                                  "the image has a root partition for %s only; this machine runs %s "
                                  "(use an image built for %s)",
                                  others, native, native);
        return fail_errno(-ENXIO, error, error_size,
                          "the image has no root partition: none of its GPT partitions has the type "
                          "\"Linux root (%s)\" %s (set it with sfdisk --part-type)",
                          native, root_type ? root_type : "");
}

/* DPS pairs a verity partition with its data partition through the root hash, which
 * we are not given: one for the architecture of the chosen root (or /usr) is taken
 * as belonging to it. The image's author asked for it to be checked; booting it
 * unchecked would be worse than not booting it. */
static int refuse_verity(const struct dissected_image *d, const struct image_partition *data,
                         enum partition_designator verity, enum partition_designator verity_sig, char *error,
                         size_t error_size)
{
        if (!data)
                return 0;
        for (size_t i = 0; i < d->n_partitions; i++) {
                const struct image_partition *p = &d->partitions[i];

                if ((p->designator == verity || p->designator == verity_sig) && strcmp(p->arch, data->arch) == 0)
                        return fail_errno(-EOPNOTSUPP, error, error_size,
                                          "partition %d (%s) protects the %s partition %d with dm-verity: "
                                          "dm-verity/LUKS is not supported yet (use an image without verity)",
                                          p->number, partition_designator_to_string(p->designator),
                                          partition_designator_to_string(data->designator), data->number);
        }
        return 0;
}

/* Every partition that is going to be mounted must hold a file system we can mount. */
static int check_mountable(const struct dissected_image *d, char *error, size_t error_size)
{
        for (size_t i = 0; i < d->n_partitions; i++) {
                const struct image_partition *p = &d->partitions[i];
                const char *name = partition_designator_to_string(p->designator);

                if (!p->mount_point)
                        continue;
                if (strcmp(p->fstype, "crypto_LUKS") == 0)
                        return fail_errno(-EOPNOTSUPP, error, error_size,
                                          "partition %d (%s) is encrypted with LUKS: dm-verity/LUKS is not "
                                          "supported yet (use an unencrypted image)",
                                          p->number, name);
                if (p->fstype[0] == '\0')
                        return fail_errno(-EMEDIUMTYPE, error, error_size,
                                          "partition %d (%s) holds no file system libblkid recognizes "
                                          "(unformatted or damaged); it needs " MOUNTABLE_FSTYPES_TEXT,
                                          p->number, name);
                if (!fstype_is_mountable(p->fstype))
                        return fail_errno(-EMEDIUMTYPE, error, error_size,
                                          "partition %d (%s) holds %s, which cannot be mounted at %s; it needs " MOUNTABLE_FSTYPES_TEXT,
                                          p->number, name, p->fstype, p->mount_point);
        }
        return 0;
}

static int dissect_gpt(int fd, blkid_probe pr, struct dissected_image *d, char *error, size_t error_size)
{
        static const struct {
                enum partition_designator designator;
                const char *mount_point;
        } singles[] = {
                { DESIGNATOR_HOME, "/home" },
                { DESIGNATOR_SRV, "/srv" },
                { DESIGNATOR_VAR, "/var" },
                { DESIGNATOR_TMP, "/tmp" },
        };
        const char *native = dissect_native_arch();
        struct image_partition *usr, *p;
        int r;

        snprintf(d->table, sizeof(d->table), "gpt");
        r = read_partitions(fd, pr, true, d, error, error_size);
        if (r < 0)
                return r;
        r = check_gpt_entries(fd, pr, error, error_size);
        if (r < 0)
                return r;
        r = refuse_overlaps(d, libblkid.get_sectorsize(pr), error, error_size);
        if (r < 0)
                return r;

        d->root = choose_newest(d, DESIGNATOR_ROOT, native);
        if (!d->root)
                return refuse_no_root(d, error, error_size);
        d->root->mount_point = "/";
        usr = choose_newest(d, DESIGNATOR_USR, native);
        if (usr)
                usr->mount_point = "/usr";
        for (size_t i = 0; i < ELEMENTSOF(singles); i++) {
                p = choose_first(d, singles[i].designator);
                if (p)
                        p->mount_point = singles[i].mount_point;
        }

        r = refuse_verity(d, d->root, DESIGNATOR_ROOT_VERITY, DESIGNATOR_ROOT_VERITY_SIG, error, error_size);
        if (r < 0)
                return r;
        r = refuse_verity(d, usr, DESIGNATOR_USR_VERITY, DESIGNATOR_USR_VERITY_SIG, error, error_size);
        if (r < 0)
                return r;
        return check_mountable(d, error, error_size);
}

/* An MBR has no types for roles: one Linux partition is the root, more would be a guess. */
static int dissect_mbr(int fd, blkid_probe pr, struct dissected_image *d, char *error, size_t error_size)
{
        size_t n_linux = 0;
        int r;

        snprintf(d->table, sizeof(d->table), "dos");
        r = read_partitions(fd, pr, false, d, error, error_size);
        if (r < 0)
                return r;

        for (size_t i = 0; i < d->n_partitions; i++)
                if (d->partitions[i].designator == DESIGNATOR_LINUX_GENERIC) {
                        n_linux++;
                        if (!d->root)
                                d->root = &d->partitions[i];
                }
        if (n_linux != 1) {
                d->root = NULL;
                return fail_errno(-ENXIO, error, error_size,
                                  "the image has an MBR with %zu Linux partitions (type 0x83); one, and only one, "
                                  "is needed to be the root (or convert the image to GPT with DPS partition types)",
                                  n_linux);
        }
        d->root->mount_point = "/";
        return check_mountable(d, error, error_size);
}

/* No table: the whole image is the root file system, as mkfs or mksquashfs left it. */
static int dissect_bare(const char *fstype, struct dissected_image *d, char *error, size_t error_size)
{
        struct image_partition *p;

        d->partitions = calloc(1, sizeof(struct image_partition));
        if (!d->partitions)
                return fail_errno(-ENOMEM, error, error_size, "out of memory while reading the image");
        d->n_partitions = 1;
        p = d->root = &d->partitions[0];
        p->number = 0;
        p->designator = DESIGNATOR_ROOT;
        p->offset = 0;
        p->size = d->size;
        p->mount_point = "/";
        copy_field(p->fstype, sizeof(p->fstype), fstype);

        if (strcmp(p->fstype, "crypto_LUKS") == 0)
                return fail_errno(-EOPNOTSUPP, error, error_size,
                                  "the image is encrypted with LUKS: dm-verity/LUKS is not supported yet "
                                  "(use an unencrypted image)");
        if (!fstype_is_mountable(p->fstype))
                return fail_errno(-EMEDIUMTYPE, error, error_size,
                                  "the image holds a bare %s file system, which cannot be a root file system; "
                                  "it needs " MOUNTABLE_FSTYPES_TEXT,
                                  p->fstype);
        return 0;
}

static int dissect_with_blkid(int fd, struct dissected_image *d, char *error, size_t error_size)
{
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        const char *pttype = NULL, *fstype = NULL;
        blkid_loff_t size;
        int r;

        pr = libblkid.new_probe();
        if (!pr)
                return fail_errno(-ENOMEM, error, error_size, "out of memory while reading the image");
        errno = 0;
        if (libblkid.set_device(pr, fd, 0, 0) < 0) {
                r = negative_errno();
                return fail_errno(r, error, error_size, "libblkid could not open the image: %s", strerror(-r));
        }
        size = libblkid.probe_get_size(pr);
        if (size < 0)
                return fail_errno(-EIO, error, error_size, "libblkid could not find the size of the image");
        d->size = (uint64_t)size;
        if (d->size == 0)
                return fail_errno(-EINVAL, error, error_size,
                                  "the image is empty (0 bytes): not a disk image (write one into it first)");

        libblkid.enable_partitions(pr, 1);
        libblkid.set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        libblkid.enable_superblocks(pr, 1);
        libblkid.set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        errno = 0;
        r = libblkid.do_safeprobe(pr);
        if (r == -2)
                return fail_errno(-EBADMSG, error, error_size,
                                  "the image carries conflicting signatures (several partition tables or file "
                                  "systems at once); remove the stale ones with wipefs");
        if (r < 0) {
                r = negative_errno();
                return fail_errno(r, error, error_size, "libblkid could not read the image: %s", strerror(-r));
        }
        if (r == 0) {
                (void)libblkid.lookup_value(pr, "PTTYPE", &pttype, NULL);
                (void)libblkid.lookup_value(pr, "TYPE", &fstype, NULL);
        }

        if (pttype && strcmp(pttype, "gpt") == 0)
                return dissect_gpt(fd, pr, d, error, error_size);
        if (pttype && strcmp(pttype, "dos") == 0)
                return dissect_mbr(fd, pr, d, error, error_size);
        if ((pttype && strcmp(pttype, "PMBR") == 0) || (!pttype && !fstype && gpt_has_protective_mbr(fd)))
                return refuse_broken_gpt(fd, libblkid.get_sectorsize(pr), d->size, error, error_size);
        if (pttype) {
                char name[16];

                copy_field(name, sizeof(name), pttype);
                return fail_errno(-EOPNOTSUPP, error, error_size,
                                  "the image has a partition table of type \"%s\"; only a GPT, or an MBR with "
                                  "one Linux partition, can be booted",
                                  name);
        }
        if (fstype)
                return dissect_bare(fstype, d, error, error_size);
        return fail_errno(-EMEDIUMTYPE, error, error_size,
                          "not a disk image: no partition table and no file system found (a GPT, an MBR with "
                          "one Linux partition, or a bare " MOUNTABLE_FSTYPES_TEXT " file system is needed)");
}

int dissect_image(int fd, struct dissected_image *ret, char *error, size_t error_size)
{
        struct dissected_image d = {};
        int r;

        if (error_size > 0)
                error[0] = '\0';
        r = libblkid_load();
        if (r < 0)
                return fail_errno(r, error, error_size,
                                  "libblkid.so.1 is missing: it is needed to read disk images (install libblkid1)");
        r = dissect_with_blkid(fd, &d, error, error_size);
        libblkid_unload();
        if (r < 0) {
                dissected_image_done(&d);
                return r;
        }
        *ret = d;
        return 0;
}

void dissected_image_done(struct dissected_image *d)
{
        free(d->partitions);
        *d = (struct dissected_image){};
}
