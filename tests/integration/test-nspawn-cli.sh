#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted commands are expanded by the guest's shell
# The systemd-nspawn entry point (a link named systemd-nspawn to machined-lite): nspawn's
# command line, each option seen from inside the guest; refusals in one line; the options
# that came with it on machined-lite's own command line too.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/nsbox
make_busybox_tree "$TREE"
echo 'builder:x:1000:1000:Builder:/home/builder:/bin/sh' >> "$TREE/etc/passwd"
printf 'builder:x:1000:\nwheel:x:10:builder\n' >> "$TREE/etc/group"
mkdir -p "$TREE/home/builder" "$TREE/srv/build"
chown 1000:1000 "$TREE/home/builder"
cc -static -O2 -o "$TREE/probe" "$TESTS_DIR/integration/syscall-probe.c" 2>"$WORK/cc.log" ||
        skip "cannot build the static system call probe (cc -static): $(head -n 1 "$WORK/cc.log")"
host_snapshot

mkdir -p "$WORK/bin"
ln -s "$ML" "$WORK/bin/systemd-nspawn"
N=$WORK/bin/systemd-nspawn

# flat TEXT: its lines on one, separated by spaces.
flat() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; }
# ns OPTIONS... [COMMAND...]: nspawn's command line on the tree, stdio on pipes.
ns() { "$N" -q -D "$TREE" --console=pipe "$@" </dev/null 2>"$WORK/stderr"; }

out=$("$N" --version | head -n 1)
check_match "--version: 'systemd 252' first, as mkosi and debspawn parse it, then what we are" \
        '^systemd 252 \(machined-lite [0-9.]+: the command line of systemd-nspawn 252\)$' "$out"
help=$("$N" --help)
for option in --pipe --console --resolv-conf --chdir --suppress-sync --as-pid2 --boot; do
        check "--help names $option (mock and obs-build look for it there)" grep -q -- "$option" <<<"$help"
done

# PID 1, PID 2, the exit status, the shell.
out=$(ns /bin/sh -c 'echo $$; exit 7')
check_eq "COMMAND is PID 1, its exit status ours" "1 7" "$out $?"
out=$(ns -a /bin/sh -c 'echo $$ $PPID; exit 9')
check_eq "--as-pid2: COMMAND is PID 2 under a stub init (PPID 1)" "2 1 9" "$out $?"
out=$(ns -a -- /bin/sh -c 'echo after-dashes')
check_eq "-- ends nspawn's options" after-dashes "$out"
out=$(echo 'echo "$0 $HOME $(pwd)"' | "$N" -q -D "$TREE" --console=pipe 2>"$WORK/stderr")
check_eq "no COMMAND: a login shell (sh where there is no bash) in root's home" "-sh /root /root" "$out"
out=$(echo 'echo "$0 $PPID $(pwd)"' | "$N" -q -D "$TREE" --console=pipe -a 2>"$WORK/stderr")
check_eq "-a, no COMMAND: the login shell as PID 2" "-sh 1 /root" "$out"
out=$(echo 'pwd' | "$N" -q -D "$TREE" --console=pipe -a --chdir=/srv 2>"$WORK/stderr")
check_eq "-a --chdir, no COMMAND: the login shell in --chdir's directory" /srv "$out"
out=$(cd "$TREE" && "$N" -q --console=pipe /bin/hostname </dev/null 2>&1)
check_eq "no -D, -i or -M: the current directory is the tree" nsbox "$out"
out=$(ns nosuchcommand)
check_eq "a COMMAND the guest does not have: exit 127" 127 "$?"
check_match "... and one line saying so" "Cannot run nosuchcommand in the guest.*No such file" "$(cat "$WORK/stderr")"

out=$("$N" -q -D "$TREE" -b </dev/null 2>&1 &
        for _ in $(seq 50); do "$ML" stop nsbox >/dev/null 2>&1 && break; sleep 0.1; done; wait)
check_match "-b boots the tree's init (busybox), which machined-lite stop powers off" "busybox-init-booted" "$out"

