/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

/* The Discoverable Partitions Specification: one GPT type per architecture for each
 * of these six roles. Names of the architectures as the specification spells them. */
static const enum partition_designator arch_designators[6] = {
        DESIGNATOR_ROOT, DESIGNATOR_USR,
        DESIGNATOR_ROOT_VERITY, DESIGNATOR_USR_VERITY,
        DESIGNATOR_ROOT_VERITY_SIG, DESIGNATOR_USR_VERITY_SIG,
};

static const struct {
        const char *arch;
        const char *types[6]; /* in the order of arch_designators */
} arch_types[] = {
        { "x86",
          { "44479540-f297-41b2-9af7-d131d5f0458a", "75250d76-8cc6-458e-bd66-bd47cc81a812",
            "d13c5d3b-b5d1-422a-b29f-9454fdc89d76", "8f461b0d-14ee-4e81-9aa9-049b6fb97abd",
            "5996fc05-109c-48de-808b-23fa0830b676", "974a71c0-de41-43c3-be5d-5c5ccd1ad2c0" } },
        { "x86-64",
          { "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "8484680c-9521-48c6-9c11-b0720656f69e",
            "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "77ff5f63-e7b6-4633-acf4-1565b864c0e6",
            "41092b05-9fc8-4523-994f-2def0408b176", "e7bb33fb-06cf-4e81-8273-e543b413e2e2" } },
        { "alpha",
          { "6523f8ae-3eb1-4e2a-a05a-18b695ae656f", "e18cf08c-33ec-4c0d-8246-c6c6fb3da024",
            "fc56d9e9-e6e5-4c06-be32-e74407ce09a5", "8cce0d25-c0d0-4a44-bd87-46331bf1df67",
            "d46495b7-a053-414f-80f7-700c99921ef8", "5c6e1c76-076a-457a-a0fe-f3b4cd21ce6e" } },
        { "arc",
          { "d27f46ed-2919-4cb8-bd25-9531f3c16534", "7978a683-6316-4922-bbee-38bff5a2fecc",
            "24b2d975-0f97-4521-afa1-cd531e421b8d", "fca0598c-d880-4591-8c16-4eda05c7347c",
            "143a70ba-cbd3-4f06-919f-6c05683a78bc", "94f9a9a1-9971-427a-a400-50cb297f0f35" } },
        { "arm",
          { "69dad710-2ce4-4e3c-b16c-21a1d49abed3", "7d0359a3-02b3-4f0a-865c-654403e70625",
            "7386cdf2-203c-47a9-a498-f2ecce45a2d6", "c215d751-7bcd-4649-be90-6627490a4c05",
            "42b0455f-eb11-491d-98d3-56145ba9d037", "d7ff812f-37d1-4902-a810-d76ba57b975a" } },
        { "arm64",
          { "b921b045-1df0-41c3-af44-4c6f280d3fae", "b0e01050-ee5f-4390-949a-9101b17104e9",
            "df3300ce-d69f-4c92-978c-9bfb0f38d820", "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e",
            "6db69de6-29f4-4758-a7a5-962190f00ce3", "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a" } },
        { "ia64",
          { "993d8d3d-f80e-4225-855a-9daf8ed7ea97", "4301d2a6-4e3b-4b2a-bb94-9e0b2c4225ea",
            "86ed10d5-b607-45bb-8957-d350f23d0571", "6a491e03-3be7-4545-8e38-83320e0ea880",
            "e98b36ee-32ba-4882-9b12-0ce14655f46a", "8de58bc2-2a43-460d-b14e-a76e4a17b47f" } },
        { "loongarch64",
          { "77055800-792c-4f94-b39a-98c91b762bb6", "e611c702-575c-4cbe-9a46-434fa0bf7e3f",
            "f3393b22-e9af-4613-a948-9d3bfbd0c535", "f46b2c26-59ae-48f0-9106-c50ed47f673d",
            "5afb67eb-ecc8-4f85-ae8e-ac1e7c50e7d0", "b024f315-d330-444c-8461-44bbde524e99" } },
        { "mips-le",
          { "37c58c8a-d913-4156-a25f-48b1b64e07f0", "0f4868e9-9952-4706-979f-3ed3a473e947",
            "d7d150d2-2a04-4a33-8f12-16651205ff7b", "46b98d8d-b55c-4e8f-aab3-37fca7f80752",
            "c919cc1f-4456-4eff-918c-f75e94525ca5", "3e23ca0b-a4bc-4b4e-8087-5ab6a26aa8a9" } },
        { "mips64-le",
          { "700bda43-7a34-4507-b179-eeb93d7a7ca3", "c97c1f32-ba06-40b4-9f22-236061b08aa8",
            "16b417f8-3e06-4f57-8dd2-9b5232f41aa6", "3c3d61fe-b5f3-414d-bb71-8739a694a4ef",
            "904e58ef-5c65-4a31-9c57-6af5fc7c5de7", "f2c2c7ee-adcc-4351-b5c6-ee9816b66e16" } },
        { "ppc",
          { "1de3f1ef-fa98-47b5-8dcd-4a860a654d78", "7d14fec5-cc71-415d-9d6c-06bf0b3c3eaf",
            "98cfe649-1588-46dc-b2f0-add147424925", "df765d00-270e-49e5-bc75-f47bb2118b09",
            "1b31b5aa-add9-463a-b2ed-bd467fc857e7", "7007891d-d371-4a80-86a4-5cb875b9302e" } },
        { "ppc64",
          { "912ade1d-a839-4913-8964-a10eee08fbd2", "2c9739e2-f068-46b3-9fd0-01c5a9afbcca",
            "9225a9a3-3c19-4d89-b4f6-eeff88f17631", "bdb528a5-a259-475f-a87d-da53fa736a07",
            "f5e2c20c-45b2-4ffa-bce9-2a60737e1aaf", "0b888863-d7f8-4d9e-9766-239fce4d58af" } },
        { "ppc64-le",
          { "c31c45e6-3f39-412e-80fb-4809c4980599", "15bb03af-77e7-4d4a-b12b-c0d084f7491c",
            "906bd944-4589-4aae-a4e4-dd983917446a", "ee2b9983-21e8-4153-86d9-b6901a54d1ce",
            "d4a236e7-e873-4c07-bf1d-bf6cf7f1c3c6", "c8bfbd1e-268e-4521-8bba-bf314c399557" } },
        { "riscv32",
          { "60d5a7fe-8e7d-435c-b714-3dd8162144e1", "b933fb22-5c3f-4f91-af90-e2bb0fa50702",
            "ae0253be-1167-4007-ac68-43926c14c5de", "cb1ee4e3-8cd0-4136-a0a4-aa61a32e8730",
            "3a112a75-8729-4380-b4cf-764d79934448", "c3836a13-3137-45ba-b583-b16c50fe5eb4" } },
        { "riscv64",
          { "72ec70a6-cf74-40e6-bd49-4bda08e8f224", "beaec34b-8442-439b-a40b-984381ed097d",
            "b6ed5582-440b-4209-b8da-5ff7c419ea3d", "8f1056be-9b05-47c4-81d6-be53128e5b54",
            "efe0f087-ea8d-4469-821a-4c2a96a8386a", "d2f9000a-7a18-453f-b5cd-4d32f77a7b32" } },
        { "s390",
          { "08a7acea-624c-4a20-91e8-6e0fa67d23f9", "cd0f869b-d0fb-4ca0-b141-9ea87cc78d66",
            "7ac63b47-b25c-463b-8df8-b4a94e6c90e1", "b663c618-e7bc-4d6d-90aa-11b756bb1797",
            "3482388e-4254-435a-a241-766a065f9960", "17440e4f-a8d0-467f-a46e-3912ae6ef2c5" } },
        { "s390x",
          { "5eead9a9-fe09-4a1e-a1d7-520d00531306", "8a4f5770-50aa-4ed3-874a-99b710db6fea",
            "b325bfbe-c7be-4ab8-8357-139e652d2f6b", "31741cc4-1a2a-4111-a581-e00b447d2d06",
            "c80187a5-73a3-491a-901a-017c3fa953e9", "3f324816-667b-46ae-86ee-9b0c0c6c11b4" } },
        { "tilegx",
          { "c50cdd70-3862-4cc3-90e1-809a8c93ee2c", "55497029-c7c1-44cc-aa39-815ed1558630",
            "966061ec-28e4-4b2e-b4a5-1f0a825a1d84", "2fb4bf56-07fa-42da-8132-6b139f2026ae",
            "b3671439-97b0-4a53-90f7-2d5a8f3ad47b", "4ede75e2-6ccc-4cc8-b9c7-70334b087510" } },
};

