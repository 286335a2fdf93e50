#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted ${ID:-ctr} is the config template's, replaced with sed
# machined-lite-oci's linux.resources: each key written to the container's cgroup (v2, or
# the controller's v1 hierarchy on a hybrid host, as runc there), read back from the host;
# a key of cgroup v1 alone written there or refused in one line where there is none; the
# keys this host cannot apply refused in one line, nothing left.
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
        # A device's weight is BFQ's: written where the scheduler has it, else one line.
        bundle '["/bin/sleep", "30"]' '' '' "\"resources\": { \"blockIO\": {
              \"weightDevice\": [ { \"major\": $maj, \"minor\": $min, \"weight\": 300 } ] } }"
        sed -i 's|${ID:-ctr}|blkw|' "$BUNDLE/config.json"
        if grep -q bfq "/sys/block/${loop#/dev/}/queue/scheduler"; then
                echo "bfq" > "/sys/block/${loop#/dev/}/queue/scheduler"
                oci create --bundle "$BUNDLE" blkw </dev/null >/dev/null 2>&1
                check_match "resources.blockIO.weightDevice: BFQ's weight of the device" "$maj:$min 300" \
                        "$(cgroup_value blkw io.bfq.weight blkio blkio.bfq.weight_device)"
                oci delete --force blkw
        else
                one_line_error "blockIO.weightDevice where no BFQ scheduler is: exit 1, nothing left" 1 \
                        "linux.resources.blockIO.weightDevice: (this host's kernel has no (blkio.bfq.weight_device|io.bfq.weight)|.*no io controller)" \
                        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" blkw
        fi
        losetup -d "$loop"
else
        echo "SKIP (one check): no loop device for the blockIO throttle limits"
fi
rm -f "$WORK/disk.img"
bundle '["/bin/true"]' '' '' '"resources": { "hugepageLimits": [ { "pageSize": "3MB", "limit": 1 } ] }'
one_line_error "a huge page size this host has not: exit 2" 2 "linux.resources.hugepageLimits\\[0\\]: pageSize '3MB' is no huge page size of this host" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# The keys of cgroup v1 alone (memory's swappiness, disableOOMKiller and kernelTCP, cpu's
# real-time period and runtime), and cpu's burst and idle that both have: on a host with
# a v1 hierarchy of the controller, written there; elsewhere refused by name.
bundle '["/bin/sleep", "30"]' '' '' '"resources": {
      "memory": { "swappiness": 10, "disableOOMKiller": true, "kernelTCP": 1048576 },
      "cpu": { "quota": 50000, "period": 100000, "burst": 10000, "idle": 1, "realtimePeriod": 1000000, "realtimeRuntime": 20000 } }'
sed -i 's|${ID:-ctr}|v1keys|' "$BUNDLE/config.json"
v1mem=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/self/mounts)
v1cpu=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/self/mounts)
if [ -n "$v1mem" ] && [ -n "$v1cpu" ] && [ -e "$v1cpu/cpu.rt_runtime_us" ]; then
        oci create --bundle "$BUNDLE" v1keys </dev/null >"$WORK/v1keys.out" 2>&1
        check_eq "memory.swappiness 10, disableOOMKiller, kernelTCP 1 MiB: in the container's v1 memory cgroup" \
                "10 oom_kill_disable 1 1048576" \
                "$(cgroup_value v1keys none memory memory.swappiness) $(cgroup_value v1keys none memory memory.oom_control | head -n 1) $(cgroup_value v1keys none memory memory.kmem.tcp.limit_in_bytes)"
        check_eq "cpu.burst, cpu.idle, realtimePeriod and realtimeRuntime: in its v1 cpu cgroup" "10000 1 1000000 20000" \
                "$(cgroup_value v1keys none cpu cpu.cfs_burst_us) $(cgroup_value v1keys none cpu cpu.idle) $(cgroup_value v1keys none cpu cpu.rt_period_us) $(cgroup_value v1keys none cpu cpu.rt_runtime_us)"
        oci delete --force v1keys
else
        one_line_error "memory.swappiness with no v1 memory hierarchy: exit 1" 1 \
                "linux.resources.memory.swappiness: cgroup v2 has no file for it, and this host has no cgroup v1 memory hierarchy" \
                "$OCI" --root "$ROOT" create --bundle "$BUNDLE" v1keys
fi
# net_cls and net_prio: v1 alone, and not mounted here (nor on a cgroup v2 host).
bundle '["/bin/true"]' '' '' '"resources": { "network": { "classID": 1048577, "priorities": [ { "name": "eth0", "priority": 5 } ] } }'
if awk '$3 == "cgroup" && $4 ~ /net_cls/ { f = 1 } END { exit !f }' /proc/self/mounts; then
        echo "SKIP (one check): this host has a v1 net_cls hierarchy"
else
        one_line_error "network.classID with no v1 net_cls hierarchy: exit 1, nothing left" 1 \
                "linux.resources.network.classID: cgroup v2 has no file for it, and this host has no cgroup v1 net_cls hierarchy" \
                "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
