/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "config/nspawn-options.h"
#include "config/options.h"
#include "test.h"
#include "util/macro.h"

/* Parses a command line given as a NULL-terminated list, with PARSE, as PROGRAM. */
static int parse_as(int (*parse)(int, char **, struct machine *), const char *program, struct machine *m,
                    const char *const *args)
{
        char *argv[32];
        int argc = 0;

        *m = (struct machine)MACHINE_INIT;
        argv[argc++] = (char *)program;
        for (; *args; args++)
                argv[argc++] = (char *)*args;
        argv[argc] = NULL;
        return parse(argc, argv, m);
}

static int parse(struct machine *m, const char *const *args)
{
        return parse_as(parse_argv, "machined-lite", m, args);
}

static void test_boot(void)
{
        struct machine m;

        CHECK(parse(&m, (const char *const[]){ "boot", "debian", NULL }) == PARSE_CONTINUE);
        CHECK(m.verb == VERB_BOOT && strcmp(m.name, "debian") == 0 && !m.root);
        machine_done(&m);

        CHECK(parse(&m, (const char *const[]){ "boot", "-D", "/srv/tree", "--read-only", "--private-network", "-q",
                                               "--hostname=box", "--console=pipe", "--kill-signal=SIGRTMIN+3",
                                               "--register=no", "--init=/bin/sh", "--", "--log-level=debug", NULL }) ==
              PARSE_CONTINUE);
        CHECK(strcmp(m.root, "/srv/tree") == 0 && m.read_only && m.private_network);
        CHECK(strcmp(m.hostname, "box") == 0 && m.console == CONSOLE_PIPE && m.kill_signal == SIGRTMIN + 3);
        CHECK(m.register_mode == REGISTER_NO && strcmp(m.init, "/bin/sh") == 0);
        CHECK(m.arguments && strcmp(m.arguments[0], "--log-level=debug") == 0 && !m.arguments[1]);
        machine_done(&m);

        /* Options may follow NAME, as systemd-nspawn users write them. */
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--setenv=A=1", "-E", "A=2", "-EB=3", NULL }) ==
              PARSE_CONTINUE);
        CHECK(strcmp(m.name, "web") == 0 && m.setenv && strcmp(m.setenv[0], "A=2") == 0 &&
              strcmp(m.setenv[1], "B=3") == 0);
        machine_done(&m);
}

static void test_run(void)
{
        struct machine m;

        CHECK(parse(&m, (const char *const[]){ "run", "-D", "/t", "-M", "try1", "--", "/bin/sh", "-c", "exit 42",
                                               NULL }) == PARSE_CONTINUE);
        CHECK(m.verb == VERB_RUN && strcmp(m.name, "try1") == 0 && strcmp(m.arguments[2], "exit 42") == 0);
        machine_done(&m);

        /* Whatever follows "--" is the command's, even what looks like our options. */
        CHECK(parse(&m, (const char *const[]){ "run", "-D", "/t", "--", "ls", "--help", "-D", NULL }) == PARSE_CONTINUE);
        CHECK(strcmp(m.arguments[1], "--help") == 0 && strcmp(m.arguments[2], "-D") == 0);
        machine_done(&m);
}

static void test_bad(void)
{
        struct machine m;

        CHECK(parse(&m, (const char *const[]){ "boot", "--no-such-option", "x", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "fly", "x", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "bad/name", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "-M", "-bad", "-D", "/t", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "run", "-D", "/t", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "run", "-D", "/t", "/bin/true", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "-D", "/t", "--console=tty", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "-D", "/t", "--kill-signal=SIGNOPE", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "-D", "/t", "--register=maybe", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "-D", "/t", "--init=sbin/init", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "-D", "/t", "--setenv=NOEQUALS", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "a", "b", NULL }) == -EINVAL);
        machine_done(&m);
}

