#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted commands are expanded by the guest's shell
# mock's and Arch devtools' systemd-nspawn command lines, replayed through our entry point
# on a tree of this machine (their own need Fedora and Arch trees, which it cannot fetch):
# each as their source builds it (mock's util._prepare_nspawn_command() and the
# environment it gives nspawn; devtools' arch-nspawn and makechrootpkg), and each checked
# for what the tool relies on: PID 2 (or 1), the user, the working directory, the binds,
# the tmpfs, the exit status, stdio on pipes. (debspawn and mkosi, which Debian has, are
# to be driven unchanged rather than replayed.)
. "$(dirname "$0")/lib.sh"
require_root
command -v setsid >/dev/null || skip "setsid (util-linux) is not installed"
make_work
TREE=$WORK/toolbox
make_busybox_tree "$TREE"
printf 'mockbuild:x:1000:135:Mock:/builddir:/bin/sh\nbuilduser:x:1001:1001:Builder:/build:/bin/sh\n' >> "$TREE/etc/passwd"
printf 'mock:x:135:\nbuilduser:x:1001:\n' >> "$TREE/etc/group"
mkdir -p "$TREE/builddir" "$TREE/build" "$TREE/startdir"
chown 1000:135 "$TREE/builddir"
chown 1001:1001 "$TREE/build"
rm -f "$TREE/etc/localtime"
host_snapshot

mkdir -p "$WORK/bin"
ln -s "$ML" "$WORK/bin/systemd-nspawn"
N=$WORK/bin/systemd-nspawn

# --- mock: do_with_status() of a build step ------------------------------------------
# Its environment is all nspawn gets (env -i), the same dict as its --setenv list, plus
# SYSTEMD_NSPAWN_TMPFS_TMP=0 and SYSTEMD_SECCOMP=0; nspawn runs in a session of its own
# (setsid), stdin /dev/null, stdout and stderr pipes.
mock_env=(TERM=vt100 SHELL=/bin/bash HOME=/builddir HOSTNAME=mock PATH=/usr/bin:/bin:/usr/sbin:/sbin
        'PROMPT_COMMAND=printf "\033]0;<mock-chroot>\007"' 'PS1=<mock-chroot> \s-\v\$ ' LANG=C.UTF-8)
setenvs=()
for assignment in "${mock_env[@]}"; do
        setenvs+=("--setenv=$assignment")
