/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's device policy: a cgroup v2 BPF device program of ours (the character
 * devices a container needs and no other, and an OCI container's own allow rules),
 * loaded before anything is made and attached to the guest's cgroup. */
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

/* Character devices only: no block device at all. */
static const struct device_rule rules[] = {
        { 'c', 1, 3, ACCESS_RWM },          /* null */
        { 'c', 1, 5, ACCESS_RWM },          /* zero */
        { 'c', 1, 7, ACCESS_RWM },          /* full */
        { 'c', 1, 8, ACCESS_RWM },          /* random */
        { 'c', 1, 9, ACCESS_RWM },          /* urandom */
        { 'c', 5, 0, ACCESS_RWM },          /* tty */
        { 'c', 5, 2, ACCESS_RW },           /* ptmx of the guest's devpts */
        { 'c', 10, 200, ACCESS_RWM },       /* net/tun */
        { 'c', 136, ANY_MINOR, ACCESS_RW }, /* ptys: the console and the guest's own (Unix98 majors 136-143) */
        { 'c', 137, ANY_MINOR, ACCESS_RW }, { 'c', 138, ANY_MINOR, ACCESS_RW }, { 'c', 139, ANY_MINOR, ACCESS_RW },
        { 'c', 140, ANY_MINOR, ACCESS_RW }, { 'c', 141, ANY_MINOR, ACCESS_RW }, { 'c', 142, ANY_MINOR, ACCESS_RW },
        { 'c', 143, ANY_MINOR, ACCESS_RW },
};

static bool rule_applies(const struct device_rule *r, char type, unsigned major, int minor)
{
        return (r->type == 'a' || r->type == type) && (r->major < 0 || (unsigned)r->major == major) &&
               (r->minor == ANY_MINOR || (minor >= 0 && r->minor == minor));
}

/* The rules as the program has them: EXTRA's from the last, the last that applies decides
 * (an allow rule when it grants all that is asked, a deny rule when it takes any of it),
 * then the policy's own allow rules; else no. */
bool device_policy_allows(const struct device_rule *extra, size_t n_extra, char type, unsigned major, int minor,
                          bool read, bool write, bool mknod)
{
        unsigned asked = (read ? BPF_DEVCG_ACC_READ : 0) | (write ? BPF_DEVCG_ACC_WRITE : 0) |
                         (mknod ? BPF_DEVCG_ACC_MKNOD : 0);

        for (size_t i = n_extra; i-- > 0;) {
                if (!rule_applies(&extra[i], type, major, minor))
                        continue;
                if (extra[i].deny && (extra[i].access & asked))
                        return false;
                if (!extra[i].deny && (extra[i].access & asked) == asked)
                        return true;
        }
        for (size_t i = 0; i < ELEMENTSOF(rules); i++)
                if (rule_applies(&rules[i], type, major, minor) && (rules[i].access & asked) == asked)
                        return true;
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
#define JEQ_IMM(dst, imm, off) insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* One rule's checks: a mismatch jumps past its last instruction, to the next rule; a
 * match returns 1 for an allow rule that grants all the access asked, 0 for a deny rule
 * that takes any of it. r2 = device type, r3 = access asked, r4 = major, r5 = minor. */
static size_t build_rule(struct bpf_insn *prog, size_t n, const struct device_rule *rule)
{
        size_t start = n, length = 5 + (rule->type != 'a') + (rule->major >= 0) + (rule->minor != ANY_MINOR);
#define TO_NEXT_RULE ((int16_t)(start + length - n - 1))

        if (rule->type != 'a')
                prog[n] = JNE_IMM(BPF_REG_2, rule->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, TO_NEXT_RULE),
                n++;
        if (rule->major >= 0)
                prog[n] = JNE_IMM(BPF_REG_4, rule->major, TO_NEXT_RULE), n++;
        if (rule->minor != ANY_MINOR)
                prog[n] = JNE_IMM(BPF_REG_5, rule->minor, TO_NEXT_RULE), n++;
        /* Allow: access asked beyond what the rule grants, not this rule. Deny: none of
         * what it takes asked, not this rule. */
        prog[n++] = MOV_REG(BPF_REG_6, BPF_REG_3);
        prog[n++] = AND_IMM(BPF_REG_6, rule->deny ? (int32_t)rule->access : (int32_t)~rule->access);
        prog[n] = rule->deny ? JEQ_IMM(BPF_REG_6, 0, TO_NEXT_RULE) : JNE_IMM(BPF_REG_6, 0, TO_NEXT_RULE), n++;
        prog[n++] = MOV_IMM(BPF_REG_0, rule->deny ? 0 : 1);
        prog[n++] = EXIT();
#undef TO_NEXT_RULE
        return n;
}

static size_t build_program(struct bpf_insn *prog, size_t max, const struct device_rule *extra, size_t n_extra)
{
        size_t n = 0;

        prog[n++] = LOAD_CTX_U32(BPF_REG_2, access_type);
        prog[n++] = MOV_REG(BPF_REG_3, BPF_REG_2);
        prog[n++] = AND_IMM(BPF_REG_2, 0xffff);
        prog[n++] = RSH_IMM(BPF_REG_3, 16);
        prog[n++] = LOAD_CTX_U32(BPF_REG_4, major);
        prog[n++] = LOAD_CTX_U32(BPF_REG_5, minor);
        /* The container's own rules first, from the last (the last that applies decides),
         * then the policy's. */
        for (size_t i = n_extra; i-- > 0 && n + 10 < max;)
                n = build_rule(prog, n, &extra[i]);
        for (size_t i = 0; i < ELEMENTSOF(rules) && n + 10 < max; i++)
                n = build_rule(prog, n, &rules[i]);
        prog[n++] = MOV_IMM(BPF_REG_0, 0);
        prog[n++] = EXIT();
        return n;
}

int devices_load(const struct device_rule *extra, size_t n_extra)
{
        struct bpf_insn prog[16 + 10 * (ELEMENTSOF(rules) + DEVICE_RULES_MAX)];
        union bpf_attr attr;
        size_t n;

        if (n_extra > DEVICE_RULES_MAX)
                return -E2BIG;
        n = build_program(prog, ELEMENTSOF(prog), extra, n_extra);
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