# Execution options.
out=$(ns -u builder /bin/sh -c 'id -u; id -g; id -G; echo $HOME $USER $LOGNAME')
check_eq "-u builder: its UID, GID, groups and environment from the guest's files" "1000
1000
1000 10
/home/builder builder builder" "$out"
out=$(ns -a -u 1000 /bin/sh -c 'id -u; echo $PPID')
check_eq "-a -u 1000: the command as the user, under ml-init" "1000 1" "$(flat "$out")"
one_line_error "-u names no user of the guest's: exit 2" 2 "No user nobody-here in machine" \
        "$N" -q -D "$TREE" --console=pipe -u nobody-here /bin/true
out=$(ns --chdir=/srv/build /bin/pwd)
check_eq "--chdir" /srv/build "$out"
out=$(FROM_HOST=kept ns -E FROM_HOST -E SET=here --setenv=OTHER=x /bin/sh -c 'echo $FROM_HOST $SET $OTHER')
check_eq "-E NAME passes our value, -E NAME=VALUE sets it" "kept here x" "$out"
out=$(ns --rlimit=RLIMIT_NOFILE=100:200 --rlimit=NPROC=300 /bin/sh -c 'ulimit -n; ulimit -Hn; ulimit -u')
check_eq "--rlimit, by RLIMIT_ name or short" "100 200 300" "$(flat "$out")"
out=$(ns --oom-score-adjust=321 /bin/cat /proc/self/oom_score_adj)
check_eq "--oom-score-adjust" 321 "$out"
out=$(ns --cpu-affinity=0 /bin/grep Cpus_allowed_list /proc/self/status)
check_match "--cpu-affinity=0" "Cpus_allowed_list:\s+0$" "$out"
if [ "$(uname -m)" = x86_64 ]; then
        out=$(ns --personality=x86 /bin/uname -m)
        check_eq "--personality=x86 on x86-64" i686 "$out"
fi
# shellcheck disable=SC1091 # the host's
host_os=$(. /etc/os-release && echo "$ID $VERSION_ID")
out=$(ns /bin/sh -c 'echo $container_host_id $container_host_version_id')
check_eq "\$container_host_id and \$container_host_version_id: the host's os-release ID= and VERSION_ID=" "$host_os" "$out"
out=$(ns --uuid=0123456789abcdef0123456789abcdef /bin/sh -c 'echo $container_uuid')
check_eq "--uuid is \$container_uuid" 01234567-89ab-cdef-0123-456789abcdef "$out"
# fsync() and fdatasync() of a pipe: EINVAL, unless the calls are suppressed.
out=$(echo | "$N" -q -D "$TREE" --console=pipe /probe fsync fdatasync 2>&1)
check_eq "fsync and fdatasync on a pipe fail (EINVAL) without --suppress-sync" "fsync EINVAL fdatasync EINVAL" "$(flat "$out")"
out=$(echo | "$N" -q -D "$TREE" --console=pipe --suppress-sync=yes /probe fsync fdatasync 2>&1)
check_eq "--suppress-sync=yes: they return 0 at once" "fsync ok fdatasync ok" "$(flat "$out")"
# io_uring_setup: the filter denies it (EPERM); what the kernel answers itself, the host shows.
host_answer=$("$TREE/probe" io_uring_setup)
out=$(ns /probe io_uring_setup)
check_eq "the system call filter denies io_uring_setup" "io_uring_setup EPERM" "$out"
if [ "$host_answer" != "io_uring_setup EPERM" ]; then
        out=$(SYSTEMD_SECCOMP=0 ns /probe io_uring_setup)
        check_eq "SYSTEMD_SECCOMP=0 (mock's): no filter, as nspawn: the kernel's own answer" "$host_answer" "$out"
else
        echo "SKIP (one check): SYSTEMD_SECCOMP=0 not checked: this kernel refuses io_uring to everyone"
fi
out=$(ns --system-call-filter='@memlock @pkey @clock @cpu-emulation' /bin/true)
check_eq "--system-call-filter with systemd's @memlock and @pkey (debspawn's list)" 0 "$?"
out=$(ns --kill-signal=SIGTERM --notify-ready=no --no-pager -j --link-journal=try-host --register=no /bin/true)
check_eq "--kill-signal, --notify-ready, --no-pager, -j, --link-journal=try-host, --register=no are taken" 0 "$?"

