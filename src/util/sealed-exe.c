/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ourselves from a sealed memfd copy (util/sealed-exe.h), as runc runs itself. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/sealed-exe.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int exec_memfd_create(const char *name)
{
        int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

        if (fd < 0 && errno == EINVAL) /* before Linux 6.3: executable by default */
                fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        return fd < 0 ? negative_errno() : fd;
}

int exec_memfd_seal(int fd)
{
        return fcntl(fd, F_ADD_SEALS, SEALS) < 0 ? negative_errno() : 0;
}

int sealed_exe_reexec(char *argv[])
{
        extern char **environ;
        _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), copy = -EBADF;
        struct stat st;
        off_t left;
        int seals;

        if (self < 0)
                return log_error_errno(-errno, "Cannot open our own binary (/proc/self/exe): %m");
        /* A copy of ours has every seal; a file on a disk has none to show (EINVAL). */
        seals = fcntl(self, F_GET_SEALS);
        if (seals >= 0 && (seals & SEALS) == SEALS) {
                /* (execveat() of an fd named us after its number.) */
                const char *name = strrchr(argv[0], '/');

                (void)prctl(PR_SET_NAME, name ? name + 1 : argv[0]);
                return 0;
        }
        copy = exec_memfd_create("machined-lite");
        /* vm.memfd_noexec=2 forbids an executable memfd: runc's protection is not to be
         * had here, and the host's own policy says so. */
        if (copy == -EACCES) {
                log_warning("vm.memfd_noexec forbids an executable memfd: running our binary as it is, not a sealed "
                            "copy (a guest root with CAP_SYS_PTRACE could reach it through /proc)");
                return 0;
        }
        if (copy < 0)
                return log_error_errno(copy, "Cannot make a sealed copy of our binary: %m");
        if (fstat(self, &st) < 0)
                return log_error_errno(-errno, "Cannot make a sealed copy of our binary: %m");
        for (left = st.st_size; left > 0;) {
                ssize_t n = sendfile(copy, self, NULL, (size_t)left);

                if (n <= 0)
                        return log_error_errno(n < 0 ? -errno : -EIO, "Cannot copy our binary into a memfd: %m");
                left -= n;
        }
        if (exec_memfd_seal(copy) < 0)
                return log_error_errno(-errno, "Cannot seal the copy of our binary: %m");
        syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
        return log_error_errno(-errno, "Cannot run the sealed copy of our binary: %m");
}