/* The roles that do not depend on the architecture. */
static const struct {
        const char *type;
        enum partition_designator designator;
} common_types[] = {
        { "933ac7e1-2eb4-4f13-b844-0e14e2aef915", DESIGNATOR_HOME },
        { "3b8f8425-20e0-4f3b-907f-1a25a76f98e8", DESIGNATOR_SRV },
        { "4d21b016-b534-45c2-a9fb-5c16e091fd2d", DESIGNATOR_VAR },
        { "7ec6f557-3bc5-4aca-b293-16ef5df639d1", DESIGNATOR_TMP },
        { "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", DESIGNATOR_ESP },
        { "bc13c2ff-59e6-4262-a352-b275fd6f7172", DESIGNATOR_XBOOTLDR },
        { "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", DESIGNATOR_SWAP },
        { "0fc63daf-8483-4772-8e79-3d69d8477de4", DESIGNATOR_LINUX_GENERIC },
};

static const char *const designator_names[_DESIGNATOR_MAX] = {
        [DESIGNATOR_ROOT] = "root",
        [DESIGNATOR_USR] = "usr",
        [DESIGNATOR_HOME] = "home",
        [DESIGNATOR_SRV] = "srv",
        [DESIGNATOR_VAR] = "var",
        [DESIGNATOR_TMP] = "tmp",
        [DESIGNATOR_ESP] = "esp",
        [DESIGNATOR_XBOOTLDR] = "xbootldr",
        [DESIGNATOR_SWAP] = "swap",
        [DESIGNATOR_ROOT_VERITY] = "root-verity",
        [DESIGNATOR_USR_VERITY] = "usr-verity",
        [DESIGNATOR_ROOT_VERITY_SIG] = "root-verity-sig",
        [DESIGNATOR_USR_VERITY_SIG] = "usr-verity-sig",
        [DESIGNATOR_LINUX_GENERIC] = "linux-generic",
        [DESIGNATOR_OTHER] = "other",
};