# Mounts.
out=$(ns --tmpfs=/var/scratch:rw,nosuid,noexec,size=1M /bin/grep ' /var/scratch ' /proc/self/mounts)
check_match "--tmpfs=PATH:rw,nosuid,noexec,size=1M: the flags as flags, the size as tmpfs's" \
        "tmpfs /var/scratch tmpfs rw,nosuid,nodev,noexec,.*size=1024k" "$out"
out=$(ns /bin/grep ' /tmp ' /proc/self/mounts)
check_match "a tmpfs on /tmp, as nspawn mounts one" "^tmpfs /tmp tmpfs " "$out"
out=$(SYSTEMD_NSPAWN_TMPFS_TMP=0 ns /bin/sh -c 'grep -c " /tmp " /proc/self/mounts')
check_eq "SYSTEMD_NSPAWN_TMPFS_TMP=0 (mock's): none" 0 "$out"
# nspawn's environment switches for the API file systems, cgroups and the tree lock.
# mountinfo's fields: 5 the mount point, 6 its options, 9 the file system type.
api_mounts='awk '"'"'$5 ~ /^\/(sys|proc\/sys|sys\/fs\/cgroup.*)$/ { split($6, o, ","); print $5, o[1], $9 }'"'"' /proc/self/mountinfo'
check_eq "by default /proc/sys and /sys are read-only, /sys/fs/cgroup a writable cgroup2 of the guest's own" \
        "/proc/sys ro none /sys ro sysfs /sys/fs/cgroup rw cgroup2 0::/" "$(flat "$(ns /bin/sh -c "$api_mounts; grep ^0:: /proc/self/cgroup")")"
check_eq "SYSTEMD_NSPAWN_API_VFS_WRITABLE=1: /proc/sys and /sys writable" "/sys rw sysfs /sys/fs/cgroup rw cgroup2" \
        "$(flat "$(SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 ns /bin/sh -c "$api_mounts")")"