static void test_properties(void)
{
        struct machine m;
        char error[512];
        struct property p;

        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--property=MemoryMax=1G", "--property=CPUWeight=50",
                                               "--slice=lab.slice", "--property=DeviceAllow=/dev/fuse rw",
                                               "--property=AllowedCPUs=0-2,9", "--property=CPUQuota=50%",
                                               "--property=TasksMax=infinity", "--notify-ready=no", NULL }) ==
              PARSE_CONTINUE);
        CHECK(m.n_properties == 6 && strcmp(m.slice, "lab.slice") == 0 && m.notify_ready == 0);
        CHECK(strcmp(m.properties[0].name, "MemoryMax") == 0 && m.properties[0].number == 1024ULL * 1024 * 1024);
        CHECK(strcmp(m.properties[1].name, "CPUWeight") == 0 && m.properties[1].number == 50);
        CHECK(strcmp(m.properties[2].path, "/dev/fuse") == 0 && strcmp(m.properties[2].access, "rw") == 0);
        CHECK(m.properties[3].cpu_mask_size == 2 && m.properties[3].cpu_mask[0] == 0x07 &&
              m.properties[3].cpu_mask[1] == 0x02);
        CHECK(strcmp(m.properties[4].name, "CPUQuotaPerSecUSec") == 0 && m.properties[4].number == 500000);
        CHECK(m.properties[5].number == UINT64_MAX);
        machine_done(&m);

        CHECK(property_parse("MemoryHigh=512M", &p, error, sizeof(error)) == 0 && p.number == 512ULL << 20);
        property_done(&p);
        CHECK(property_parse("MemoryLow=infinity", &p, error, sizeof(error)) == 0 && p.number == UINT64_MAX);
        CHECK(property_parse("MemoryMax=lots", &p, error, sizeof(error)) == -EINVAL && strstr(error, "give bytes"));
        CHECK(property_parse("CPUWeight=0", &p, error, sizeof(error)) == -EINVAL && strstr(error, "1 to 10000"));
        CHECK(property_parse("CPUWeight=10001", &p, error, sizeof(error)) == -EINVAL);
        CHECK(property_parse("CPUQuota=50", &p, error, sizeof(error)) == -EINVAL && strstr(error, "percentage"));
        CHECK(property_parse("DeviceAllow=/dev/sda xyz", &p, error, sizeof(error)) == -EINVAL);
        CHECK(property_parse("DevicePolicy=open", &p, error, sizeof(error)) == -EINVAL);
        CHECK(property_parse("AllowedCPUs=3-1", &p, error, sizeof(error)) == -EINVAL);
        /* A name outside the table is kept for systemd to type and judge (host/unit-property.c). */
        CHECK(property_parse("IODeviceWeight=/dev/sda 200", &p, error, sizeof(error)) == 0 &&
              p.type == PROPERTY_PASSED && strcmp(p.name, "IODeviceWeight") == 0 && strcmp(p.path, "/dev/sda 200") == 0);
        property_done(&p);
        CHECK(property_parse("memorymax=1", &p, error, sizeof(error)) == -EINVAL && strstr(error, "not a property name"));
        CHECK(property_parse("Memory-Max=1", &p, error, sizeof(error)) == -EINVAL && strstr(error, "not a property name"));
        CHECK(property_parse("MemoryMax", &p, error, sizeof(error)) == -EINVAL && strstr(error, "NAME=VALUE"));
        /* The rest of what systemd takes on a scope, in the types systemd-run sends. */
        CHECK(property_parse("MemoryAccounting=on", &p, error, sizeof(error)) == 0 && p.type == PROPERTY_BOOLEAN &&
              p.number == 1);
        CHECK(property_parse("RuntimeMaxSec=1h 30min", &p, error, sizeof(error)) == 0 &&
              strcmp(p.name, "RuntimeMaxUSec") == 0 && p.number == 5400ULL * 1000000);
        CHECK(property_parse("TimeoutStopSec=90", &p, error, sizeof(error)) == 0 && p.number == 90ULL * 1000000);
        CHECK(property_parse("TimeoutStopSec=250ms", &p, error, sizeof(error)) == 0 && p.number == 250000);
        CHECK(property_parse("TimeoutStopSec=soon", &p, error, sizeof(error)) == -EINVAL);
        CHECK(property_parse("KillSignal=SIGINT", &p, error, sizeof(error)) == 0 && p.number == SIGINT);
        CHECK(property_parse("KillMode=mixed", &p, error, sizeof(error)) == 0 && strcmp(p.path, "mixed") == 0);
        property_done(&p);
        CHECK(property_parse("KillMode=all", &p, error, sizeof(error)) == -EINVAL && strstr(error, "control-group"));
        CHECK(property_parse("Description=a b", &p, error, sizeof(error)) == 0 && strcmp(p.path, "a b") == 0);
        property_done(&p);

        /* What a scope does not exist for, or cannot exist without. */
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--keep-unit", "--property=CPUWeight=5", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--register=no", "--slice=a.slice", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--slice=web.service", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--slice=lab", NULL }) == PARSE_CONTINUE &&
              strcmp(m.slice, "lab.slice") == 0);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--notify-ready=maybe", NULL }) == -EINVAL);
        machine_done(&m);
}