/* What we know how to mount read from an image. vfat is missing on purpose: it is
 * fine on an ESP, which we leave alone, but no Linux tree lives on it. */
static const char *const mountable_fstypes[] = {
        "ext4", "ext3", "ext2", "btrfs", "xfs", "squashfs", "erofs",
};
#define MOUNTABLE_FSTYPES_TEXT "ext4, ext3, ext2, btrfs, xfs, squashfs or erofs"

const char *partition_designator_to_string(enum partition_designator designator)
{
        if ((unsigned)designator >= _DESIGNATOR_MAX)
                return NULL;
        return designator_names[designator];
}

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

static const char *native_root_type(void)
{
        const char *arch = dissect_native_arch();

        for (size_t i = 0; arch && i < ELEMENTSOF(arch_types); i++)
                if (strcmp(arch_types[i].arch, arch) == 0)
                        return arch_types[i].types[0];
        return NULL;
}

static void classify_gpt_type(struct image_partition *p)
{
        for (size_t i = 0; i < ELEMENTSOF(arch_types); i++)
                for (size_t j = 0; j < ELEMENTSOF(arch_designators); j++)
                        if (strcmp(arch_types[i].types[j], p->type) == 0) {
                                p->designator = arch_designators[j];
                                snprintf(p->arch, sizeof(p->arch), "%s", arch_types[i].arch);
                                return;
                        }
        for (size_t i = 0; i < ELEMENTSOF(common_types); i++)
                if (strcmp(common_types[i].type, p->type) == 0) {
                        p->designator = common_types[i].designator;
                        return;
                }
        p->designator = DESIGNATOR_OTHER;
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

static uint64_t read_le(const uint8_t *p, int n_bytes)
{
        uint64_t v = 0;

        for (int i = n_bytes - 1; i >= 0; i--)
                v = (v << 8) | p[i];
        return v;
}

static uint64_t read_le64(const uint8_t *p)
{
        return read_le(p, 8);
}

/* Sector 0 with the boot signature and a partition of type 0xee: the protective MBR
 * that stands in front of a GPT (UEFI 2.10, 5.2.3). */
static bool has_protective_mbr(int fd)
{
        uint8_t mbr[512];

        if (pread(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr) || mbr[510] != 0x55 || mbr[511] != 0xaa)
                return false;
        for (int i = 0; i < 4; i++)
                if (mbr[446 + 16 * i + 4] == 0xee)
                        return true;
        return false;
}

/* libblkid found a protective MBR but no GPT header it trusts. libblkid rejects a
 * primary header whose last usable sector lies past the end of the device, and the
 * backup header sits in the very last sector: a copy cut short loses both. Tell that
 * apart from damage by what the primary header claims the disk size is. */
static int refuse_broken_gpt(int fd, unsigned sector_size, uint64_t image_size, char *error, size_t error_size)
{
        uint8_t header[92];
        uint64_t backup_lba;

        if (sector_size < 512 || sector_size > 65536)
                sector_size = 512;
        if (pread(fd, header, sizeof(header), sector_size) == (ssize_t)sizeof(header) &&
            memcmp(header, "EFI PART", 8) == 0) {
                backup_lba = read_le64(header + 32);
                if (backup_lba < UINT64_MAX / sector_size && (backup_lba + 1) * sector_size > image_size)
                        return fail_errno(-EBADMSG, error, error_size,
                                          "the GPT describes a disk of %" PRIu64
                                          " bytes, past the image's end (%" PRIu64
                                          " bytes): the image is truncated (copy it again in full)",
                                          (backup_lba + 1) * sector_size, image_size);
        }
        return fail_errno(-EBADMSG, error, error_size,
                          "the GPT is corrupt: the protective MBR announces one, but neither the primary nor "
                          "the backup GPT header is valid (repair it with sfdisk or gdisk, or rebuild the image)");
}

/* Reads the entries of the table libblkid found into D->partitions, with each
 * partition's file system. Refuses an entry outside the image: whatever lies
 * behind the end of a truncated copy is lost, and mounting it would fail late. */
static int read_partitions(int fd, blkid_probe pr, bool gpt, struct dissected_image *d, char *error,
                           size_t error_size)
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
                                  "the partition table of the image lists %d partitions; at most %d are supported",
                                  n, PARTITIONS_MAX);
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
                                          "partition %d ends at byte %" PRIu64
                                          ", past the image's end (%" PRIu64
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
                        return fail_errno(r, error, error_size,
                                          "libblkid could not read partition %d of the image: %s", p->number,
                                          strerror(-r));
        }
        return 0;
}