check_eq "SYSTEMD_NSPAWN_API_VFS_WRITABLE=network: as without it (/proc/sys/net is the guest's with -n)" \
        "/proc/sys ro none /sys ro sysfs /sys/fs/cgroup rw cgroup2" \
        "$(flat "$(SYSTEMD_NSPAWN_API_VFS_WRITABLE=network ns /bin/sh -c "$api_mounts")")"
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(SYSTEMD_NSPAWN_USE_CGNS=0 ns -M ml-nocgns /bin/sh -c 'own=$(sed -n "s/^0:://p" /proc/self/cgroup); echo $own
        [ "$(readlink /proc/self/ns/cgroup)" = "$(readlink /proc/1/ns/cgroup)" ] && echo same-ns
        awk '"'"'$5 ~ /^\/sys\/fs\/cgroup/ { split($6, o, ","); print $4, $5, o[1] }'"'"' /proc/self/mountinfo
        mkdir /sys/fs/cgroup/ml-nope 2>&1 | grep -o "Read-only file system"
        mkdir /sys/fs/cgroup$own/sub && rmdir /sys/fs/cgroup$own/sub && echo own-writable')
own=$(printf '%s\n' "$out" | head -1)
check_match "SYSTEMD_NSPAWN_USE_CGNS=0: the guest sees its cgroup's host path" "^/.*machine-ml-nocgns" "$own"
check_eq "... the host's tree read-only, its own cgroup bound writable over itself" "$own
same-ns
/ /sys/fs/cgroup ro
$own /sys/fs/cgroup$own rw
Read-only file system
own-writable" "$out"
if grep -qv '^0::' /proc/self/cgroup; then
        # shellcheck disable=SC2016 # expanded by the guest's shell
        out=$(SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 ns /bin/sh -c '
                awk '"'"'$5 ~ /^\/sys\/fs\/cgroup/ { split($6, o, ","); print $5, o[1], $9 }'"'"' /proc/self/mountinfo | sort
                grep "name=systemd" /proc/self/cgroup')
        expected=$( (echo "/sys/fs/cgroup ro tmpfs"
                sed -n 's/^[1-9][0-9]*:\([^:]*\):.*/\1/p' /proc/self/cgroup | while read -r c; do
                        d=${c#name=}; [ "$(stat -f -c %T "/sys/fs/cgroup/$d" 2>/dev/null)" = cgroupfs ] || continue
                        case $c in name=*) echo "/sys/fs/cgroup/$d rw cgroup" ;; *) echo "/sys/fs/cgroup/$d ro cgroup" ;; esac
                done) | sort)
        check_eq "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0: a read-only tmpfs with the host's v1 hierarchies, name=systemd writable, each of the guest's own" \
                "$expected
$(grep -o '^[0-9]*:name=systemd:' /proc/self/cgroup)/" "$out"
else
        one_line_error "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 on a host with cgroup v2 alone: exit 2" 2 \
                "this host has no cgroup v1 hierarchies to give the guest" env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 "$N" -q -D "$TREE" /bin/true
fi
ns -M ml-lock-a /bin/sleep 3 &
locker=$!
sleep 1
ns -M ml-lock-b /bin/true
check_eq "a second writable machine on the same tree: refused (exit 5), as nspawn's lock does" 5 "$?"
SYSTEMD_NSPAWN_LOCK=0 ns -M ml-lock-b /bin/true
check_eq "SYSTEMD_NSPAWN_LOCK=0: the tree is not locked, the second machine runs" 0 "$?"
wait $locker

out=$(ns --inaccessible=/etc/inittab --inaccessible=/srv /bin/sh -c 'wc -c < /etc/inittab; ls -A /srv | wc -l; stat -c %a /etc/inittab /srv')
check_eq "--inaccessible: a file and a directory hidden: empty, mode 000" "0 0 0 0" "$(flat "$out")"
out=$(ns -u builder --inaccessible=/etc/inittab /bin/sh -c 'cat /etc/inittab >/dev/null 2>&1; echo $?')
check_eq "... which a user cannot open" 1 "$out"
one_line_error "--inaccessible of a path the guest does not have: exit 1" 1 "inaccessible node.*/nothing" \
        "$N" -q -D "$TREE" --console=pipe --inaccessible=/nothing /bin/true

# Credentials (credentials(7)): in $CREDENTIALS_DIRECTORY, a read-only file system of PID 1's.
printf 'from-a-file' > "$WORK/key"
python3 - "$WORK/cred.sock" >/dev/null 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); c.sendall(b"from-a-socket"); c.close()
EOF
for _ in $(seq 50); do [ -S "$WORK/cred.sock" ] && break; sleep 0.1; done
out=$(ns '--set-credential=pass:two
lines' --load-credential=key:"$WORK/key" --load-credential=sock:"$WORK/cred.sock" \
        /bin/sh -c 'cd "$CREDENTIALS_DIRECTORY" && pwd && cat pass && echo && cat key && echo && cat sock && echo &&
                stat -c "%a %u" pass && touch new 2>/dev/null || echo read-only')
check_eq "--set-credential (escapes decoded), --load-credential from a file and from an AF_UNIX socket" \
        "/run/host/credentials two lines from-a-file from-a-socket 400 0 read-only" "$(flat "$out")"
wait
out=$(ns -U --set-credential=pass:x /bin/stat -c "%a %u" /run/host/credentials/pass)
check_eq "with -U the guest's root owns them" "400 0" "$out"
one_line_error "--set-credential without a value: exit 2" 2 "takes ID:VALUE" "$N" -q -D "$TREE" --set-credential=novalue /bin/true
one_line_error "--load-credential of a file that is not there: exit 2" 2 "cannot read /nonexistent" \
        "$N" -q -D "$TREE" --load-credential=a:/nonexistent /bin/true
one_line_error "a credential ID with a /: exit 2" 2 "ID a file name" "$N" -q -D "$TREE" --set-credential=a/b:x /bin/true

# Binds whose IDs map (idmapped mounts): a host directory owned by UID 1234.
mkdir -p "$WORK/owned" "$WORK/rootowned"
chown 1234:1234 "$WORK/owned"
out=$(ns --bind="$WORK/owned:/mnt:rootidmap" /bin/sh -c 'stat -c "%u %g" /mnt; touch /mnt/made')
check_eq "rootidmap: the source's owner (1234) is the guest's root" "0 0" "$out"
check_eq "... and what the guest's root writes there is 1234's on the host" "1234 1234" "$(stat -c '%u %g' "$WORK/owned/made")"
out=$(ns --bind="$WORK/owned:/home/builder:owneridmap" /bin/stat -c %u /home/builder)
check_eq "owneridmap: the source's owner is the destination's owner in the guest (builder, 1000)" 1000 "$out"
out=$(ns --bind="$WORK/owned:/mnt:norbind,noidmap" /bin/stat -c %u /mnt)
check_eq "noidmap (and norbind, comma-separated): as on disk" 1234 "$out"
out=$(ns -U --bind="$WORK/rootowned:/mnt" /bin/stat -c %u /mnt)
check_eq "-U without idmap: a host root's directory is nobody's in the guest" 65534 "$out"
out=$(ns -U --bind="$WORK/rootowned:/mnt:idmap" /bin/stat -c %u /mnt)
check_eq "-U with idmap: the host's root is the guest's root" 0 "$out"
out=$(cd "$WORK" && "$N" -q -D "$TREE" --console=pipe --bind=owned:/mnt /bin/stat -c %u /mnt </dev/null 2>&1)
check_eq "a relative source is the current directory's" 1234 "$out"
one_line_error "a bind option that is none: exit 2" 2 "unknown option 'bogus'" \
        "$N" -q -D "$TREE" --bind="$WORK/owned:/mnt:bogus" /bin/true

# /etc/resolv.conf and /etc/localtime.
rm -f "$TREE/etc/resolv.conf" "$TREE/etc/localtime"
out=$(ns --resolv-conf=off /bin/sh -c 'test -e /etc/resolv.conf; echo $?')
check_eq "--resolv-conf=off: the tree's (none) stays" 1 "$out"
if [ -f /etc/resolv.conf ]; then
        out=$(ns --resolv-conf=copy-host /bin/cat /etc/resolv.conf)
        check_eq "--resolv-conf=copy-host: the host's" "$(cat /etc/resolv.conf)" "$out"
        out=$(ns --resolv-conf=bind-host /bin/sh -c 'grep -c " /etc/resolv.conf " /proc/self/mounts; echo x >> /etc/resolv.conf 2>/dev/null; echo $?')
        check_eq "--resolv-conf=bind-host: bound, read-only" "1 1" "$(flat "$out")"
fi
out=$(ns --resolv-conf=delete /bin/sh -c 'test -e /etc/resolv.conf; echo $?')
check_eq "--resolv-conf=delete" 1 "$out"
out=$(ns --timezone=copy /bin/sh -c 'test -f /etc/localtime && ! test -L /etc/localtime; echo $?')
check_eq "--timezone=copy: a file" 0 "$out"
out=$(ns --timezone=symlink /bin/sh -c 'readlink /etc/localtime')
check_match "--timezone=symlink: a link into the guest's zoneinfo" "^\.\./usr/share/zoneinfo/" "$out"
out=$(ns --timezone=delete /bin/sh -c 'test -e /etc/localtime || test -L /etc/localtime; echo $?')
check_eq "--timezone=delete" 1 "$out"

# A settings file next to the tree: NAME.nspawn, read where nspawn reads it.
printf '[Exec]\nEnvironment=FROM_FILE=nspawn-file\n' > "$WORK/nsbox.nspawn"
out=$(ns /bin/sh -c 'echo $FROM_FILE')
check_eq "DIR.nspawn next to the tree is read" nspawn-file "$out"
out=$(ns --settings=no /bin/sh -c 'echo ${FROM_FILE:-none}')
check_eq "--settings=no: not read" none "$out"
cat > "$WORK/nsbox.nspawn" <<'EOF'
[Exec]
ProcessTwo=yes
User=builder
WorkingDirectory=/srv
LimitNOFILE=77
Timezone=off
[Files]
Inaccessible=/etc/inittab
EOF
out=$(ns /bin/sh -c 'echo $PPID $(id -un) $(pwd) $(ulimit -n) $(test -r /etc/inittab || echo hidden)')
check_eq "NAME.nspawn's ProcessTwo=, User=, WorkingDirectory=, LimitNOFILE=, Inaccessible=" "1 builder /srv 77 hidden" "$out"
printf '[Exec]\nLimitBOGUS=1\n' > "$WORK/nsbox.nspawn"
one_line_error "a .nspawn key that is none: exit 2, the file and line named" 2 "nsbox.nspawn:2: .*LimitBOGUS" \
        "$N" -q -D "$TREE" --console=pipe /bin/true
rm "$WORK/nsbox.nspawn"

# --link-journal: the guest's journal where journalctl on the host finds it, under the
# tree's machine id (a made-up one, removed at exit with what was linked under it).
JID=5f3c9a2b7d1e4f6a8b0c2d4e6f8a0b1c
trap 'rm -rf "/var/log/journal/$JID"; cleanup_work' EXIT
[ -d /var/log/journal ] || skip "this host keeps no journal on disk (/var/log/journal)"
echo "$JID" > "$TREE/etc/machine-id"
out=$(ns --link-journal=host /bin/sh -c "echo written > /var/log/journal/$JID/from-guest; grep -c ' /var/log/journal/$JID ' /proc/self/mountinfo")
check_eq "--link-journal=host: the host's /var/log/journal/ID bound at the same path in the guest" 1 "$out"
check_eq "...what the guest writes there is on the host" written "$(cat "/var/log/journal/$JID/from-guest" 2>&1)"
check_eq "auto (the default) binds what host left" written "$(ns /bin/cat "/var/log/journal/$JID/from-guest")"
check_eq "--link-journal=no binds nothing" 0 "$(ns --link-journal=no /bin/sh -c "grep -c ' /var/log/journal/$JID ' /proc/self/mountinfo")"
rm -rf "/var/log/journal/$JID"
ns --link-journal=guest /bin/true
check_eq "--link-journal=guest: the host's /var/log/journal/ID links to the tree's" "$TREE/var/log/journal/$JID" \
        "$(readlink "/var/log/journal/$JID")"
check "...which is made in the tree" test -d "$TREE/var/log/journal/$JID"
ns -j /bin/true
check_eq "-j (try-guest) with the link there: exit 0, the link unchanged" "0 $TREE/var/log/journal/$JID" \
        "$? $(readlink "/var/log/journal/$JID")"
one_line_error "--link-journal=guest with -x: exit 2" 2 "--link-journal=guest keeps the journal in the tree, but what the guest writes is thrown away" \
        "$N" -q -D "$TREE" -x --link-journal=guest /bin/true
ns -x -j /bin/true
check_eq "-j with -x: nothing linked, exit 0" 0 "$?"
rm -f "/var/log/journal/$JID"
ns --link-journal=host /bin/true
one_line_error "--link-journal=guest where host made a directory: exit 1" 1 "/var/log/journal/$JID is there already" \
        "$N" -q -D "$TREE" --link-journal=guest /bin/true
rm -rf "/var/log/journal/$JID" "$TREE/var/log/journal"
# A tree whose /etc/var/log leads elsewhere: the host's link would follow it.
mv "$TREE/var" "$TREE/var.real" && ln -s /etc "$TREE/var"
one_line_error "--link-journal=guest of a tree whose /var is a link: exit 1" 1 "/var, /var/log or /var/log/journal of .* is no directory" \
        "$N" -q -D "$TREE" --link-journal=guest /bin/true
check "...nothing linked on the host, nothing made through the link" test ! -e "/var/log/journal/$JID" -a ! -e "$TREE/etc/log"
rm "$TREE/var" && mv "$TREE/var.real" "$TREE/var"
# A tree with the host's own machine id (copied from the host's root): its journal would be
# the host's. auto binds nothing even where the host's directory is there; host is refused.
HID=$(cat /etc/machine-id)
made_host_dir=
[ -e "/var/log/journal/$HID" ] || { mkdir "/var/log/journal/$HID" && made_host_dir=1; }
cp /etc/machine-id "$TREE/etc/machine-id"
check_eq "a tree with the host's machine id: auto binds none of the host's journal" 0 \
        "$(ns /bin/sh -c "grep -c ' /var/log/journal' /proc/self/mountinfo")"
one_line_error "--link-journal=host of a tree with the host's machine id: exit 1" 1 "machine-id is the host's own, and its journal the host's: refused" \
        "$N" -q -D "$TREE" --link-journal=host /bin/true
[ -n "$made_host_dir" ] && rmdir "/var/log/journal/$HID"
rm -f "$TREE/etc/machine-id"
one_line_error "--link-journal=host of a tree without a machine id: exit 1" 1 "has no /etc/machine-id to name its journal by" \
        "$N" -q -D "$TREE" --link-journal=host /bin/true
ns --link-journal=try-host /bin/true
check_eq "--link-journal=try-host of a tree without a machine id: nothing, exit 0" "0 absent" \
        "$? $(test -e "/var/log/journal/$JID" && echo present || echo absent)"

# Refused, each in one line, with nothing left behind.
one_line_error "an option nspawn does not have: exit 2, 'unrecognized option' (mkosi's probe reads that)" 2 \
        "unrecognized option '--no-such-option'" "$N" -q -D "$TREE" --no-such-option /bin/true
for option in --root-hash=00 --pivot-root=/x --ambient-capability=CAP_CHOWN -Zx --selinux-apifs-context=x; do
        one_line_error "nspawn's $option, not implemented: exit 2" 2 "unrecognized option '.*': an option of systemd-nspawn's" \
                "$N" -q -D "$TREE" "$option" /bin/true
done
check_eq "--private-users=identity: the host's first 64K IDs as they are" "0 0 65536" \
        "$("$N" -q -D "$TREE" --private-users=identity --pipe /bin/sh -c 'tr -s " " < /proc/self/uid_map | sed "s/^ //"' </dev/null 2>&1)"
one_line_error "--resolv-conf=copy-stub: exit 2" 2 "copy-stub is not implemented" \
        "$N" -q -D "$TREE" --resolv-conf=copy-stub /bin/true
one_line_error "SYSTEMD_NSPAWN_API_VFS_WRITABLE=maybe: exit 2" 2 \
        "^machined-lite: SYSTEMD_NSPAWN_API_VFS_WRITABLE=maybe: give 1, 0 or network" \
        env SYSTEMD_NSPAWN_API_VFS_WRITABLE=maybe "$N" -q -D "$TREE" /bin/true
one_line_error "SYSTEMD_NSPAWN_LOCK=perhaps: exit 2" 2 "^machined-lite: SYSTEMD_NSPAWN_LOCK=perhaps: give 1 or 0" \
        env SYSTEMD_NSPAWN_LOCK=perhaps "$N" -q -D "$TREE" /bin/true
one_line_error "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 with SYSTEMD_NSPAWN_USE_CGNS=0: exit 2" 2 \
        "the v1 hierarchies need the cgroup namespace" \
        env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 SYSTEMD_NSPAWN_USE_CGNS=0 "$N" -q -D "$TREE" /bin/true
one_line_error "-b with -a: exit 2" 2 "--boot and --as-pid2" "$N" -q -D "$TREE" -b -a
one_line_error "-b with -u: exit 2" 2 "runs the tree's init as root" "$N" -q -D "$TREE" -b -u builder
one_line_error "--rlimit with a resource that is none: exit 2" 2 "unknown resource 'RLIMIT_NOPE'" \
        "$N" -q -D "$TREE" --rlimit=RLIMIT_NOPE=1 /bin/true
one_line_error "--personality of no architecture: exit 2" 2 "--personality takes" \
        "$N" -q -D "$TREE" --personality=vax /bin/true
out=$("$N" --capability=help)
check "--capability=help lists the capabilities" grep -qx CAP_CHOWN <<<"$out"

# The same options on machined-lite's own command line.
out=$("$ML" run -q --console=pipe -D "$TREE" -u builder --chdir=/tmp --rlimit=NOFILE=64 -- /bin/sh -c 'id -u; pwd; ulimit -n' </dev/null 2>&1)
check_eq "machined-lite run -u, --chdir, --rlimit" "1000 /tmp 64" "$(flat "$out")"
one_line_error "machined-lite boot -u: exit 2" 2 "a booted init runs as root" "$ML" boot -q -D "$TREE" -u builder

host_unchanged "the nspawn command line"
finish
