#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted ${ID:-ctr} is the config template's, replaced with sed
# machined-lite-oci's linux.resources: each key written to the container's cgroup (v2, or
# the controller's v1 hierarchy on a hybrid host, as runc there), read back from the host;
# the keys it does not take refused in one line, nothing left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"

# linux.resources: cgroup v2's files, or on a hybrid host whose v2 hierarchy lacks the
# controller, the container's v1 cgroup of it (as runc there).
# cgroup_value CONTAINER V2-FILE V1-CONTROLLER V1-FILE: the value, wherever it went.
cgroup_value() {
        local v1
        if [ -e "$CG/ml-oci-test/$1/$2" ] && grep -qw "${2%%.*}" "$CG/ml-oci-test/$1/cgroup.controllers"; then
                cat "$CG/ml-oci-test/$1/$2"
        elif v1=$(find "/sys/fs/cgroup/$3" -maxdepth 5 -type d -name "machine-$1" 2>/dev/null | head -n 1) && [ -n "$v1" ]; then
                cat "$v1/$4"
        fi
}
bundle '["/bin/sleep", "30"]' '' '' '"resources": { "pids": { "limit": 20 }, "memory": { "limit": 67108864 }, "cpu": { "shares": 512 },
      "hugepageLimits": [ { "pageSize": "2MB", "limit": 4194304 } ] }'
sed -i 's|${ID:-ctr}|res|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" res </dev/null >/dev/null 2>&1
check_eq "resources.pids.limit: 20" 20 "$(cgroup_value res pids.max pids pids.max)"
check_match "resources.memory.limit: 64 MiB" "^67108864$" "$(cgroup_value res memory.max memory memory.limit_in_bytes)"
check_match "resources.cpu.shares 512: cpu.weight 20 on v2, cpu.shares 512 on v1" "^(20|512)$" "$(cgroup_value res cpu.weight cpu cpu.shares)"
check_eq "resources.hugepageLimits: 2MB pages limited to 4 MiB" 4194304 "$(cgroup_value res hugetlb.2MB.max hugetlb hugetlb.2MB.limit_in_bytes)"
oci delete --force res
# blockIO's throttle limits, on a loop device (a whole disk, as the kernel wants).
truncate -s 8M "$WORK/disk.img"
if loop=$(losetup --find --show "$WORK/disk.img" 2>/dev/null); then
        mm=$(stat -c '%t %T' "$loop" | { read -r ma mi; echo "$((16#$ma)) $((16#$mi))"; })
        read -r maj min <<<"$mm"
        bundle '["/bin/sleep", "30"]' '' '' "\"resources\": { \"blockIO\": {
              \"throttleReadBpsDevice\": [ { \"major\": $maj, \"minor\": $min, \"rate\": 1048576 } ],
              \"throttleWriteIOPSDevice\": [ { \"major\": $maj, \"minor\": $min, \"rate\": 100 } ] } }"
        sed -i 's|${ID:-ctr}|blkio|' "$BUNDLE/config.json"
        oci create --bundle "$BUNDLE" blkio </dev/null >/dev/null 2>&1
        check_match "resources.blockIO's throttle limits: io.max on v2, blkio.throttle.* on v1" \
                "^($maj:$min rbps=1048576 wbps=max riops=max wiops=100 |$maj:$min 1048576 $maj:$min 100)\$" \
                "$(cgroup_value blkio io.max blkio blkio.throttle.read_bps_device) $(cgroup_value blkio io.max.none blkio blkio.throttle.write_iops_device)"
        oci delete --force blkio
        losetup -d "$loop"
else
        echo "SKIP (one check): no loop device for the blockIO throttle limits"
fi
rm -f "$WORK/disk.img"
bundle '["/bin/true"]' '' '' '"resources": { "hugepageLimits": [ { "pageSize": "3MB", "limit": 1 } ] }'
one_line_error "a huge page size this host has not: exit 2" 2 "linux.resources.hugepageLimits\\[0\\]: pageSize '3MB' is no huge page size of this host" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"resources": { "network": { "classID": 1048577 } }'
one_line_error "a resource it does not implement (network.classID): exit 2" 2 "linux.resources.network: is not implemented by machined-lite yet" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

rmdir "$CG/ml-oci-test"
host_unchanged "after the resources"
finish