fi
bundle '["/bin/true"]' '' '' '"resources": { "rdma": { "mlx5_1": { "hcaHandles": 3, "hcaObjects": 10000 } } }'
if grep -qw rdma /proc/cgroups; then
        echo "SKIP (one check): this kernel has the rdma controller"
else
        one_line_error "rdma on a kernel without the controller: exit 1" 1 \
                "linux.resources.rdma: this host's cgroups have no rdma controller for it" \
                "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
fi
bundle '["/bin/true"]' '' '' '"resources": { "memory": { "kernel": 67108864 } }'
one_line_error "memory.kernel, a limit Linux no longer applies: exit 2" 2 \
        "linux.resources.memory.kernel: is a kernel memory limit, which Linux no longer applies" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"resources": { "cpu": { "idle": 2 } }'
one_line_error "cpu.idle 2: exit 2" 2 "linux.resources.cpu.idle: must be 0 or 1" "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"resources": { "memory": { "swappiness": 101 } }'
one_line_error "memory.swappiness 101: exit 2" 2 "linux.resources.memory.swappiness" "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"resources": { "rdma": { "mlx5_1": {} } }'
one_line_error "an rdma device with no limit: exit 2" 2 "linux.resources.rdma.mlx5_1: must give hcaHandles, hcaObjects or both" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"resources": { "memory": { "useHierarchy": false } }'
one_line_error "memory.useHierarchy false: exit 2" 2 "linux.resources.memory.useHierarchy: false: memory accounting is always hierarchical" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"resources": { "blockIO": { "weightDevice": [ { "major": 7, "minor": 0 } ] } }'
one_line_error "a weightDevice with no weight: exit 2" 2 "linux.resources.blockIO.weightDevice\[0\]: must be" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
# A key the specification has not: ignored, as config.md has runtimes do.
bundle '["/bin/true"]' '' '' '"resources": { "frobs": { "limit": 1 }, "blockIO": { "frob": 1 } }'
sed -i 's|${ID:-ctr}|frobs|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" frobs </dev/null >/dev/null 2>&1
check_eq "resources with keys the specification has not: ignored, created" created "$(oci state frobs | json_field status)"
oci delete --force frobs
check "after the refusals: no container in the state directory" test -z "$(oci list -q)"




# linux.memoryPolicy: set_mempolicy(2) for the container's processes (init and exec), as
# /proc/self/numa_maps shows the policy of mappings without one of their own.
bundle '["/bin/sh", "-c", "head -n 1 /proc/self/numa_maps | cut -d \" \" -f 2; sleep 30"]' '' '' \
        '"memoryPolicy": { "mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"] }'
sed -i 's|${ID:-ctr}|mpol|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" mpol </dev/null >"$WORK/mpol.out" 2>&1
oci start mpol
for _ in $(seq 50); do [ -s "$WORK/mpol.out" ] && break; sleep 0.05; done
check_eq "memoryPolicy MPOL_BIND of node 0, MPOL_F_STATIC_NODES: the init's" "bind=static:0" "$(cat "$WORK/mpol.out")"
check_eq "...and an exec's" "bind=static:0" "$(oci exec mpol /bin/sh -c 'head -n 1 /proc/self/numa_maps | cut -d " " -f 2' 2>&1)"
oci delete --force mpol
bundle '["/bin/sh", "-c", "head -n 1 /proc/self/numa_maps | cut -d \" \" -f 2"]' '' '' '"memoryPolicy": { "mode": "MPOL_INTERLEAVE", "nodes": "0" }'
sed -i 's|${ID:-ctr}|mpol2|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" mpol2 </dev/null >"$WORK/mpol2.out" 2>&1
oci start mpol2
for _ in $(seq 100); do [ "$(oci state mpol2 | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "memoryPolicy MPOL_INTERLEAVE" "interleave:0" "$(cat "$WORK/mpol2.out")"
oci delete mpol2
check_eq "features lists memoryPolicy's seven modes and three flags" "7 3" \
        "$(oci features | python3 -c 'import json, sys; p = json.load(sys.stdin)["linux"]["memoryPolicy"]; print(len(p["modes"]), len(p["flags"]))' 2>&1)"
bundle '["/bin/true"]' '' '' '"memoryPolicy": { "mode": "MPOL_LOCAL", "nodes": "0" }'
one_line_error "memoryPolicy MPOL_LOCAL with nodes: exit 2" 2 "linux.memoryPolicy.nodes: must be empty with MPOL_LOCAL" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"memoryPolicy": { "mode": "MPOL_SPREAD" }'
one_line_error "memoryPolicy of an unknown mode: exit 2" 2 "linux.memoryPolicy.mode: must be MPOL_DEFAULT" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
offline=$(( $(sed 's/.*-//' /sys/devices/system/node/online) + 1 ))
bundle '["/bin/true"]' '' '' "\"memoryPolicy\": { \"mode\": \"MPOL_BIND\", \"nodes\": \"$offline\" }"
one_line_error "memoryPolicy of a node this host has not ($offline): exit 1, nothing left" 1 \
        "Failed to set linux.memoryPolicy \(set_mempolicy\): Invalid argument" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
check "...and no container in the state directory" test -z "$(oci list -q)"
rmdir "$CG/ml-oci-test"
host_unchanged "after the resources"
finish
