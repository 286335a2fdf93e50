/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GPT: the partition types of the Discoverable Partitions Specification, and the
 * few reads of a table on disk that libblkid does not report. Not the dissection of an
 * image nor what is said about it (dissect.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image/gpt.h"
#include "util/macro.h"

/* The Discoverable Partitions Specification: one GPT type per architecture for each
 * of these six roles. Names of the architectures as the specification spells them. */
static const enum partition_designator arch_designators[6] = {
        DESIGNATOR_ROOT,
        DESIGNATOR_USR,
        DESIGNATOR_ROOT_VERITY,
        DESIGNATOR_USR_VERITY,
        DESIGNATOR_ROOT_VERITY_SIG,
        DESIGNATOR_USR_VERITY_SIG,
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

const char *partition_designator_to_string(enum partition_designator designator)
{
        if ((unsigned)designator >= _DESIGNATOR_MAX)
                return NULL;
        return designator_names[designator];
}

const char *gpt_root_type(const char *arch)
{
        for (size_t i = 0; i < ELEMENTSOF(arch_types); i++)
                if (strcmp(arch_types[i].arch, arch) == 0)
                        return arch_types[i].types[0];
        return NULL;
}

const char *gpt_arch(size_t i)
{
        return i < ELEMENTSOF(arch_types) ? arch_types[i].arch : NULL;
}

enum partition_designator gpt_type_designator(const char *type, const char **ret_arch)
{
        for (size_t i = 0; i < ELEMENTSOF(arch_types); i++)
                for (size_t j = 0; j < ELEMENTSOF(arch_designators); j++)
                        if (strcmp(arch_types[i].types[j], type) == 0) {
                                if (ret_arch)
                                        *ret_arch = arch_types[i].arch;
                                return arch_designators[j];
                        }
        for (size_t i = 0; i < ELEMENTSOF(common_types); i++)
                if (strcmp(common_types[i].type, type) == 0)
                        return common_types[i].designator;
        return DESIGNATOR_OTHER;
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

bool gpt_has_protective_mbr(int fd)
{
        uint8_t mbr[512];

        if (pread(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr) || mbr[510] != 0x55 || mbr[511] != 0xaa)
                return false;
        for (int i = 0; i < 4; i++)
                if (mbr[446 + 16 * i + 4] == 0xee)
                        return true;
        return false;
}

uint64_t gpt_claimed_disk_size(int fd, unsigned sector_size)
{
        uint8_t header[92];
        uint64_t backup_lba;

        if (pread(fd, header, sizeof(header), sector_size) != (ssize_t)sizeof(header) ||
            memcmp(header, "EFI PART", 8) != 0)
                return 0;
        backup_lba = read_le64(header + 32);
        if (backup_lba >= UINT64_MAX / sector_size)
                return 0;
        return (backup_lba + 1) * sector_size;
}

/* A GPT entry's type GUID (UEFI 2.10, 5.3.3: the first three fields little endian) as
 * libblkid spells it, so that gpt_type_designator() can name what the entry claims to be. */
static void format_gpt_guid(const uint8_t *guid, char *buf, size_t buf_size)
{
        snprintf(buf, buf_size, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 read_le(guid, 4), read_le(guid + 4, 2), read_le(guid + 6, 2), guid[8], guid[9], guid[10], guid[11],
                 guid[12], guid[13], guid[14], guid[15]);
}

int gpt_find_stray_entry(int fd, uint64_t header_offset, unsigned sector_size, uint64_t n_sectors,
                         struct gpt_stray_entry *ret)
{
        /* UEFI 2.10, 5.3.2: the header's fields; libblkid accepts 128-byte entries only. */
        enum { ENTRY_SIZE = 128, ENTRIES_PER_READ = 512 };
        static uint8_t entries[ENTRY_SIZE * ENTRIES_PER_READ];
        uint64_t first_usable, last_usable, entries_lba;
        uint32_t n_entries;
        uint8_t header[92];

        if (pread(fd, header, sizeof(header), (off_t)header_offset) != (ssize_t)sizeof(header) ||
            memcmp(header, "EFI PART", 8) != 0 || read_le(header + 84, 4) != ENTRY_SIZE)
                return -EBADMSG;
        first_usable = read_le64(header + 40);
        last_usable = read_le64(header + 48);
        entries_lba = read_le64(header + 72);
        n_entries = (uint32_t)read_le(header + 80, 4);
        if (entries_lba >= n_sectors)
                return -EBADMSG;

        for (uint32_t done = 0; done < n_entries;) {
                uint32_t n = MIN(n_entries - done, (uint32_t)ENTRIES_PER_READ);
                off_t at = (off_t)(entries_lba * sector_size + (uint64_t)done * ENTRY_SIZE);

                if (pread(fd, entries, (size_t)n * ENTRY_SIZE, at) != (ssize_t)((size_t)n * ENTRY_SIZE))
                        return -EIO;
                for (uint32_t i = 0; i < n; i++) {
                        const uint8_t *e = entries + (size_t)i * ENTRY_SIZE;
                        uint64_t first = read_le64(e + 32), last = read_le64(e + 40);
                        static const uint8_t unused[16];

                        if (memcmp(e, unused, sizeof(unused)) == 0)
                                continue;
                        if (first < first_usable || first > last || last > last_usable) {
                                *ret = (struct gpt_stray_entry){
                                        .number = done + i + 1,
                                        .first = first,
                                        .last = last,
                                        .first_usable = first_usable,
                                        .last_usable = last_usable,
                                };
                                format_gpt_guid(e, ret->type, sizeof(ret->type));
                                return 1;
                        }
                }
                done += n;
        }
        return 0;
}
