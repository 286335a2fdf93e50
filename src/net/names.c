/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names and MAC addresses of a machine's links, derived as systemd-nspawn derives them
 * (names.h); not the making of the links, which is netlink's business (mnl.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/names.h"
#include "util/libsystemd.h"
#include "util/macro.h"

/* A 16-byte key written as systemd writes it (SD_ID128_MAKE(1a,37,...)), to compare at a glance. */
#define HASH_KEY(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)                                                  \
        {                                                                                                         \
                0x##a, 0x##b, 0x##c, 0x##d, 0x##e, 0x##f, 0x##g, 0x##h, 0x##i, 0x##j, 0x##k, 0x##l, 0x##m, 0x##n, \
                        0x##o, 0x##p                                                                              \
        }

/* systemd-nspawn's fixed, originally random hash keys (src/nspawn/nspawn-network.c, the same
 * in v252 and today): one for each kind of link's MAC address... */
static const uint8_t mac_hash_keys[][16] = {
        [NETWORK_MAC_VETH_HOST] = HASH_KEY(1a, 37, 6f, c7, 46, ec, 45, 0b, ad, a3, d5, 31, 06, 60, 5d, b1),
        [NETWORK_MAC_VETH_CONTAINER] = HASH_KEY(c3, c4, f9, 19, b5, 57, b2, 1c, e6, cf, 14, 27, 03, 9c, ee, a2),
        [NETWORK_MAC_VETH_EXTRA_HOST] = HASH_KEY(48, c7, f6, b7, ea, 9d, 4c, 9e, b7, 28, d4, de, 91, d5, bf, 66),
        [NETWORK_MAC_VETH_EXTRA_CONTAINER] = HASH_KEY(af, 50, 17, 61, ce, f9, 4d, 35, 84, 0d, 2b, 20, 54, be, ce, 59),
        [NETWORK_MAC_MACVLAN] = HASH_KEY(00, 13, 6d, bc, 66, 83, 44, 81, bb, 0c, f9, 51, 1f, 24, a6, 6f),
};

/* ...and the one for shortening a long interface name (SHORTEN_IFNAME_HASH_KEY, in
 * nspawn-network.c in v252, in src/shared/netif-util.c since). */
static const uint8_t ifname_hash_key[16] = HASH_KEY(e1, 90, a4, 04, a8, ef, 4b, 51, 8c, cc, c3, 3a, 9f, 11, fc, a2);

/* Up to 8 bytes as a little-endian number: SipHash reads its input and key that way. */
static uint64_t load_le64(const uint8_t *p, size_t n)
{
        uint64_t v = 0;

        for (size_t i = 0; i < n; i++)
                v |= (uint64_t)p[i] << (8 * i);
        return v;
}

