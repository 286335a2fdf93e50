/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Disk images as a user would bring them (made here with sfdisk and the mkfs tools, on
 * plain files, no root needed), read with dissect_image(): what is found in good ones,
 * and for each kind of bad one, the errno and the one line the user is shown. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/dissect.h"
#include "test.h"
#include "util/macro.h"
#include "verbs/inspect.h"

#define MIB (1024ULL * 1024ULL)

#define TYPE_ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define TYPE_ROOT_X86_64 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
#define TYPE_ROOT_ARM64 "b921b045-1df0-41c3-af44-4c6f280d3fae"
#define TYPE_ROOT_VERITY_X86_64 "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"
#define TYPE_ROOT_VERITY_ARM64 "df3300ce-d69f-4c92-978c-9bfb0f38d820"
#define TYPE_USR_X86_64 "8484680c-9521-48c6-9c11-b0720656f69e"
#define TYPE_USR_ARM64 "b0e01050-ee5f-4390-949a-9101b17104e9"
#define TYPE_HOME "933ac7e1-2eb4-4f13-b844-0e14e2aef915"
#define TYPE_SRV "3b8f8425-20e0-4f3b-907f-1a25a76f98e8"
#define TYPE_VAR "4d21b016-b534-45c2-a9fb-5c16e091fd2d"
#define TYPE_TMP "7ec6f557-3bc5-4aca-b293-16ef5df639d1"
#define TYPE_SWAP "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"

static char dir[] = "/tmp/test-dissect-XXXXXX";

/* The native types: the tests build images for the machine they run on, and use the
 * arm64 types (x86-64 on arm64) for "an image for another machine". */
static const char *native, *type_root, *type_root_verity, *type_usr, *foreign, *type_root_foreign;

static int sh(const char *format, ...) _printf_(1, 2);

static int sh(const char *format, ...)
{
        char command[4096];
        va_list ap;
        int status;

        va_start(ap, format);
        vsnprintf(command, sizeof(command), format, ap);
        va_end(ap);
        status = system(command);
        if (status != 0)
                fprintf(stderr, "command failed (%d): %s\n", status, command);
        return status == -1 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
}

static bool have(const char *tool)
{
        char command[256];

        snprintf(command, sizeof(command), "command -v %s >/dev/null 2>&1", tool);
        return system(command) == 0;
}

static const char *path_of(const char *name)
{
        static char paths[4][PATH_MAX];
        static unsigned next;
        char *p = paths[next++ % ELEMENTSOF(paths)];

        snprintf(p, PATH_MAX, "%s/%s", dir, name);
        return p;
}

/* A file system of SIZE MiB in the file NAME; KIND as mkfs names it. */
static bool make_fs(const char *name, const char *kind, unsigned size_mib)
{
        const char *p = path_of(name);

        if (strcmp(kind, "squashfs") == 0)
                return sh("mksquashfs %s/content %s -quiet -noappend >/dev/null", dir, p) == 0;
        if (strcmp(kind, "erofs") == 0)
                return sh("mkfs.erofs --quiet %s %s/content >/dev/null", p, dir) == 0;
        if (sh("truncate -s %uM %s", size_mib, p) != 0)
                return false;
        if (strcmp(kind, "ext4") == 0 || strcmp(kind, "ext2") == 0)
                return sh("mkfs.%s -q -F %s", kind, p) == 0;
        if (strcmp(kind, "btrfs") == 0)
                return sh("mkfs.btrfs -q -f -M %s >/dev/null 2>&1", p) == 0;
        /* xfsprogs >= 5.19 wants 300 MB, except for fstests' small test file systems */
        if (strcmp(kind, "xfs") == 0)
                return sh("TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 mkfs.xfs -q -f %s", p) == 0;
        if (strcmp(kind, "vfat") == 0)
                return sh("mkfs.vfat %s >/dev/null", p) == 0;
        if (strcmp(kind, "swap") == 0)
                return sh("mkswap -q %s", p) == 0;
        return false;
}

struct part {
        unsigned start_mib, size_mib;
        const char *type, *name, *attrs, *fs; /* fs: a file made by make_fs(), or NULL */
};