/* --overlay, --overlay-ro: which path is a lower layer, the upper one, the destination. */
static void test_overlay(void)
{
        struct machine m;
        const struct custom_mount *c;

        CHECK(parse(&m, (const char *const[]){ "run", "-D", "/t", "--overlay=/a:/b\\:c:/up:/dst",
                                               "--overlay=/l:+/srv/up", "--overlay=+/var::/var", "--overlay-ro=/a:+/b",
                                               "--", "/bin/sh", NULL }) == PARSE_CONTINUE);
        CHECK(m.n_mounts == 4);
        c = &m.mounts[0];
        CHECK(c->type == CUSTOM_OVERLAY && !c->read_only && strcmp(c->lower[0], "/a") == 0 &&
              strcmp(c->lower[1], "/b:c") == 0 && !c->lower[2] && strcmp(c->source, "/up") == 0 &&
              strcmp(c->destination, "/dst") == 0);
        c = &m.mounts[1];
        CHECK(strcmp(c->lower[0], "/l") == 0 && !c->lower[1] && strcmp(c->source, "+/srv/up") == 0 &&
              strcmp(c->destination, "/srv/up") == 0);
        c = &m.mounts[2];
        CHECK(strcmp(c->lower[0], "+/var") == 0 && !c->source && strcmp(c->destination, "/var") == 0);
        c = &m.mounts[3];
        CHECK(c->read_only && strcmp(c->lower[0], "/a") == 0 && strcmp(c->lower[1], "+/b") == 0 && !c->lower[2] &&
              !c->source && strcmp(c->destination, "/b") == 0);
        machine_done(&m);

        static const char *const bad[] = {
                "--overlay=/a",      "--overlay=",          "--overlay=a:/b:/c",     "--overlay=:/b:/c",
                "--overlay=/a:",     "--overlay-ro=/a::/c", "--overlay=/a:/b:/../c", "--overlay=/a:/b:/",
                "--overlay=/a:+:/c", "--overlay=/a:+/:/c",  "--overlay=/a:/:/c",     "--overlay=/a:+/x/../y:/c",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK(parse(&m, (const char *const[]){ "run", "-D", "/t", bad[i], "--", "/bin/sh", NULL }) == -EINVAL);
                machine_done(&m);
        }
        /* An upper layer in the tree, which nothing may write. */
        CHECK(parse(&m, (const char *const[]){ "run", "-D", "/t", "--read-only", "--overlay=/a:+/b:/c", "--", "/bin/sh",
                                               NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "run", "-D", "/t", "--read-only", "--overlay=+/a::/c", "--", "/bin/sh",
                                               NULL }) == PARSE_CONTINUE);
        machine_done(&m);
}

/* The network options: what each fills, that each implies a network namespace of its own,
 * and what parse_check() refuses. */
