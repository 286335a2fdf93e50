/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Link names and MACs as systemd-nspawn derives them (net/names.c); the names are the ones
 * Debian 12's systemd-nspawn 252 gave real links. Not a test of making links. */
#include <string.h>

#include "net/names.h"
#include "test.h"
#include "util/libsystemd.h"
#include "util/macro.h"

/* The SipHash paper's vectors (Aumasson, Bernstein 2012, appendix A; the reference code's
 * vectors.h): key 00 01 .. 0f, message 00 01 .. LEN-1, the output as a little-endian number. */
static void test_siphash_vectors(void)
{
        static const uint64_t expected[] = {
                0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d, 0xcf2794e0277187b7,
                0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137, 0x93f5f5799a932462, 0x9e0082df0ba9e4b0,
                0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7, 0x751e8fbc860ee5fb,
        };
        uint8_t key[16], message[16];

        for (size_t i = 0; i < sizeof(key); i++)
                key[i] = message[i] = (uint8_t)i;
        for (size_t len = 0; len < ELEMENTSOF(expected); len++)
                CHECK(siphash24(message, len, key) == expected[len]);
        /* The paper's worked example: 15 bytes, one whole word and the longest tail. */
        CHECK(siphash24(message, 15, key) == 0xa129ca6149be45e5);
        CHECK(siphash24(NULL, 0, key) == expected[0]);
}

static void check_ifname(const char *prefix, const char *name, const char *expected, bool expected_shortened)
{
        char ifname[IFNAMSIZ];
        bool shortened = !expected_shortened;

        CHECK(network_ifname(prefix, name, ifname, &shortened) == 0);
        CHECK(strcmp(ifname, expected) == 0);
        CHECK(shortened == expected_shortened);
}

/* Each as systemd-nspawn 252 named the link (ip -d link; the altname was the long name). */
static void test_ifnames_from_nspawn(void)
{
        check_ifname("ve-", "web", "ve-web", false);
        check_ifname("ve-", "abcdefghijkl", "ve-abcdefghijkl", false);
        check_ifname("ve-", "webserver-production", "ve-webservex-3w", true);
        check_ifname("vb-", "abcdefghijklm", "vb-abcdefghgd3w", true);
        check_ifname("vb-", "zoned", "vb-zoned", false);
        check_ifname("vz-", "lab", "vz-lab", false);
        check_ifname("mv-", "p0", "mv-p0", false);
        check_ifname("mv-", "parent-longnm1", "mv-parent-l10xN", true);
}

static void test_ifname_shape(void)
{
        char ifname[IFNAMSIZ], other[IFNAMSIZ];

        /* The hash covers the whole name: two names alike in their first 11 bytes differ. */
        CHECK(network_ifname("ve-", "webserver-staging", ifname, NULL) == 0);
        CHECK(network_ifname("ve-", "webserver-production", other, NULL) == 0);
        CHECK(strlen(ifname) == IFNAMSIZ - 1 && strncmp(ifname, "ve-webserve", 11) == 0);
        CHECK(strcmp(ifname, other) != 0);
        CHECK(strcspn(ifname + 11, "/:. ") == 4);

        /* Names no link can have. */
        CHECK(network_ifname("ve-", "a/b", ifname, NULL) == -EINVAL);
        CHECK(network_ifname("ve-", "a:b", ifname, NULL) == -EINVAL);
        CHECK(network_ifname("ve-", "a b", ifname, NULL) == -EINVAL);
        CHECK(network_ifname("ve-", "a\tb", ifname, NULL) == -EINVAL);
        CHECK(network_ifname("", "", ifname, NULL) == -EINVAL);
        CHECK(network_ifname("", ".", ifname, NULL) == -EINVAL);
        CHECK(network_ifname("", "..", ifname, NULL) == -EINVAL);
        CHECK(network_ifname(NULL, "web", ifname, NULL) == -EINVAL);
        CHECK(network_ifname("", "...", ifname, NULL) == 0);
}

static bool mac_equal(const uint8_t a[6], const uint8_t b[6])
{
        return memcmp(a, b, 6) == 0;
}

/* The values depend on the host's machine ID, so only their properties are checked here. */
static void test_macs(void)
{
        uint8_t mac[5][2][6], again[6];
        sd_id128_t machine_id;
        int r;

        CHECK(libsystemd_load() == 0);
        r = sym_sd_id128_get_machine(&machine_id);
        libsystemd_unload();
        if (r < 0) {
                fprintf(stderr, "SKIP: test_macs: this host has no machine ID (/etc/machine-id)\n");
                return;
        }
        for (int kind = 0; kind < 5; kind++)
                for (int idx = 0; idx < 2; idx++) {
                        CHECK(network_mac(kind, "web", idx, mac[kind][idx]) == 0);
                        /* Unicast, locally administered (IEEE 802: bits 0 and 1 of the first byte). */
                        CHECK((mac[kind][idx][0] & 0x03) == 0x02);
                        CHECK(network_mac(kind, "web", idx, again) == 0 && mac_equal(again, mac[kind][idx]));
                }

        for (int a = 0; a < 10; a++)
                for (int b = a + 1; b < 10; b++)
                        CHECK(!mac_equal(mac[a / 2][a % 2], mac[b / 2][b % 2]));

        CHECK(network_mac(NETWORK_MAC_VETH_HOST, "web2", 0, again) == 0);
        CHECK(!mac_equal(again, mac[NETWORK_MAC_VETH_HOST][0]));
        CHECK(network_mac(5, "web", 0, again) == -EINVAL);
}

int main(void)
{
        test_siphash_vectors();
        test_ifnames_from_nspawn();
        test_ifname_shape();
        test_macs();
        return TEST_DONE();
}
