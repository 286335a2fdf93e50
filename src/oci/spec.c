/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `machined-lite-oci spec`: a config.json to start a bundle from, as runc spec writes one:
 * sh on a terminal as root, a few capabilities, the usual mounts, masked and read-only
 * paths, its own namespaces; every key of it one that create takes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/verbs.h"
#include "util/log.h"
#include "util/macro.h"

static const char default_config[] =
        "{\n"
        "  \"ociVersion\": \"1.0.2\",\n"
        "  \"process\": {\n"
        "    \"terminal\": true,\n"
        "    \"user\": { \"uid\": 0, \"gid\": 0 },\n"
        "    \"args\": [\"sh\"],\n"
        "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],\n"
        "    \"cwd\": \"/\",\n"
        "    \"capabilities\": {\n"
        "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]\n"
        "    },\n"
        "    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],\n"
        "    \"noNewPrivileges\": true\n"
        "  },\n"
        "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
        "  \"hostname\": \"machined-lite\",\n"
        "  \"mounts\": [\n"
        "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
        "    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
        "      \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"] },\n"
        "    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
        "      \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"] },\n"
        "    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
        "      \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"] },\n"
        "    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
        "      \"options\": [\"nosuid\", \"noexec\", \"nodev\"] },\n"
        "    { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
        "      \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"] },\n"
        "    { \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
        "      \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"] }\n"
        "  ],\n"
        "  \"linux\": {\n"
        "    \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" },\n"
        "                    { \"type\": \"uts\" }, { \"type\": \"mount\" }, { \"type\": \"cgroup\" } ],\n"
        "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", \"/proc/latency_stats\",\n"
        "                    \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\",\n"
        "                    \"/proc/scsi\"],\n"
        "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"]\n"
        "  }\n"
        "}\n";

int oci_verb_spec(const struct oci_global *g _unused_, int argc, char *argv[])
{
        static const struct option options[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "b", required_argument, NULL, 'b' },
                { "rootless", no_argument, NULL, 'r' },
                {},
        };
        _cleanup_close_ int dir = -EBADF, fd = -EBADF;
        const char *bundle = ".";
        size_t size = sizeof(default_config) - 1;
        ssize_t n;
        int c;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long_only(argc, argv, "+", options, NULL)) >= 0) {
                if (c == 'b')
                        bundle = optarg;
                else if (c == 'r')
                        return oci_usage("spec: --rootless: machined-lite-oci runs as root only");
                else
                        return oci_usage("spec: unknown option '%s'", argv[optind - 1]);
        }
        if (optind < argc)
                return oci_usage("spec: takes no argument, not '%s'", argv[optind]);
        dir = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return log_error_errno(-errno, "spec: cannot open the bundle %s: %m", bundle), OCI_EXIT_USAGE;
        /* Never over a config.json there is (runc's rule too). */
        fd = openat(dir, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
                return log_error("spec: %s/config.json exists (remove it first, or give another --bundle)", bundle),
                       OCI_EXIT_FAILED;
        if (fd < 0)
                return log_error_errno(-errno, "spec: cannot write %s/config.json: %m", bundle), OCI_EXIT_FAILED;
        n = write(fd, default_config, size);
        if (n != (ssize_t)size) {
                int r = n < 0 ? -errno : -EIO;
                struct stat ours, there;

                /* Ours removed, never a file someone put there since. */
                if (fstat(fd, &ours) >= 0 && fstatat(dir, "config.json", &there, AT_SYMLINK_NOFOLLOW) >= 0 &&
                    ours.st_ino == there.st_ino && ours.st_dev == there.st_dev)
                        (void)unlinkat(dir, "config.json", 0);
                return log_error_errno(r, "spec: cannot write %s/config.json: %m", bundle), OCI_EXIT_FAILED;
        }
        if (close(TAKE_FD(fd)) < 0)
                return log_error_errno(-errno, "spec: cannot write %s/config.json: %m", bundle), OCI_EXIT_FAILED;
        return 0;
}
