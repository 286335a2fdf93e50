/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hostile guest's probe: makes each system call named on the command line, with
 * harmless arguments, and prints how it ended ("ok" or the errno's name). Built
 * static by the tests, so that it runs in any tree.
 *   syscall-probe init_module i386:init_module x32:init_module ...
 * "i386:" makes the call through the i386 compat entry (int $0x80), "x32:" through the
 * x32 ABI (the x32 bit set): a seccomp filter must cover those too. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define X32_BIT 0x40000000L

struct call {
        const char *name;
        long native; /* x86-64 number, also the x32 one with X32_BIT */
        long i386;   /* i386 number, -1: none */
        long x32;    /* x32 number where it is not the x86-64 one, else 0 */
};

static const struct call calls[] = {
        { "getpid", SYS_getpid, 20 },
        { "init_module", SYS_init_module, 128 },
        { "finit_module", SYS_finit_module, 350 },
        { "delete_module", SYS_delete_module, 129 },
        { "swapoff", SYS_swapoff, 115 },
        { "adjtimex", SYS_adjtimex, 124 },
        { "clock_settime", SYS_clock_settime, 264 },
        { "kexec_load", SYS_kexec_load, 283, 528 },
        { "open_by_handle_at", SYS_open_by_handle_at, 342 },
        { "bpf", SYS_bpf, 357 },
        { "perf_event_open", SYS_perf_event_open, 336 },
        { "keyctl", SYS_keyctl, 288 },
        { "add_key", SYS_add_key, 286 },
        { "ioperm", SYS_ioperm, 101 },
        { "iopl", SYS_iopl, 110 },
        { "syslog", SYS_syslog, 103 },
        { "quotactl", SYS_quotactl, 131 },
        { "userfaultfd", SYS_userfaultfd, 374 },
        { "acct", SYS_acct, 51 },
        { "ptrace", SYS_ptrace, 26 },
        { "io_uring_setup", SYS_io_uring_setup, 425 },
        { "io_uring_enter", SYS_io_uring_enter, 426 },
        { "io_uring_register", SYS_io_uring_register, 427 },
        /* On fd 0: EINVAL for a pipe, unless --suppress-sync makes them return 0. */
        { "fsync", SYS_fsync, 118 },
        { "fdatasync", SYS_fdatasync, 148 },
};

/* io_uring_setup(1, &params) makes a real ring. In the data of this static, non-PIE
 * program, below 4 GiB, so that the i386 and x32 entries take the same pointer. */
static unsigned char io_uring_params[120];

static long int80(long nr, long arg1, long arg2)
{
        long ret;

        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(arg1), "c"(arg2), "d"(0), "S"(0), "D"(0) : "memory");
        return ret;
}

/* io_uring_setup gets a ring to make; enter and register get no ring (fd -1): EBADF
 * when the call reaches the kernel. */
static void io_uring_args(const struct call *c, long *arg1, long *arg2)
{
        *arg1 = 0, *arg2 = 0;
        if (strcmp(c->name, "io_uring_setup") == 0) {
                *arg1 = 1;
                *arg2 = (long)(unsigned long)io_uring_params;
        } else if (strncmp(c->name, "io_uring_", 9) == 0)
                *arg1 = -1;
}

/* ptrace(PTRACE_TRACEME) must not attach us to anything: make it a harmless peek. */
static long call_native(long nr, const struct call *c)
{
        long arg1, arg2;

        if (nr == SYS_ptrace)
                return syscall(nr, 3 /* PTRACE_PEEKUSER */, getppid(), 0, 0);
        if (nr == SYS_open_by_handle_at || nr == SYS_perf_event_open)
                return syscall(nr, -1, 0, 0, -1, 0);
        io_uring_args(c, &arg1, &arg2);
        return syscall(nr, arg1, arg2, 0, 0, 0);
}

static void report(const char *label, long ret, int error)
{
        if (ret >= 0)
                printf("%s ok\n", label);
        else
                printf("%s %s\n", label, strerrorname_np(error) ?: "?");
}

/* Each call in a child of its own: an unfiltered compat call may kill it. */
static void probe(const char *label, const struct call *c, char abi)
{
        pid_t pid;
        int status;

        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                long ret;

                if (abi == '3') {
                        if (c->i386 < 0) {
                                printf("%s none\n", label);
                                _exit(0);
                        }
                        long arg1, arg2;

                        io_uring_args(c, &arg1, &arg2);
                        ret = int80(c->i386, arg1, arg2);
                        report(label, ret < 0 ? -1 : ret, ret < 0 ? (int)-ret : 0);
                } else {
                        ret = call_native(abi == 'x' ? ((c->x32 ?: c->native) | X32_BIT) : c->native, c);
                        report(label, ret, errno);
                }
                fflush(stdout);
                _exit(0);
        }
        if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status))
                printf("%s killed-by-%s\n", label, sigabbrev_np(WTERMSIG(status)) ?: "?");
}

int main(int argc, char *argv[])
{
        for (int i = 1; i < argc; i++) {
                const char *name = argv[i];
                char abi = 'n';

                if (strncmp(name, "i386:", 5) == 0) {
                        abi = '3';
                        name += 5;
                } else if (strncmp(name, "x32:", 4) == 0) {
                        abi = 'x';
                        name += 4;
                }
                for (size_t j = 0; j < sizeof(calls) / sizeof(calls[0]); j++)
                        if (strcmp(calls[j].name, name) == 0) {
                                probe(argv[i], &calls[j], abi);
                                name = NULL;
                                break;
                        }
                if (name)
                        printf("%s unknown\n", argv[i]);
        }
        return 0;
}
