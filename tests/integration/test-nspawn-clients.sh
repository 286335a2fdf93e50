#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted commands are expanded by the guest's shell
# Packagers' tools driven unchanged with our systemd-nspawn first in their PATH: Debian's
# debspawn makes a bookworm image (debootstrap from the archive, the first time: the image
# is cached in $CACHE_DIR/debspawn), runs a command in it and builds a small package;
# Debian's mkosi builds a bookworm image (its packages cached in $CACHE_DIR/mkosi), then
# `mkosi shell` and `mkosi boot` run it. Each goes through our entry point (a wrapper in
# front of it logs every call, so that we know the tool ran us, not the host's nspawn).
. "$(dirname "$0")/lib.sh"
require_root
command -v debspawn >/dev/null || skip "debspawn is not installed (apt-get install debspawn)"
command -v dpkg-source >/dev/null || skip "dpkg-source (dpkg-dev) is not installed"
make_work
host_snapshot

# The entry point, behind a wrapper that writes down each command line it is given.
mkdir -p "$WORK/bin"
cat > "$WORK/bin/systemd-nspawn" <<EOF
#!/bin/bash
printf '%s\n' "\$*" >> "$WORK/calls.log"
exec -a systemd-nspawn "$ML" "\$@"
EOF
chmod +x "$WORK/bin/systemd-nspawn"
export PATH=$WORK/bin:$PATH

# debspawn's directories: the image cached between runs, the rest the test's own.
images=$CACHE_DIR/debspawn/images
mkdir -p "$images" "$CACHE_DIR/debspawn/aptcache" "$WORK/results" "$WORK/tmp" "$WORK/injected"
cat > "$WORK/global.toml" <<EOF
OSImagesDir = "$images"
APTCacheDir = "$CACHE_DIR/debspawn/aptcache"
ResultsDir = "$WORK/results"
TempDir = "$WORK/tmp"
InjectedPkgsDir = "$WORK/injected"
EOF
ds() { debspawn -c "$WORK/global.toml" "$@"; }

if ! ds list 2>/dev/null | grep -q bookworm; then
        echo "# making debspawn's bookworm image (about a minute, once: it is kept in $images)"
        ds create bookworm >"$WORK/create.log" 2>&1
        rc=$?
        check_eq "debspawn create bookworm, through our systemd-nspawn" 0 "$rc"
        [ "$rc" = 0 ] || tail -n 20 "$WORK/create.log"
        check "... which ran ours" test -s "$WORK/calls.log"
fi

: > "$WORK/calls.log"
out=$(ds run bookworm -- /bin/sh -c 'echo "ran in $container as PID $$ ($(cat /etc/debian_version))"' 2>&1)
check_match "debspawn run: the command ran in our machine, as PID 2 (debspawn passes -a)" \
        '^ran in machined-lite as PID 2 \(12\.[0-9]+\)$' "$(grep '^ran in' <<<"$out" | tr -d '\r')"
check_match "... debspawn's command line (-M, --register=no, -a, --chdir, binds, -qD) reached our entry point" \
        "^-M vm-bookworm-.* --register=no -a --chdir=/srv .*--bind=.* -qD " "$(tail -n 1 "$WORK/calls.log")"

# A native package whose build writes where it was built.
pkg=$WORK/pkg/mlhello-1.0
mkdir -p "$pkg/debian/source"
printf '3.0 (native)\n' > "$pkg/debian/source/format"
cat > "$pkg/debian/control" <<'EOF'
Source: mlhello
Section: misc
Priority: optional
Maintainer: machined-lite tests <tests@example.org>
Standards-Version: 4.6.2

Package: mlhello
Architecture: all
Description: a package built by the machined-lite tests
 It holds one file, which says where it was built.
EOF
cat > "$pkg/debian/changelog" <<'EOF'
mlhello (1.0) unstable; urgency=medium

  * A package to build in a machine.

 -- machined-lite tests <tests@example.org>  Sun, 06 Dec 2026 00:00:00 +0000
