#!/bin/bash
# --bind-user=NAME (systemd-nspawn(1)'s): a host user in the guest, seen from inside it: its
# home at /run/host/home/NAME owned by its ID there (60514 up, one the tree does not use),
# the user namespace's maps cut around that ID, its JSON records in /run/host/userdb for
# nss-systemd; and each refusal in one line, the host left as it was.
. "$(dirname "$0")/lib.sh"
require_root
command -v useradd >/dev/null || skip "useradd is not installed (passwd)"
make_work
TREE=$WORK/bindbox
make_busybox_tree "$TREE"
cp /etc/resolv.conf "$TREE/etc/resolv.conf"
touch "$TREE/etc/localtime"
mkdir -p "$WORK/bin"
ln -s "$ML" "$WORK/bin/systemd-nspawn"

# Host users of the test's own, gone at exit whatever happens.
delete_users() {
        for u in mlbindu mlbindv mlbindw; do
                userdel "$u" 2>/dev/null
                groupdel "$u" 2>/dev/null
        done
}
trap 'delete_users; cleanup_work' EXIT
delete_users
useradd --home-dir "$WORK/home-u" --create-home --user-group --shell /bin/sh mlbindu || fail "useradd mlbindu"
useradd --home-dir "$WORK/home-v" --create-home --user-group mlbindv || fail "useradd mlbindv"
useradd --home-dir "$WORK/home-w" --create-home --no-user-group --gid users mlbindw || fail "useradd mlbindw"
# A hashed password, as shadow has it (what it says does not matter here).
# shellcheck disable=SC2016 # a hash, not an expansion
HASH='$y$j9T$mlbindtest$0123456789abcdefghijklmnopqrstuvwxyzABCDE'
usermod -p "$HASH" mlbindu
echo "from the host" > "$WORK/home-u/hello"
chown mlbindu:mlbindu "$WORK/home-u/hello"
HOST_UID=$(id -u mlbindu)
HOST_GID=$(id -g mlbindu)
host_snapshot
cp "$TREE/etc/passwd" "$WORK/passwd-before"

run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null 2>"$WORK/stderr"
}

# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -U --bind-user=mlbindu -- /bin/sh -c '
        stat -c "%u %g %a" /run/host/home/mlbindu
        cat /run/host/home/mlbindu/hello
        for f in user group user-privileged; do readlink /run/host/userdb/60514.$f; done
        stat -c "%a %u" /run/host/userdb/mlbindu.user /run/host/userdb/mlbindu.user-privileged
        tr -s " " < /proc/self/uid_map | sed "s/^ //"
        echo gid; tr -s " " < /proc/self/gid_map | sed "s/^ //"')
check_eq "the run with --bind-user succeeded" "" "$(cat "$WORK/stderr")"
check_eq "its home at /run/host/home/mlbindu belongs to UID and GID 60514 in the guest" "60514 60514 755" \
        "$(printf '%s\n' "$out" | sed -n 1p)"
check_eq "the guest reads the home's files" "from the host" "$(printf '%s\n' "$out" | sed -n 2p)"
check_eq "its records are linked by ID too (60514.user, .group, .user-privileged)" \
        "mlbindu.user mlbindu.group mlbindu.user-privileged" "$(printf '%s\n' "$out" | sed -n 3,5p | tr '\n' ' ' | sed 's/ $//')"
check_eq "the user record is 0644, the privileged one 0600, both the guest root's" "644 0 600 0" \
        "$(printf '%s\n' "$out" | sed -n 6,7p | tr '\n' ' ' | sed 's/ $//')"
base=$(printf '%s\n' "$out" | sed -n 8p | cut -d' ' -f2)
check_match "uid_map: the range cut around 60514, which is host UID $HOST_UID" "^0 $base 60514
60514 $HOST_UID 1
60515 $((base + 60515)) 5021
gid
0 $base 60514
60514 $HOST_GID 1
60515 $((base + 60515)) 5021$" "$(printf '%s\n' "$out" | sed -n '8,$p')"