static void store_le64(uint8_t p[8], uint64_t v)
{
        for (size_t i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rotl64(uint64_t x, unsigned bits)
{
        return (x << bits) | (x >> (64 - bits));
}

/* SipRound, as the SipHash paper (Aumasson, Bernstein 2012, section 2) defines it. */
static void sip_round(uint64_t v[4])
{
        v[0] += v[1];
        v[1] = rotl64(v[1], 13) ^ v[0];
        v[0] = rotl64(v[0], 32);
        v[2] += v[3];
        v[3] = rotl64(v[3], 16) ^ v[2];
        v[0] += v[3];
        v[3] = rotl64(v[3], 21) ^ v[0];
        v[2] += v[1];
        v[1] = rotl64(v[1], 17) ^ v[2];
        v[2] = rotl64(v[2], 32);
}

/* One message word: the "2" of SipHash-2-4 is two rounds a word. */
static void sip_compress(uint64_t v[4], uint64_t m)
{
        v[3] ^= m;
        sip_round(v);
        sip_round(v);
        v[0] ^= m;
}

uint64_t siphash24(const void *in, size_t len, const uint8_t key[16])
{
        const uint8_t *p = in;
        uint64_t k0 = load_le64(key, 8), k1 = load_le64(key + 8, 8), last;
        /* The initial state is the key xored with "somepseudorandomlygeneratedbytes". */
        uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
                          k1 ^ 0x7465646279746573ULL };
        size_t whole = len - len % 8;

        for (size_t i = 0; i < whole; i += 8)
                sip_compress(v, load_le64(p + i, 8));

        /* The last word: the bytes left over, and the length modulo 256 in its top byte. */
        last = (uint64_t)(len & 0xff) << 56;
        if (len % 8 > 0)
                last |= load_le64(p + whole, len % 8);
        sip_compress(v, last);

        /* Finalization: the "4" of SipHash-2-4. systemd's siphash24() returns this number as
         * is; its little-endian bytes are the reference implementation's output. */
        v[2] ^= 0xff;
        for (int i = 0; i < 4; i++)
                sip_round(v);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The kernel's isspace() (lib/ctype.c) is Latin-1's: it counts 0xa0 (no-break space) too. */
static bool kernel_isspace(unsigned char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

/* The kernel's dev_valid_name() (net/core/dev.c), bar its length limit, which shortening meets. */
static bool ifname_chars_valid(const char *name)
{
        if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        for (const char *c = name; *c; c++)
                if (*c == '/' || *c == ':' || kernel_isspace((unsigned char)*c))
                        return false;
        return true;
}

/* RFC 4648 section 5, the URL- and file-name-safe alphabet, as systemd's urlsafe_base64char():
 * a link's name is a file name in sysfs, so no '/'. */
static char urlsafe_base64_char(uint64_t six_bits)
{
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

        return alphabet[six_bits & 63];
}

/* systemd-nspawn's shorten_ifname() (net_shorten_ifname() today) under the naming schemes
 * with NAMING_NSPAWN_LONG_HASH (v247 and later): the first IFNAMSIZ - 5 bytes, then the hash's
 * low 24 bits as four base64 characters, most significant first. */
static void shorten_ifname(const char *full, char ret[IFNAMSIZ])
{
        uint64_t h = siphash24(full, strlen(full), ifname_hash_key);

        memcpy(ret, full, IFNAMSIZ - 5);
        ret[IFNAMSIZ - 5] = urlsafe_base64_char(h >> 18);
        ret[IFNAMSIZ - 4] = urlsafe_base64_char(h >> 12);
        ret[IFNAMSIZ - 3] = urlsafe_base64_char(h >> 6);
        ret[IFNAMSIZ - 2] = urlsafe_base64_char(h);
        ret[IFNAMSIZ - 1] = '\0';
}

int network_ifname(const char *prefix, const char *name, char ret[IFNAMSIZ], bool *ret_shortened)
{
        _cleanup_free_ char *full = NULL;
        bool shortened;

        if (!prefix || !name)
                return -EINVAL;
        if (asprintf(&full, "%s%s", prefix, name) < 0)
                return -ENOMEM;
        if (!ifname_chars_valid(full))
                return -EINVAL;

        /* nspawn shortens only what the kernel would refuse: IFNAMSIZ counts the NUL. */
        shortened = strlen(full) >= IFNAMSIZ;
        if (shortened)
                shorten_ifname(full, ret);
        else
                strcpy(ret, full);

        if (ret_shortened)
                *ret_shortened = shortened;
        return 0;
}

static sd_id128_t host_machine_id;
static bool host_machine_id_read;

int network_machine_id_read(void)
{
        int r;

        if (host_machine_id_read)
                return 0;
        r = libsystemd_load();
        if (r < 0)
                return r;
        r = sym_sd_id128_get_machine(&host_machine_id);
        libsystemd_unload();
        if (r < 0)
                return r;
        host_machine_id_read = true;
        return 0;
}

/* systemd-nspawn's generate_mac() (net_generate_mac() today): SipHash of the host's machine ID
 * (raw, not made app-specific), then the machine's name, then, for any link but the first of
 * its kind, its index as 8 little-endian bytes; the kind's key is SipHash's key. The hash's
 * first 6 little-endian bytes, made unicast and locally administered, are the address. */
int network_mac(enum network_mac_kind kind, const char *machine_name, uint64_t idx, uint8_t ret[6])
{
        _cleanup_free_ uint8_t *input = NULL;
        sd_id128_t machine_id;
        uint8_t hash[8];
        size_t name_len, len;
        int r;

        if ((size_t)kind >= ELEMENTSOF(mac_hash_keys) || !machine_name)
                return -EINVAL;

        r = network_machine_id_read();
        if (r < 0)
                return r;
        machine_id = host_machine_id;

        name_len = strlen(machine_name);
        input = malloc(sizeof(machine_id.bytes) + name_len + 8);
        if (!input)
                return -ENOMEM;
        memcpy(input, machine_id.bytes, sizeof(machine_id.bytes));
        memcpy(input + sizeof(machine_id.bytes), machine_name, name_len);
        len = sizeof(machine_id.bytes) + name_len;
        if (idx > 0) {
                store_le64(input + len, idx);
                len += 8;
        }

        store_le64(hash, siphash24(input, len, mac_hash_keys[kind]));
        memcpy(ret, hash, 6);
        /* ether_addr_mark_random(): clear the multicast bit, set the locally administered one. */
        ret[0] = (ret[0] & 0xfe) | 0x02;
        return 0;
}