/* A GPT image of SIZE MiB with PARTS, each file system copied into its place. */
static bool make_gpt(const char *image, unsigned size_mib, const struct part *parts, size_t n)
{
        char script[4096];
        size_t o;
        FILE *f;

        o = (size_t)snprintf(script, sizeof(script), "label: gpt\n");
        for (size_t i = 0; i < n; i++)
                o += (size_t)snprintf(script + o, sizeof(script) - o, "start=%u, size=%u, type=%s, name=\"%s\"%s%s%s\n",
                                      parts[i].start_mib * 2048, parts[i].size_mib * 2048, parts[i].type, parts[i].name,
                                      parts[i].attrs ? ", attrs=\"" : "", parts[i].attrs ? parts[i].attrs : "",
                                      parts[i].attrs ? "\"" : "");
        f = fopen(path_of("script"), "we");
        if (!f)
                return false;
        fputs(script, f);
        fclose(f);
        if (sh("rm -f %1$s && truncate -s %2$uM %1$s && sfdisk -q --no-reread --no-tell-kernel %1$s <%3$s >/dev/null",
               path_of(image), size_mib, path_of("script")) != 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (parts[i].fs && sh("dd if=%s of=%s bs=1M seek=%u conv=notrunc,sparse status=none",
                                      path_of(parts[i].fs), path_of(image), parts[i].start_mib) != 0)
                        return false;
        return true;
}

static int dissect_path(const char *image, struct dissected_image *d, char *error, size_t error_size)
{
        _cleanup_close_ int fd = open(path_of(image), O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        return dissect_image(fd, d, error, error_size);
}

/* What the user sees for a bad image: the errno, one line, and the words that say what. */
static void check_refused(const char *image, int expected, const char *words)
{
        struct dissected_image d = {};
        char error[256] = ""; /* as src/image/image.c has it: the whole message must fit */
        int r;

        r = dissect_path(image, &d, error, sizeof(error));
        printf("%-18s -> %s: %s\n", image, strerror(-r), error);
        CHECK(r == expected);
        CHECK(error[0] != '\0');
        CHECK(strlen(error) < sizeof(error) - 1);
        CHECK(strchr(error, '\n') == NULL);
        CHECK(strstr(error, words) != NULL);
        CHECK(d.partitions == NULL && d.n_partitions == 0);
        if (r >= 0)
                dissected_image_done(&d);
}

/* The JSON must parse, whatever the labels hold. */
static bool json_parses(const struct dissected_image *d, const char *path)
{
        FILE *python = popen("python3 -c 'import json, sys; json.load(sys.stdin)'", "we");

        if (!python)
                return false;
        inspect_print(d, path, true, python);
        return pclose(python) == 0;
}

static char *print_to_string(const struct dissected_image *d, const char *path, bool json)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        inspect_print(d, path, json, f);
        fclose(f);
        return text;
}

static const struct image_partition *partition_number(const struct dissected_image *d, int number)
{
        for (size_t i = 0; i < d->n_partitions; i++)
                if (d->partitions[i].number == number)
                        return &d->partitions[i];
        return NULL;
}

static void check_partition(const struct dissected_image *d, int number, enum partition_designator designator,
                            const char *fstype, const char *mount_point, uint64_t offset_mib, uint64_t size_mib)
{
        const struct image_partition *p = partition_number(d, number);

        CHECK(p != NULL);
        if (!p)
                return;
        if (p->designator != designator || strcmp(p->fstype, fstype) != 0 ||
            (mount_point ? !p->mount_point || strcmp(p->mount_point, mount_point) != 0 : p->mount_point != NULL) ||
            p->offset != offset_mib * MIB || p->size != size_mib * MIB)
                fprintf(stderr, "partition %d: designator %s, fs \"%s\", mount %s, offset %llu, size %llu\n", number,
                        partition_designator_to_string(p->designator), p->fstype,
                        p->mount_point ? p->mount_point : "(none)", (unsigned long long)p->offset,
                        (unsigned long long)p->size);
        CHECK(p->designator == designator);
        CHECK(strcmp(p->fstype, fstype) == 0);
        CHECK(mount_point ? p->mount_point && strcmp(p->mount_point, mount_point) == 0 : p->mount_point == NULL);
        CHECK(p->offset == offset_mib * MIB);
        CHECK(p->size == size_mib * MIB);
}

/* Everything DPS knows, in one image. */
static void test_full_gpt(void)
{
        const struct part parts[] = {
                { 1, 8, TYPE_ESP, "ESP", NULL, "vfat.fs" },        { 9, 16, type_root, "root-2", "GUID:60", "ext4.fs" },
                { 25, 8, type_usr, "usr-2", NULL, "squashfs.fs" }, { 33, 32, TYPE_HOME, "home", NULL, "btrfs.fs" },
                { 65, 32, TYPE_SRV, "srv", NULL, "xfs.fs" },       { 97, 8, TYPE_VAR, "var", NULL, "erofs.fs" },
                { 105, 8, TYPE_TMP, "tmp", "GUID:59", "ext2.fs" }, { 113, 8, TYPE_SWAP, "swap", NULL, "swap.fs" },
        };
        struct dissected_image d = {};
        char error[512] = "";
        _cleanup_free_ char *table = NULL;
        const struct image_partition *p;
        int r;

        CHECK(make_gpt("full.raw", 122, parts, ELEMENTSOF(parts)));
        r = dissect_path("full.raw", &d, error, sizeof(error));
        if (r < 0)
                fprintf(stderr, "full.raw: %s\n", error);
        CHECK(r == 0);
        if (r < 0)
                return;
        CHECK(strcmp(d.table, "gpt") == 0);
        CHECK(strlen(d.disk_uuid) == 36);
        CHECK(d.size == 122 * MIB);
        CHECK(d.n_partitions == 8);
        check_partition(&d, 1, DESIGNATOR_ESP, "vfat", NULL, 1, 8);
        check_partition(&d, 2, DESIGNATOR_ROOT, "ext4", "/", 9, 16);
        check_partition(&d, 3, DESIGNATOR_USR, "squashfs", "/usr", 25, 8);
        check_partition(&d, 4, DESIGNATOR_HOME, "btrfs", "/home", 33, 32);
        check_partition(&d, 5, DESIGNATOR_SRV, "xfs", "/srv", 65, 32);
        check_partition(&d, 6, DESIGNATOR_VAR, "erofs", "/var", 97, 8);
        check_partition(&d, 7, DESIGNATOR_TMP, "ext2", "/tmp", 105, 8);
        check_partition(&d, 8, DESIGNATOR_SWAP, "swap", NULL, 113, 8);
        p = partition_number(&d, 2);
        CHECK(d.root == p);
        if (p) {
                CHECK(p->read_only && !p->no_auto && !p->growfs);
                CHECK(strcmp(p->arch, native) == 0);
                CHECK(strcmp(p->type, type_root) == 0);
                CHECK(strcmp(p->label, "root-2") == 0);
                CHECK(strlen(p->uuid) == 36);
        }
        p = partition_number(&d, 7);
        CHECK(p && p->growfs && !p->read_only && !p->no_auto);
        p = partition_number(&d, 1);
        CHECK(p && p->arch[0] == '\0' && !p->read_only);

        CHECK(json_parses(&d, path_of("full.raw")));
        table = print_to_string(&d, "/images/full.raw", false);
        CHECK(table && strstr(table, "Image:  /images/full.raw\n"));
        CHECK(table && strstr(table, "Table:  gpt, disk "));
        CHECK(table && strstr(table, "root-2"));
        CHECK(table && strstr(table, "ro "));
        dissected_image_done(&d);
        CHECK(d.partitions == NULL && d.root == NULL);
}

/* A/B updates: the newer version by its label wins, not the first in the table; a
 * partition marked no-auto is never chosen, however new. */
static void test_choose_root(void)
{
        const struct part ab[] = {
                { 1, 8, type_root, "root-1.9", NULL, "ext4.fs" },
                { 9, 8, type_root, "root-1.10", NULL, "ext4.fs" },
                { 17, 8, type_root, "root-2.0", "GUID:63", "ext4.fs" },
                { 25, 8, type_root_foreign, "root-3.0", NULL, "ext4.fs" },
                { 33, 8, type_usr, "usr-1.10", NULL, "squashfs.fs" },
                { 41, 8, type_usr, "usr-1.9", NULL, "squashfs.fs" },
        };
        const struct part only_no_auto[] = {
                { 1, 8, type_root, "root", "GUID:63", "ext4.fs" },
        };
        struct dissected_image d = {};
        char error[512] = "";
        int r;

        CHECK(make_gpt("ab.raw", 50, ab, ELEMENTSOF(ab)));
        r = dissect_path("ab.raw", &d, error, sizeof(error));
        if (r < 0)
                fprintf(stderr, "ab.raw: %s\n", error);
        CHECK(r == 0);
        if (r < 0)
                return;
        CHECK(d.root && d.root->number == 2 && strcmp(d.root->label, "root-1.10") == 0);
        check_partition(&d, 1, DESIGNATOR_ROOT, "ext4", NULL, 1, 8);
        check_partition(&d, 2, DESIGNATOR_ROOT, "ext4", "/", 9, 8);
        check_partition(&d, 3, DESIGNATOR_ROOT, "ext4", NULL, 17, 8);
        check_partition(&d, 4, DESIGNATOR_ROOT, "ext4", NULL, 25, 8);
        check_partition(&d, 5, DESIGNATOR_USR, "squashfs", "/usr", 33, 8);
        check_partition(&d, 6, DESIGNATOR_USR, "squashfs", NULL, 41, 8);
        CHECK(partition_number(&d, 3) && partition_number(&d, 3)->no_auto);
        CHECK(partition_number(&d, 4) && strcmp(partition_number(&d, 4)->arch, foreign) == 0);
        dissected_image_done(&d);

        CHECK(make_gpt("no-auto.raw", 10, only_no_auto, ELEMENTSOF(only_no_auto)));
        check_refused("no-auto.raw", -ENXIO, "no-auto");
}

/* A bare file system is the root, with no table around it. */
static void test_bare(const char *kind)
{
        char file[32];
        struct dissected_image d = {};
        char error[512] = "";
        struct stat st;
        int r;

        snprintf(file, sizeof(file), "%s.fs", kind);
        r = dissect_path(file, &d, error, sizeof(error));
        if (r < 0)
                fprintf(stderr, "%s: %s\n", file, error);
        CHECK(r == 0);
        if (r < 0)
                return;
        CHECK(stat(path_of(file), &st) == 0);
        CHECK(strcmp(d.table, "") == 0);
        CHECK(d.size == (uint64_t)st.st_size);
        CHECK(d.n_partitions == 1 && d.root == &d.partitions[0]);
        CHECK(d.root->number == 0 && d.root->offset == 0 && d.root->size == d.size);
        CHECK(d.root->designator == DESIGNATOR_ROOT);
        CHECK(strcmp(d.root->fstype, kind) == 0);
        CHECK(d.root->mount_point && strcmp(d.root->mount_point, "/") == 0);
        CHECK(json_parses(&d, path_of(file)));
        dissected_image_done(&d);
}

static void test_mbr(void)
{
        struct dissected_image d = {};
        char error[512] = "";
        int r;

        CHECK(sh("rm -f %1$s && truncate -s 12M %1$s && printf 'label: dos\\nstart=2048, size=16384, type=83\\n' | "
                 "sfdisk -q --no-reread --no-tell-kernel %1$s >/dev/null && "
                 "dd if=%2$s of=%1$s bs=1M seek=1 conv=notrunc,sparse status=none",
                 path_of("mbr.raw"), path_of("ext4.fs")) == 0);
        r = dissect_path("mbr.raw", &d, error, sizeof(error));
        if (r < 0)
                fprintf(stderr, "mbr.raw: %s\n", error);
        CHECK(r == 0);
        if (r < 0)
                return;
        CHECK(strcmp(d.table, "dos") == 0);
        CHECK(d.n_partitions == 1);
        check_partition(&d, 1, DESIGNATOR_LINUX_GENERIC, "ext4", "/", 1, 8);
        CHECK(d.root == &d.partitions[0]);
        CHECK(strcmp(d.partitions[0].type, "0x83") == 0);
        CHECK(json_parses(&d, path_of("mbr.raw")));
        dissected_image_done(&d);

        CHECK(sh("rm -f %1$s && truncate -s 20M %1$s && printf 'label: dos\\nstart=2048, size=16384, type=83\\n"
                 "start=18432, size=16384, type=83\\n' | sfdisk -q --no-reread --no-tell-kernel %1$s >/dev/null",
                 path_of("mbr-two.raw")) == 0);
        check_refused("mbr-two.raw", -ENXIO, "2 Linux partitions");

        /* An MBR has no backup to lose: a cut-short copy shows as a partition past the end. */
        CHECK(sh("cp %1$s %2$s && truncate -s 8M %2$s", path_of("mbr.raw"), path_of("mbr-truncated.raw")) == 0);
        check_refused("mbr-truncated.raw", -EBADMSG,
                      "partition 1 ends at byte 9437184, past the image's end (8388608 bytes)");
}

/* Labels come from the image: quotes, backslashes and control characters must neither
 * break the JSON nor reach the terminal raw. */
static void test_hostile_label(void)
{
        struct dissected_image d = {};
        char error[512] = "";
        _cleanup_free_ char *json = NULL, *table = NULL;
        int r;

        CHECK(sh("cp %1$s %2$s && sfdisk -q --no-reread --no-tell-kernel --part-label %2$s 2 "
                 "\"$(printf 'a\"b\\\\c\\033[31m')\" >/dev/null 2>&1",
                 path_of("full.raw"), path_of("label.raw")) == 0);
        r = dissect_path("label.raw", &d, error, sizeof(error));
        CHECK(r == 0);
        if (r < 0)
                return;
        CHECK(d.root && strcmp(d.root->label, "a\"b\\c\033[31m") == 0);
        CHECK(json_parses(&d, "/images/\"odd\"\\path\n.raw"));
        json = print_to_string(&d, "label.raw", true);
        CHECK(json && strstr(json, "\"label\": \"a\\\"b\\\\c\\u001b[31m\""));
        table = print_to_string(&d, "label.raw", false);
        CHECK(table && !strchr(table, '\033'));
        CHECK(table && strstr(table, "a\"b\\c?[31m"));
        dissected_image_done(&d);
}

static void test_refusals(void)
{
        const struct part foreign_root[] = {
                { 1, 8, type_root_foreign, "root", NULL, "ext4.fs" },
        };
        const struct part no_root[] = {
                { 1, 8, TYPE_ESP, "ESP", NULL, "vfat.fs" },
                { 9, 8, TYPE_HOME, "home", NULL, "ext4.fs" },
        };
        const struct part zeros[] = {
                { 1, 8, type_root, "root", NULL, NULL },
        };
        const struct part vfat_root[] = {
                { 1, 8, type_root, "root", NULL, "vfat.fs" },
        };
        const struct part luks[] = {
                { 1, 8, type_root, "root", NULL, "luks.fs" },
        };
        const struct part verity[] = {
                { 1, 8, type_root, "root", NULL, "ext4.fs" },
                { 9, 8, type_root_verity, "root-verity", NULL, NULL },
        };
        const struct part simple[] = {
                { 1, 8, TYPE_ESP, "ESP", NULL, "vfat.fs" },
                { 9, 16, type_root, "root", NULL, "ext4.fs" },
        };
        char message[64];
        struct dissected_image d = {};
        char error[512] = "";
        int r;

        CHECK(make_gpt("foreign.raw", 10, foreign_root, ELEMENTSOF(foreign_root)));
        snprintf(message, sizeof(message), "for %s only; this machine runs %s", foreign, native);
        check_refused("foreign.raw", -ENXIO, message);

        CHECK(make_gpt("no-root.raw", 18, no_root, ELEMENTSOF(no_root)));
        check_refused("no-root.raw", -ENXIO, "no root partition");

        CHECK(make_gpt("zeros.raw", 10, zeros, ELEMENTSOF(zeros)));
        check_refused("zeros.raw", -EMEDIUMTYPE, "no file system");
        CHECK(make_gpt("vfat-root.raw", 10, vfat_root, ELEMENTSOF(vfat_root)));
        check_refused("vfat-root.raw", -EMEDIUMTYPE, "holds vfat");

        /* LUKS2: the magic, version 2 (big endian), and the header's own offset (0) at 256 */
        CHECK(sh("truncate -s 8M %1$s && printf 'LUKS\\272\\276\\000\\002' | dd of=%1$s conv=notrunc status=none",
                 path_of("luks.fs")) == 0);
        CHECK(make_gpt("luks.raw", 10, luks, ELEMENTSOF(luks)));
        check_refused("luks.raw", -EOPNOTSUPP, "dm-verity/LUKS is not supported yet");

        CHECK(make_gpt("verity.raw", 18, verity, ELEMENTSOF(verity)));
        check_refused("verity.raw", -EOPNOTSUPP, "dm-verity/LUKS is not supported yet");

        CHECK(sh("rm -f %1$s && touch %1$s", path_of("empty.raw")) == 0);
        check_refused("empty.raw", -EINVAL, "empty");

        /* Bytes that mean nothing, from a fixed seed so that a failure can be replayed. */
        {
                _cleanup_close_ int fd = open(path_of("random.raw"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                static uint8_t bytes[4 * 1024 * 1024];
                uint64_t x = 0x9e3779b97f4a7c15ULL;

                for (size_t i = 0; i < sizeof(bytes); i++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        bytes[i] = (uint8_t)x;
                }
                CHECK(fd >= 0 && write(fd, bytes, sizeof(bytes)) == (ssize_t)sizeof(bytes));
        }
        check_refused("random.raw", -EMEDIUMTYPE, "not a disk image");

        /* Cut short, as by an interrupted download: the backup GPT and part of the root are gone. */
        CHECK(make_gpt("truncated.raw", 26, simple, ELEMENTSOF(simple)));
        CHECK(sh("truncate -s 16M %s", path_of("truncated.raw")) == 0);
        check_refused("truncated.raw", -EBADMSG, "the image is truncated");

        /* The primary header damaged: libblkid falls back to the backup at the end. */
        CHECK(make_gpt("backup.raw", 26, simple, ELEMENTSOF(simple)));
        CHECK(sh("printf 'XXXXXXXX' | dd of=%s bs=1 seek=512 conv=notrunc status=none", path_of("backup.raw")) == 0);
        r = dissect_path("backup.raw", &d, error, sizeof(error));
        if (r < 0)
                fprintf(stderr, "backup.raw: %s\n", error);
        CHECK(r == 0);
        if (r == 0) {
                CHECK(d.root && d.root->number == 2 && strcmp(d.root->fstype, "ext4") == 0);
                dissected_image_done(&d);
        }

        /* Both headers damaged (a byte each flipped, so their CRCs no longer match: writing a
         * fixed byte left the backup intact whenever its entry-array CRC held that byte, one
         * run in 256). */
        CHECK(sh("cp %1$s %2$s && python3 -c 'import sys\n"
                 "with open(sys.argv[1], \"r+b\") as f:\n"
                 "    for o in (600, 26 * 1024 * 1024 - 512 + 88):\n"
                 "        f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0xff]))' %2$s",
                 path_of("backup.raw"), path_of("corrupt.raw")) == 0);
        check_refused("corrupt.raw", -EBADMSG, "the GPT is corrupt");
}

/* A hostile table, as sfdisk would never write it (tests/gpt-edit.py patches the entries
 * and the CRCs): partitions on the same sectors, mounted twice, would write over each
 * other; one past the end of the disk is left out by libblkid, without a word. */
static void test_hostile_table(void)
{
        const struct part simple[] = {
                { 1, 8, TYPE_ESP, "ESP", NULL, "vfat.fs" },
                { 9, 16, type_root, "root", NULL, "ext4.fs" },
        };
        const char *tests_dir = getenv("TESTS_DIR");

        CHECK(tests_dir != NULL);
        if (!tests_dir) {
                fprintf(stderr, "TESTS_DIR is not set (meson test sets it): cannot find gpt-edit.py\n");
                return;
        }
        /* The ESP reaching 100 sectors into the root. */
        CHECK(make_gpt("overlap.raw", 26, simple, ELEMENTSOF(simple)));
        CHECK(sh("python3 %s/gpt-edit.py %s 1 2048 18531", tests_dir, path_of("overlap.raw")) == 0);
        check_refused("overlap.raw", -EBADMSG,
                      "partitions 1 (esp) and 2 (root) overlap (sectors 18432-18531): the image is corrupt or hostile");
        /* The ESP on the very sectors of the root. */
        CHECK(make_gpt("same.raw", 26, simple, ELEMENTSOF(simple)));
        CHECK(sh("python3 %s/gpt-edit.py %s 1 18432 51199", tests_dir, path_of("same.raw")) == 0);
        check_refused("same.raw", -EBADMSG, "partitions 1 (esp) and 2 (root) overlap (sectors 18432-51199)");
        /* The root running 100 sectors past the end of the 26 MiB disk. */
        CHECK(make_gpt("past-end.raw", 26, simple, ELEMENTSOF(simple)));
        CHECK(sh("python3 %s/gpt-edit.py %s 2 18432 53347", tests_dir, path_of("past-end.raw")) == 0);
        check_refused("past-end.raw", -EBADMSG,
                      "partition 2 (root) runs past the end of the disk (sectors 18432-53347, the disk has 53248 "
                      "sectors)");
        /* Over the backup table at the end, inside the disk. */
        CHECK(make_gpt("over-table.raw", 26, simple, ELEMENTSOF(simple)));
        CHECK(sh("python3 %s/gpt-edit.py %s 2 18432 53247", tests_dir, path_of("over-table.raw")) == 0);
        check_refused("over-table.raw", -EBADMSG, "partition 2 (root) covers sectors 18432-53247, outside the sectors");
}

/* A table is untrusted: the number of entries it may bring is bounded. */
static void test_many_partitions(void)
{
        FILE *f = fopen(path_of("many.sfdisk"), "we");

        CHECK(f != NULL);
        if (!f)
                return;
        fputs("label: gpt\ntable-length: 200\nfirst-lba: 2048\n", f);
        for (int i = 0; i < 130; i++)
                fprintf(f, "start=%d, size=8, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n", 2048 + 8 * i);
        fclose(f);
        CHECK(sh("rm -f %1$s && truncate -s 4M %1$s && sfdisk -q --no-reread --no-tell-kernel %1$s <%2$s >/dev/null",
                 path_of("many.raw"), path_of("many.sfdisk")) == 0);
        check_refused("many.raw", -EBADMSG, "lists 130 partitions; at most 128");
}

static int setup(void)
{
        static const char *const tools[] = {
                "sfdisk",   "mkfs.ext4", "mkfs.ext2", "mksquashfs", "mkfs.erofs", "mkfs.btrfs",
                "mkfs.xfs", "mkfs.vfat", "mkswap",    "truncate",   "dd",         "python3",
        };
        static const char *const kinds[][2] = {
                { "ext4", "16" },  { "ext2", "8" }, { "squashfs", "" }, { "erofs", "" },
                { "btrfs", "32" }, { "xfs", "32" }, { "vfat", "8" },    { "swap", "8" },
        };
        const char *path = getenv("PATH");
        char new_path[4096];

        /* mkfs and sfdisk live in sbin, which a user's PATH may lack. */
        snprintf(new_path, sizeof(new_path), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
        setenv("PATH", new_path, 1);
        for (size_t i = 0; i < ELEMENTSOF(tools); i++)
                if (!have(tools[i])) {
                        printf("SKIP: %s is missing (apt-get install fdisk squashfs-tools erofs-utils btrfs-progs "
                               "xfsprogs dosfstools e2fsprogs)\n",
                               tools[i]);
                        return 77;
                }
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }
        if (sh("mkdir -p %1$s/content/etc && echo 'ID=test' >%1$s/content/etc/os-release", dir) != 0)
                return EXIT_FAILURE;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                char file[32];

                snprintf(file, sizeof(file), "%s.fs", kinds[i][0]);
                if (!make_fs(file, kinds[i][0], (unsigned)atoi(kinds[i][1]))) {
                        fprintf(stderr, "could not make a %s file system\n", kinds[i][0]);
                        return EXIT_FAILURE;
                }
        }
        return 0;
}

int main(void)
{
        int r;

        native = dissect_native_arch();
        if (!native || (strcmp(native, "x86-64") != 0 && strcmp(native, "arm64") != 0)) {
                printf("SKIP: the test images are built for x86-64 and arm64 only\n");
                return 77;
        }
        if (strcmp(native, "x86-64") == 0) {
                type_root = TYPE_ROOT_X86_64, type_root_verity = TYPE_ROOT_VERITY_X86_64, type_usr = TYPE_USR_X86_64;
                foreign = "arm64", type_root_foreign = TYPE_ROOT_ARM64;
        } else {
                type_root = TYPE_ROOT_ARM64, type_root_verity = TYPE_ROOT_VERITY_ARM64, type_usr = TYPE_USR_ARM64;
                foreign = "x86-64", type_root_foreign = TYPE_ROOT_X86_64;
        }

        r = setup();
        if (r != 0) {
                if (dir[strlen(dir) - 1] != 'X')
                        sh("rm -rf %s", dir);
                return r;
        }
        test_full_gpt();
        test_choose_root();
        test_bare("squashfs");
        test_bare("erofs");
        test_bare("ext4");
        test_bare("btrfs");
        test_bare("xfs");
        test_mbr();
        test_hostile_label();
        test_refusals();
        test_hostile_table();
        test_many_partitions();
        sh("rm -rf %s", dir);
        return TEST_DONE();
}