static void test_network(void)
{
        struct machine m;

        CHECK(parse(&m, (const char *const[]){ "boot", "web", "-n", "-p", "8080:80", "--port=udp:53", "-ptcp:443",
                                               "--network-configure=no", NULL }) == PARSE_CONTINUE);
        CHECK(m.network_veth && m.private_network && m.network_configure == NETWORK_CONFIGURE_NO && m.n_ports == 3);
        CHECK(m.ports[0].protocol == IPPROTO_TCP && m.ports[0].host_port == 8080 && m.ports[0].guest_port == 80);
        CHECK(m.ports[1].protocol == IPPROTO_UDP && m.ports[1].host_port == 53 && m.ports[1].guest_port == 53);
        CHECK(m.ports[2].protocol == IPPROTO_TCP && m.ports[2].host_port == 443);
        machine_done(&m);

        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--network-zone=lab", "-p", "80",
                                               "--network-interface=eth1:lan0", "--network-macvlan=eth2", NULL }) ==
              PARSE_CONTINUE);
        CHECK(!m.network_veth && m.private_network && strcmp(m.network_zone, "lab") == 0 && !m.network_bridge);
        CHECK(strcmp(m.network_interfaces[0], "eth1:lan0") == 0 && strcmp(m.network_macvlan[0], "eth2") == 0);
        machine_done(&m);

        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--network-veth-extra=ex0", NULL }) == PARSE_CONTINUE);
        CHECK(m.private_network && !m.network_veth && strcmp(m.network_veth_extra[0], "ex0") == 0);
        machine_done(&m);

        /* Each with -n. */
        static const char *const bad[] = {
                "-p70000",                        /* out of range */
                "-ptcp:x",                        /* no port */
                "-psctp:80",                      /* no such protocol */
                "--network-zone=a-name-too-long", /* vz- and it: more than 15 bytes */
                "--network-bridge=br/0",          /* no '/' in a link name */
                "--network-interface=eth0:",      /* an empty guest name */
                "--network-configure=maybe",
                "--network-namespace-path=run/netns/x",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK(parse(&m, (const char *const[]){ "boot", "web", "-n", bad[i], NULL }) == -EINVAL);
                machine_done(&m);
        }
        /* -p with no veth to forward to; a host port twice; two bridges for host0's peer. */
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "-p8080", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "-n", "-p8080", "-p8080:81", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "--network-zone=a", "--network-bridge=br0", NULL }) ==
              -EINVAL);
        machine_done(&m);
        CHECK(parse(&m, (const char *const[]){ "boot", "web", "-n", "--network-namespace-path=/run/netns/x", NULL }) ==
              -EINVAL);
        machine_done(&m);
}

static void test_signals(void)
{
        CHECK(signal_from_string("SIGTERM") == SIGTERM);
        CHECK(signal_from_string("TERM") == SIGTERM);
        CHECK(signal_from_string("9") == SIGKILL);
        CHECK(signal_from_string("SIGRTMIN+3") == SIGRTMIN + 3);
        CHECK(signal_from_string("RTMIN") == SIGRTMIN);
        CHECK(signal_from_string("SIGRTMAX-1") == SIGRTMAX - 1);
        CHECK(signal_from_string("SIGRTMIN+999") == -EINVAL);
        CHECK(signal_from_string("SIGFOO") == -EINVAL);
        CHECK(signal_from_string("0") == -EINVAL);
        CHECK(signal_from_string("") == -EINVAL);
}

/* systemd-nspawn's command line: which verb, what is PID 1's, nspawn's defaults. */
static int parse_nspawn(struct machine *m, const char *const *args)
{
        return parse_as(nspawn_parse_argv, "systemd-nspawn", m, args);
}