done
uuid=0123456789abcdef0123456789abcdef
out=$(env -i "${mock_env[@]}" SYSTEMD_NSPAWN_TMPFS_TMP=0 SYSTEMD_SECCOMP=0 \
        setsid "$N" -q -M "$uuid" -D "$TREE" -a -u mockbuild --capability=cap_ipc_lock --bind=/dev/fuse \
        --resolv-conf=off --console=pipe --chdir=/builddir "${setenvs[@]}" \
        /bin/sh -c 'echo "$PPID $(id -un) $(pwd) $(hostname)"; echo "$PS1"; echo "$PROMPT_COMMAND";
                test -c /dev/fuse && echo fuse; grep -c " /tmp " /proc/self/mounts; test -e /etc/localtime && echo tz;
                echo to-stderr >&2; exit 11' </dev/null 2>"$WORK/mock.err")
rc=$?
check_eq "mock's build step: exit 11 (rpmbuild -br's, which mock takes for success) passed on" 11 "$rc"
check_eq "mock: PID 2 under PID 1 (its 27-nspawn test), as mockbuild, in --chdir, host name its -M" \
        "1 mockbuild /builddir $uuid" "$(sed -n 1p <<<"$out")"
check_eq "mock: --setenv values with spaces, backslashes, \$ and ; arrive as given" \
        '<mock-chroot> \s-\v\$ ' "$(sed -n 2p <<<"$out")"
check_eq "mock: PROMPT_COMMAND too" 'printf "\033]0;<mock-chroot>\007"' "$(sed -n 3p <<<"$out")"
check_eq "mock: --bind=/dev/fuse, no tmpfs on /tmp (SYSTEMD_NSPAWN_TMPFS_TMP=0), the host's time zone (auto)" \
        "fuse 0 tz" "$(sed -n '4,6p' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
check_eq "mock: stderr apart from stdout (--console=pipe)" to-stderr "$(cat "$WORK/mock.err")"

# mock with offline builds runs nspawn in a network namespace of its own (unshare_net).
if unshare --net true 2>/dev/null; then
        out=$(env -i "${mock_env[@]}" SYSTEMD_NSPAWN_TMPFS_TMP=0 SYSTEMD_SECCOMP=0 \
                unshare --net setsid "$N" -q -M "$uuid" -D "$TREE" -a --console=pipe "${setenvs[@]}" \
                /bin/sh -c 'ls /sys/class/net | tr "\n" " "' </dev/null 2>&1)
        check_eq "mock's unshare_net: the guest has the network namespace nspawn was started in" "lo " "$out"
fi

# --- devtools: arch-nspawn, as makechrootpkg calls it ---------------------------------
rm -f "$TREE/etc/localtime" # mock's run (--timezone=auto) made one
mkdir -p "$WORK/cache:dir" "$WORK/repo" "$WORK/startdir" "$WORK/srcdest"
echo pkg > "$WORK/repo/pkg.tar"
echo source > "$WORK/startdir/PKGBUILD"
cat > "$TREE/chrootbuild" <<'EOF'
#!/bin/sh
echo "$PPID $(id -un) $PATH"
cat /startdir/PKGBUILD
test -w /var/cache/pacman/pkg && echo cache-rw
touch /srv/repo/x 2>/dev/null || echo repo-ro
grep " /tmp " /proc/self/mounts | cut -d" " -f4
test -e /etc/localtime || echo no-tz
exit 14
EOF
chmod +x "$TREE/chrootbuild"
mkdir -p "$TREE/var/cache/pacman/pkg" "$TREE/srv/repo"
arch_nspawn() {
        env LANG=C.UTF-8 SYSTEMD_TINT_BACKGROUND=no "$N" --quiet --directory="$TREE" \
                --setenv="PATH=/usr/local/sbin:/usr/local/bin:/usr/bin" --register=no --slice=devtools-root \
                --machine="arch-nspawn-$$" --as-pid2 --console=autopipe --timezone=off \
                --bind="${WORK//:/\\:}/cache\\:dir:/var/cache/pacman/pkg" --bind-ro="$WORK/repo:/srv/repo" "$@"
}
out=$(arch_nspawn --bind="$WORK/startdir:/startdir" --bind="$WORK/srcdest:/srcdest" \
        --tmpfs="/tmp:nosuid,nodev,size=50%,nr_inodes=2m" /chrootbuild --syncdeps --noconfirm </dev/null 2>&1)
rc=$?
check_eq "makechrootpkg's build: /chrootbuild's exit 14 passed on (it maps it to 0 itself)" 14 "$rc"
check_eq "makechrootpkg: PID 2, root, the --setenv PATH" "1 root /usr/local/sbin:/usr/local/bin:/usr/bin" \
        "$(sed -n 1p <<<"$out")"
check_eq "makechrootpkg: /startdir bound, the cache (its path with \\: for a colon) writable, the repo read-only" \
        "source cache-rw repo-ro" "$(sed -n '2,4p' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
# (size=50% is tmpfs's default, which /proc/self/mounts does not show.)
check_match "makechrootpkg: --tmpfs=/tmp:nosuid,nodev,size=50%,nr_inodes=2m" \
        "^rw,nosuid,nodev(,[a-z]+)*,nr_inodes=2097152" "$(sed -n 5p <<<"$out")"
check_eq "arch-nspawn's --timezone=off: /etc/localtime as the tree has it (none)" no-tz "$(sed -n 6p <<<"$out")"
# makechrootpkg -x: no command, --user=builduser --chdir=/build: builduser's login shell there.
out=$(echo 'echo "$0 $(id -un) $(pwd)"' | arch_nspawn --user=builduser --chdir=/build 2>&1)
check_eq "makechrootpkg -x: a login shell of builduser in /build" "-sh builduser /build" "$out"
# arch-nspawn runs nspawn under setarch for the chroot's architecture.
if [ "$(uname -m)" = x86_64 ] && command -v setarch >/dev/null; then
        out=$(setarch i686 "$N" -q -D "$TREE" --console=pipe -a /bin/uname -m </dev/null 2>&1)
        check_eq "setarch i686 systemd-nspawn: the guest has that personality" i686 "$out"
fi

host_unchanged "the tools' command lines"
finish