/* A GPT entry's type GUID (UEFI 2.10, 5.3.3: the first three fields little endian) as
 * libblkid spells it, so that classify_gpt_type() can name what the entry claims to be. */
static void format_gpt_guid(const uint8_t *guid, char *buf, size_t buf_size)
{
        snprintf(buf, buf_size, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 read_le(guid, 4), read_le(guid + 4, 2), read_le(guid + 6, 2), guid[8], guid[9], guid[10], guid[11],
                 guid[12], guid[13], guid[14], guid[15]);
}

/* One entry of the table outside the sectors the header leaves for partitions. */
static int refuse_outside_entry(unsigned number, const uint8_t *entry, uint64_t first_usable, uint64_t last_usable,
                                uint64_t n_sectors, char *error, size_t error_size)
{
        struct image_partition p = {};
        uint64_t first = read_le64(entry + 32), last = read_le64(entry + 40);
        const char *name;

        format_gpt_guid(entry, p.type, sizeof(p.type));
        classify_gpt_type(&p);
        name = partition_designator_to_string(p.designator);
        if (last >= n_sectors)
                return fail_errno(-EBADMSG, error, error_size,
                                  "partition %u (%s) runs past the end of the disk (sectors %" PRIu64 "-%" PRIu64
                                  ", the disk has %" PRIu64
                                  " sectors): the image is corrupt or hostile, fix its partition table",
                                  number, name, first, last, n_sectors);
        if (first > last)
                return fail_errno(-EBADMSG, error, error_size,
                                  "partition %u (%s) ends (sector %" PRIu64 ") before it starts (sector %" PRIu64
                                  "): the image is corrupt or hostile, fix its partition table",
                                  number, name, last, first);
        return fail_errno(-EBADMSG, error, error_size,
                          "partition %u (%s) covers sectors %" PRIu64 "-%" PRIu64 ", outside the sectors %" PRIu64
                          "-%" PRIu64 " the GPT leaves for partitions: the image is corrupt or hostile, fix its "
                          "partition table",
                          number, name, first, last, first_usable, last_usable);
}

