/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's device policy: a cgroup v2 BPF device program of ours (the character
 * devices a container needs and no other), loaded before anything is made and attached
 * to the guest's cgroup. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/device-policy.h"
#include "util/macro.h"

#define ACCESS_RW (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
#define ACCESS_RWM (ACCESS_RW | BPF_DEVCG_ACC_MKNOD)
#define ANY_MINOR (-1)

struct device_rule {
        unsigned major;
        int minor;
        unsigned access;
};

/* Character devices only: no block device at all. */
static const struct device_rule rules[] = {
        { 1, 3, ACCESS_RWM },          /* null */
        { 1, 5, ACCESS_RWM },          /* zero */
        { 1, 7, ACCESS_RWM },          /* full */
        { 1, 8, ACCESS_RWM },          /* random */
        { 1, 9, ACCESS_RWM },          /* urandom */
        { 5, 0, ACCESS_RWM },          /* tty */
        { 5, 2, ACCESS_RW },           /* ptmx of the guest's devpts */
        { 10, 200, ACCESS_RWM },       /* net/tun */
        { 136, ANY_MINOR, ACCESS_RW }, /* ptys: the console and the guest's own (Unix98 majors 136-143) */
        { 137, ANY_MINOR, ACCESS_RW }, { 138, ANY_MINOR, ACCESS_RW }, { 139, ANY_MINOR, ACCESS_RW },
        { 140, ANY_MINOR, ACCESS_RW }, { 141, ANY_MINOR, ACCESS_RW }, { 142, ANY_MINOR, ACCESS_RW },
        { 143, ANY_MINOR, ACCESS_RW },
};

bool device_policy_allows(unsigned major, int minor, bool read, bool write, bool mknod)
{
        unsigned asked = (read ? BPF_DEVCG_ACC_READ : 0) | (write ? BPF_DEVCG_ACC_WRITE : 0) |
                         (mknod ? BPF_DEVCG_ACC_MKNOD : 0);

        for (size_t i = 0; i < ELEMENTSOF(rules); i++)
                if (rules[i].major == major && (rules[i].minor == ANY_MINOR || (minor >= 0 && rules[i].minor == minor)))
                        return (rules[i].access & asked) == asked;
        return false;
}

/* A few instruction builders; the uapi header has none. */
static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}
#define LOAD_CTX_U32(dst, field) \
        insn(BPF_LDX | BPF_W | BPF_MEM, dst, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, field), 0)
#define MOV_REG(dst, src) insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm) insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm) insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* r2 = device type, r3 = access asked, r4 = major, r5 = minor; for each rule, a run
 * of checks that jumps to the next rule on a mismatch, else returns 1 (allow). */
static size_t build_program(struct bpf_insn *prog, size_t max)
{
        size_t n = 0;

        prog[n++] = LOAD_CTX_U32(BPF_REG_2, access_type);
        prog[n++] = MOV_REG(BPF_REG_3, BPF_REG_2);
        prog[n++] = AND_IMM(BPF_REG_2, 0xffff);
        prog[n++] = RSH_IMM(BPF_REG_3, 16);
        prog[n++] = LOAD_CTX_U32(BPF_REG_4, major);
        prog[n++] = LOAD_CTX_U32(BPF_REG_5, minor);
        for (size_t i = 0; i < ELEMENTSOF(rules) && n + 10 < max; i++) {
                bool any_minor = rules[i].minor == ANY_MINOR;
                /* A mismatch jumps past the rule's last instruction, to the next rule. */
                size_t start = n, length = any_minor ? 7 : 8;
#define TO_NEXT_RULE ((int16_t)(start + length - n - 1))

                prog[n] = JNE_IMM(BPF_REG_2, BPF_DEVCG_DEV_CHAR, TO_NEXT_RULE), n++;
                prog[n] = JNE_IMM(BPF_REG_4, (int32_t)rules[i].major, TO_NEXT_RULE), n++;
                if (!any_minor)
                        prog[n] = JNE_IMM(BPF_REG_5, rules[i].minor, TO_NEXT_RULE), n++;
                /* Access asked beyond what the rule grants: not this rule. */
                prog[n++] = MOV_REG(BPF_REG_6, BPF_REG_3);
                prog[n++] = AND_IMM(BPF_REG_6, (int32_t)~rules[i].access);
                prog[n] = JNE_IMM(BPF_REG_6, 0, TO_NEXT_RULE), n++;
                prog[n++] = MOV_IMM(BPF_REG_0, 1);
                prog[n++] = EXIT();
#undef TO_NEXT_RULE
        }
        prog[n++] = MOV_IMM(BPF_REG_0, 0);
        prog[n++] = EXIT();
        return n;
}

int devices_load(void)
{
        struct bpf_insn prog[256];
        union bpf_attr attr;
        size_t n = build_program(prog, ELEMENTSOF(prog));
        int prog_fd;

        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)prog;
        attr.insn_cnt = (uint32_t)n;
        attr.license = (uint64_t)(uintptr_t) "GPL";
        /* The kernel makes every BPF fd O_CLOEXEC. */
        prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
        return prog_fd < 0 ? negative_errno() : prog_fd;
}

bool devices_bpf_refused(int error)
{
        /* EPERM: a seccomp filter (systemd-nspawn's default, Docker's: bpf() only with
         * CAP_SYS_ADMIN, if at all), no CAP_BPF in the initial user namespace (we run in a
         * container's own), or lockdown. ENOSYS: a kernel without CONFIG_BPF_SYSCALL, or a
         * filter that answers so (crun's, for what it does not know). Anything else (EINVAL:
         * no cgroup device programs; EACCES: the verifier rejects ours) is a failure. */
        return error == -EPERM || error == -ENOSYS;
}

int devices_attach(int prog_fd, int cgroup_fd)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)prog_fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        /* Others may add programs below ours (a guest systemd does); all must allow. */
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        return syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0 ? negative_errno() : 0;
}