static void test_nspawn(void)
{
        struct machine m;

        /* A command alone is PID 1; options end at it, bundled short ones included. */
        CHECK(parse_nspawn(&m, (const char *const[]){ "-qD", "/t", "-M", "x", "/bin/sh", "-c", "--quiet", NULL }) ==
              PARSE_CONTINUE);
        CHECK(m.verb == VERB_EXEC && strcmp(m.root, "/t") == 0 && strcmp(m.arguments[2], "--quiet") == 0);
        CHECK(m.kill_signal == SIGKILL && m.resolv_conf == RESOLV_CONF_AUTO && m.timezone == TIMEZONE_AUTO);
        CHECK(m.n_mounts == 1 && strcmp(m.mounts[0].destination, "/tmp") == 0);
        machine_done(&m);

        CHECK(parse_nspawn(&m, (const char *const[]){ "-D", "/t", "-a", "-u", "builder", "--chdir=/b", "make", NULL }) ==
              PARSE_CONTINUE);
        CHECK(m.verb == VERB_RUN && strcmp(m.user, "builder") == 0 && strcmp(m.working_directory, "/b") == 0);
        machine_done(&m);

        /* -b: what follows is init's; -b's kill signal is the init's own. */
        CHECK(parse_nspawn(&m, (const char *const[]){ "-bD", "/t", "--register", "no", "systemd.unit=rescue.target",
                                                      NULL }) == PARSE_CONTINUE);
        CHECK(m.verb == VERB_BOOT && m.kill_signal == 0 && m.register_mode == REGISTER_AUTO && m.no_machined &&
              !m.login_shell);
        CHECK(strcmp(m.arguments[0], "systemd.unit=rescue.target") == 0);
        machine_done(&m);

        /* No command: a login shell; the tmpfs on /tmp not twice when one is given. */
        CHECK(parse_nspawn(&m, (const char *const[]){ "-D", "/t", "--tmpfs=/tmp:size=1M", NULL }) == PARSE_CONTINUE);
        CHECK(m.login_shell && m.n_mounts == 1 && strstr(m.mounts[0].options, "size=1M"));
        machine_done(&m);

        CHECK(parse_nspawn(&m, (const char *const[]){ "-D", "/t", "--private-users", "--settings=false", "-P", "-j",
                                                      "--suppress-sync=true", "--personality=x86",
                                                      "--rlimit=RLIMIT_NOFILE=10:infinity", "/bin/true", NULL }) ==
              PARSE_CONTINUE);
        CHECK(m.private_users == PRIVATE_USERS_TREE_OWNER && m.settings_mode == SETTINGS_NO && m.console == CONSOLE_PIPE);
        CHECK(m.suppress_sync && m.personality != PERSONALITY_DEFAULT && m.n_rlimits == 1 && m.rlimits[0].soft == 10 &&
              m.rlimits[0].hard == RLIM_INFINITY);
        machine_done(&m);

        /* Refused by name, or unknown: -EINVAL (exit 2). */
        CHECK(parse_nspawn(&m, (const char *const[]){ "-D", "/t", "--load-credential=a:b", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse_nspawn(&m, (const char *const[]){ "-D", "/t", "--bogus", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse_nspawn(&m, (const char *const[]){ "-b", "-a", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse_nspawn(&m, (const char *const[]){ "--rlimit=NOFILE=9:8", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse_nspawn(&m, (const char *const[]){ "--cpu-affinity=0-", NULL }) == -EINVAL);
        machine_done(&m);
        CHECK(parse_nspawn(&m, (const char *const[]){ "--tmpfs=/x:mode=1777,size=1M,noexec,ro", "/bin/true", NULL }) ==
              PARSE_CONTINUE);
        CHECK(strcmp(m.mounts[0].options, "mode=1777,size=1M") == 0 && (m.mounts[0].flags & MS_NOEXEC) &&
              (m.mounts[0].flags & MS_RDONLY) && (m.mounts[0].flags & MS_NOSUID));
        machine_done(&m);
        usage_set_program("machined-lite");
}

int main(void)
{
        test_boot();
        test_run();
        test_bad();
        test_signals();
        test_properties();
        test_overlay();
        test_network();
        test_nspawn();
        return TEST_DONE();
}
