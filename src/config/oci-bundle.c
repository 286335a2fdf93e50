/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --oci-bundle (config/oci-bundle.h): an OCI bundle booted or run as a machine, with the
 * reader of machined-lite-oci (oci/config.c); the machine is ours, not a container's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/guest-user.h"
#include "config/oci-bundle.h"
#include "oci/config.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/strv.h"

/* What config.json may ask that a machine does not take: one line naming it. */
static int refuse_container_only(const char *bundle, const struct oci_container *c, const struct machine *m)
{
        const char *key = c->seccomp           ? "linux.seccomp"
                          : c->resources.n > 0 ? "linux.resources"
                          : c->hooks_json      ? "hooks"
                          : c->sysctl          ? "linux.sysctl"
                          : c->devices.n > 0   ? "linux.devices"
                          : m->user_namespace_path || m->pid_namespace_path || m->time_namespace_path ||
                                          m->mount_namespace_path
                                  ? "linux.namespaces' user, pid, time or mount path"
                          : c->time_namespace ? "linux.namespaces' time"
                          : c->scheduling.io_priority_set || c->scheduling.scheduler_set ||
                                          c->scheduling.initial_cpu_affinity
                                  ? "process.ioPriority, scheduler or execCPUAffinity.initial"
                          : c->scheduling.memory_policy_set ? "linux.memoryPolicy"
                          : c->domainname                   ? "domainname"
                                                            : NULL;

        if (!key)
                return 0;
        log_error("%s/config.json: %s: --oci-bundle boots the bundle as a machine, which does not take it "
                  "(machined-lite-oci runs the bundle as a container with it)",
                  bundle, key);
        return -EINVAL;
}

int oci_bundle_load(const char *bundle, int verb, struct machine *base)
{
        _cleanup_free_ char *absolute = realpath(bundle, NULL);
        struct oci_container c = OCI_CONTAINER_INIT;
        int r;

        if (!absolute)
                return log_error_errno(-errno,
                                       "--oci-bundle=%s cannot be used: %m (a directory with config.json and "
                                       "the root)",
                                       bundle);
        c.bundle = strdup(absolute);
        if (!c.bundle)
                return -ENOMEM;
        r = oci_config_load(&c, base);
        if (r >= 0)
                r = refuse_container_only(bundle, &c, base);
        if (r >= 0) {
                /* The machine lives in our cgroup (or scope), as every machine: not at
                 * the bundle's cgroupsPath, which is a runtime caller's. */
                free(base->cgroup_path);
                base->cgroup_path = NULL;
                /* Its cgroup file system is its own too: writable, for a guest systemd. */
                base->cgroup_read_only = false;
                /* config.json's bounding set only narrows a machine's own set (none given:
                 * that set, not none as for a container): a bundle does not grant itself
                 * CAP_SYS_MODULE and the like; the command line's --capability may. */
                base->caps_add = 0;
                if (!c.capabilities_given)
                        base->caps_drop = 0;
                /* Root, as every machine's command is by default: no change of user,
                 * which the capabilities config.json leaves may not allow. */
                if (base->run_user && base->run_user->uid == 0 && base->run_user->gid == 0 &&
                    base->run_user->n_groups == 0) {
                        guest_user_done(base->run_user);
                        free(base->run_user);
                        base->run_user = NULL;
                }
                /* A booted tree's init takes no bundle process: its arguments are init's. */
                if (verb == VERB_BOOT) {
                        strv_free(base->arguments);
                        base->arguments = NULL;
                }
        }
        oci_container_done(&c);
        return r;
}