# The records themselves, as JSON (read back out of a guest: they live on its /run).
records() {
        run -U --bind-user=mlbindu --bind-user=mlbindv -- /bin/sh -c "cat /run/host/userdb/$1"
}
parse='import json, sys
for line in sys.stdin:
    d = json.loads(line)
    print(" ".join(str(d.get(k)) for k in sys.argv[1:]))'
check_eq "mlbindu.user: userName, uid, gid, home, shell, service" \
        "mlbindu 60514 60514 /run/host/home/mlbindu /bin/sh io.systemd.NSpawn" \
        "$(records mlbindu.user | python3 -c "$parse" userName uid gid homeDirectory shell service)"
check_eq "mlbindu.group: groupName, gid" "mlbindu 60514" "$(records mlbindu.group | python3 -c "$parse" groupName gid)"
check_eq "mlbindu.user-privileged: the host's password hash" "$HASH" \
        "$(records mlbindu.user-privileged | python3 -c 'import json, sys; print(json.load(sys.stdin)["privileged"]["hashedPassword"][0])')"
check_eq "a second --bind-user gets the next ID, 60515 (and no privileged record without a password)" "60515 no" \
        "$(run -U --bind-user=mlbindu --bind-user=mlbindv -- /bin/sh -c \
                'stat -c %u /run/host/home/mlbindv; test -e /run/host/userdb/mlbindv.user-privileged && echo yes || echo no' |
                tr '\n' ' ' | sed 's/ $//')"

# An ID the tree's own /etc/passwd uses is skipped.
echo 'taken:x:60514:60514::/:/bin/sh' >> "$TREE/etc/passwd"
check_eq "an ID the tree uses (60514) is skipped: 60515" "60515" \
        "$(run -U --bind-user=mlbindu -- /bin/sh -c 'stat -c %u /run/host/home/mlbindu')"
cp "$WORK/passwd-before" "$TREE/etc/passwd"

# The systemd-nspawn command line, as nspawn's users give it.
check_eq "systemd-nspawn -U --bind-user=mlbindu: the same home" "60514" \
        "$("$WORK/bin/systemd-nspawn" -q -D "$TREE" -U --bind-user=mlbindu --pipe /bin/stat -c %u /run/host/home/mlbindu </dev/null 2>&1)"

# Refusals: one line, exit 2 (README), nothing made.
one_line_error "--bind-user without a user namespace" 2 "--bind-user=mlbindu .*needs -U" \
        "$ML" run -q --bind-user=mlbindu -D "$TREE" -- /bin/true
one_line_error "--bind-user of a user the host does not have" 2 "--bind-user=mlnosuchuser: the host has no such user" \
        "$ML" run -q -U --bind-user=mlnosuchuser -D "$TREE" -- /bin/true
one_line_error "--bind-user=root" 2 "--bind-user=root: the host's root and nobody cannot be bound" \
        "$ML" run -q -U --bind-user=root -D "$TREE" -- /bin/true
one_line_error "--bind-user with a path for a name" 2 "--bind-user takes the name of a user of the host's, not '../etc'" \
        "$ML" run -q -U --bind-user=../etc -D "$TREE" -- /bin/true
one_line_error "--bind-user of a user without a group of its own" 2 "--bind-user=mlbindw: its primary group .* is not a group of its own" \
        "$ML" run -q -U --bind-user=mlbindw -D "$TREE" -- /bin/true
echo 'mlbindu:x:1234:1234::/:/bin/sh' >> "$TREE/etc/passwd"
one_line_error "--bind-user of a name the guest has already" 2 "--bind-user=mlbindu: the guest has a user or group of that name already" \
        "$ML" run -q -U --bind-user=mlbindu -D "$TREE" -- /bin/true
cp "$WORK/passwd-before" "$TREE/etc/passwd"
check_eq "the host's home is as it was" "mlbindu mlbindu from the host" \
        "$(stat -c '%U %G' "$WORK/home-u/hello" | tr '\n' ' ')$(cat "$WORK/home-u/hello")"
host_unchanged "after every --bind-user run"
finish