EOF
{
        printf '#!/usr/bin/make -f\nbuild build-arch build-indep:\n\ttrue\n'
        printf 'binary binary-arch binary-indep:\n\tmkdir -p debian/mlhello/DEBIAN debian/mlhello/usr/share/doc/mlhello\n'
        printf '\techo built in $$container > debian/mlhello/usr/share/doc/mlhello/hello\n'
        printf '\tdpkg-gencontrol -pmlhello -Pdebian/mlhello\n\tdpkg-deb --build debian/mlhello ..\n'
        printf 'clean:\n\trm -rf debian/mlhello debian/files\n'
} > "$pkg/debian/rules"
chmod +x "$pkg/debian/rules"
(cd "$WORK/pkg" && dpkg-source -b mlhello-1.0 >/dev/null 2>&1)
check "dpkg-source made mlhello_1.0.dsc" test -f "$WORK/pkg/mlhello_1.0.dsc"

ds build bookworm "$WORK/pkg/mlhello_1.0.dsc" >"$WORK/build.log" 2>&1
rc=$?
check_eq "debspawn build bookworm mlhello_1.0.dsc, through our systemd-nspawn" 0 "$rc"
[ "$rc" = 0 ] || tail -n 20 "$WORK/build.log"
deb=$WORK/results/mlhello_1.0_all.deb
check "... the .deb is in the results" test -f "$deb"
check_eq "... built in our machine" "built in machined-lite" \
        "$(dpkg-deb --fsys-tarfile "$deb" 2>/dev/null | tar -xO ./usr/share/doc/mlhello/hello 2>/dev/null)"

# mkosi 14: an image of bookworm as a directory, built with one of its steps in our machine.
if command -v mkosi >/dev/null; then
        mkdir -p "$WORK/mk" "$CACHE_DIR/mkosi"
        printf '[Distribution]\nDistribution=debian\nRelease=bookworm\n\n[Output]\nFormat=directory\nBootable=no\n' \
                > "$WORK/mk/mkosi.default"
        : > "$WORK/calls.log"
        (cd "$WORK/mk" && mkosi --cache "$CACHE_DIR/mkosi" build) >"$WORK/mkosi-build.log" 2>&1
        rc=$?
        check_eq "mkosi build (bookworm, a directory), through our systemd-nspawn" 0 "$rc"
        [ "$rc" = 0 ] || tail -n 20 "$WORK/mkosi-build.log"
        check_match "... its workspace command ran in our machine, as PID 2 (--as-pid2)" \
                "--as-pid2 .*--private-network -- /bin/rm -rf /usr/share/locale" "$(cat "$WORK/calls.log")"
        out=$(cd "$WORK/mk" && echo 'echo "shell in $container as PID $$ ($(cat /etc/debian_version))"; exit 5' |
                mkosi shell 2>&1)
        rc=$?
        check_match "mkosi shell: a shell as PID 1 of our machine" '^shell in machined-lite as PID 1 \(12\.[0-9]+\)$' \
                "$(grep '^shell in' <<<"$out")"
        check_eq "... its exit status passed on" 5 "$rc"
        (cd "$WORK/mk" && mkosi boot) </dev/null >"$WORK/mkosi-boot.log" 2>&1 &
        boot=$!
        state=
        for _ in $(seq 100); do
                state=$("$ML" shell image -- /bin/systemctl is-system-running 2>/dev/null)
                case $state in running | degraded) break ;; esac
                sleep 0.2
        done
        check_match "mkosi boot: the image's systemd runs in our machine" '^(running|degraded)$' "$state"
        "$ML" stop image >/dev/null 2>&1
        wait "$boot"
        check_eq "... and powers off cleanly on machined-lite stop: mkosi boot exits 0" 0 "$?"
else
        echo "SKIP (mkosi's part): mkosi is not installed (apt-get install mkosi)"
fi

host_unchanged "debspawn's and mkosi's runs"
finish