/* libblkid leaves out, without a word, a GPT entry that lies outside the usable sectors
 * its header declares (libblkid/src/partitions/gpt.c): a root partition running past
 * the end of the disk would show as no root partition at all, which sends the user
 * looking at the wrong thing. So the entries of the header libblkid chose (it checked
 * the header's and the entries' CRCs) are read here once more, every one of them. */
static int check_gpt_entries(int fd, blkid_probe pr, char *error, size_t error_size)
{
        /* UEFI 2.10, 5.3.2: the header's fields; libblkid accepts 128-byte entries only. */
        enum { ENTRY_SIZE = 128, ENTRIES_PER_READ = 512 };
        static uint8_t entries[ENTRY_SIZE * ENTRIES_PER_READ];
        blkid_partlist list = libblkid.get_partitions(pr);
        blkid_parttable table = list ? libblkid.partlist_get_table(list) : NULL;
        unsigned sector_size = libblkid.get_sectorsize(pr);
        uint64_t first_usable, last_usable, entries_lba, n_sectors;
        uint32_t n_entries;
        uint8_t header[92];
        blkid_loff_t size = libblkid.probe_get_size(pr);
        off_t offset;

        if (!table || sector_size < 512 || size <= 0 || libblkid.parttable_get_offset(table) < 0)
                return fail_errno(-EBADMSG, error, error_size,
                                  "libblkid could not read the partition table of the image");
        offset = (off_t)libblkid.parttable_get_offset(table);
        if (pread(fd, header, sizeof(header), offset) != (ssize_t)sizeof(header) ||
            memcmp(header, "EFI PART", 8) != 0 || read_le(header + 84, 4) != ENTRY_SIZE)
                return fail_errno(-EBADMSG, error, error_size,
                                  "the GPT header changed while it was read: the image is being written to");
        first_usable = read_le64(header + 40);
        last_usable = read_le64(header + 48);
        entries_lba = read_le64(header + 72);
        n_entries = (uint32_t)read_le(header + 80, 4);
        n_sectors = (uint64_t)size / sector_size;
        if (entries_lba >= n_sectors)
                return fail_errno(-EBADMSG, error, error_size,
                                  "the GPT header changed while it was read: the image is being written to");

        for (uint32_t done = 0; done < n_entries;) {
                uint32_t n = MIN(n_entries - done, (uint32_t)ENTRIES_PER_READ);
                off_t at = (off_t)(entries_lba * sector_size + (uint64_t)done * ENTRY_SIZE);

                if (pread(fd, entries, (size_t)n * ENTRY_SIZE, at) != (ssize_t)((size_t)n * ENTRY_SIZE))
                        return fail_errno(-EIO, error, error_size, "cannot read the GPT entries of the image");
                for (uint32_t i = 0; i < n; i++) {
                        const uint8_t *e = entries + (size_t)i * ENTRY_SIZE;
                        uint64_t first = read_le64(e + 32), last = read_le64(e + 40);
                        static const uint8_t unused[16];

                        if (memcmp(e, unused, sizeof(unused)) == 0)
                                continue;
                        if (first < first_usable || first > last || last > last_usable)
                                return refuse_outside_entry(done + i + 1, e, first_usable, last_usable, n_sectors,
                                                            error, error_size);
                }
                done += n;
        }
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
        const char *native = dissect_native_arch(), *root_type = native_root_type();
        char others[256] = "";
        bool native_no_auto = false;

        /* Each architecture once, in the order of the table of types: all of them fit. */
        for (size_t a = 0; a < ELEMENTSOF(arch_types); a++)
                for (size_t i = 0; i < d->n_partitions; i++) {
                        const struct image_partition *p = &d->partitions[i];
                        size_t used = strlen(others);

                        if (p->designator != DESIGNATOR_ROOT || strcmp(p->arch, arch_types[a].arch) != 0)
                                continue;
                        if (native && strcmp(p->arch, native) == 0)
                                native_no_auto = true;
                        else
                                snprintf(others + used, sizeof(others) - used, "%s%s", used > 0 ? ", " : "",
                                         p->arch);
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
                                          p->number, designator_names[p->designator],
                                          designator_names[data->designator], data->number);
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
                                          "partition %d (%s) holds %s, which cannot be mounted at %s; it needs "
                                          MOUNTABLE_FSTYPES_TEXT,
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
        if ((pttype && strcmp(pttype, "PMBR") == 0) || (!pttype && !fstype && has_protective_mbr(fd)))
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
