# shellcheck shell=bash
# qemu accelerator choice and one supervised boot, for the VM harnesses (tests/vm/run.sh and any
# other that boots a guest on the serial console). Source it; it defines functions only.
#
#   vm_boot TIMEOUT CONSOLE QEMU_ARGS...
#
# boots qemu-system-x86_64 (found on PATH) with QEMU_ARGS plus the accelerator's own arguments,
# streams the guest's serial console (qemu's stdout, CR stripped) to stdout and to CONSOLE, and
# returns when qemu has exited. TIMEOUT (seconds) bounds each attempt. The accelerator is chosen
# by evidence, never by the device node alone: on some machines /dev/kvm is present and writable
# but nested KVM fails at the guest's first `lock cmpxchg16b` with "KVM internal error.
# Suberror: 1" / "emulation failure", and qemu then sits there, alive, with the guest stopped.
#
#   VM_ACCEL=kvm|tcg  force one accelerator (no fallback); unset: kvm when /dev/kvm is usable,
#                     and tcg at once when kvm fails
#   VM_KVM_PROBE      seconds kvm has to show guest output (default 10; a working kvm reaches
#                     the guest's /init in 1-2 s)
#   VM_FIRST_OUTPUT   seconds tcg has to show guest output (default 120; 3-5 s on an idle host)
#   VM_ACCEL_MEMO     a file where a kvm failure is remembered with the host's boot id: until
#                     the host reboots, later VM boots go straight to tcg (and say so) instead
#                     of spending the probe again. Unset: nothing is remembered.
#   VM_KVM_DEVICE     the device that makes kvm a candidate (default /dev/kvm; the tests use
#                     /dev/null as a stand-in)
#
# kvm has failed when, before the guest printed anything, qemu exited, or at any time qemu's
# stderr reports a KVM error, or no guest output came within VM_KVM_PROBE: the attempt is
# stopped and, unless VM_ACCEL=kvm, tcg boots instead. A tcg attempt with no guest output
# within VM_FIRST_OUTPUT is stopped as wedged.
#
# Results (also for the caller's log):
#   return status   qemu's exit status (timeout(1)'s 124/137 when TIMEOUT ran out), or
#                   $VM_EXIT_NO_GUEST (200) when no allowed accelerator got the guest running
#   vm_accel        the accelerator of the last attempt
#   vm_accel_why    why that one, with what happened to the attempts before it
#   vm_qemu_pid     while qemu runs: the pid to stop from a trap (vm_qemu_stop does it)
#
# The log lines go to stderr as "vm: ...", like run.sh's own.

# Returned by vm_boot when the guest never ran under any allowed accelerator.
VM_EXIT_NO_GUEST=200

# qemu's messages for a KVM failure after start (accel/kvm/kvm-all.c: kvm_handle_internal_error,
# kvm_cpu_exec) and for a KVM it cannot open.
VM_KVM_ERROR_RE='KVM internal error|emulation failure|kvm run failed|KVM: entry failed|failed to initialize kvm|Could not access KVM kernel module'

vm_qemu_pid=
vm_accel=
vm_accel_why=

vm_accel_log() { echo "vm: $*" >&2; }

# vm_accel_args ACCEL: the qemu arguments for ACCEL, one a line. -cpu max in both: Go binaries
# built for GOAMD64 > v1 need the host's newer instructions, which tcg's default CPU lacks.
vm_accel_args() {
	printf '%s\n' -accel "$1" -cpu max
}

# vm_accel_plan: sets vm_accels (the accelerators to try, in order) and vm_accel_why.
vm_accel_plan() {
	local dev=${VM_KVM_DEVICE:-/dev/kvm}
	case ${VM_ACCEL:-} in
	kvm | tcg)
		vm_accels=("$VM_ACCEL")
		vm_accel_why="forced by VM_ACCEL=$VM_ACCEL"
		;;
	'')
		local boot memo_boot memo_cause
		boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) || boot=unknown
		if [[ -n ${VM_ACCEL_MEMO:-} && -f $VM_ACCEL_MEMO ]]; then
			{ read -r memo_boot && read -r memo_cause; } <"$VM_ACCEL_MEMO" || memo_boot=''
		fi
		if [[ -n ${memo_boot:-} && $memo_boot == "$boot" ]]; then
			vm_accels=(tcg)
			vm_accel_why="kvm failed earlier since this host booted: $memo_cause (remembered in $VM_ACCEL_MEMO)"
		elif [[ -c $dev && -r $dev && -w $dev ]]; then
			vm_accels=(kvm tcg)
			vm_accel_why="$dev is usable; kvm has ${VM_KVM_PROBE:-10}s to show guest output, else tcg"
		else
			vm_accels=(tcg)
			vm_accel_why="no usable $dev"
		fi
		;;
	*)
		vm_accel_log "error: VM_ACCEL must be kvm or tcg, not '$VM_ACCEL'"
		return 1
		;;
	esac
}

# vm_qemu_stop: stop the qemu of the running attempt, if any. timeout(1) leads qemu's process
# group and passes the signal to all of it (and SIGKILLs it 10 s later if it is still there).
vm_qemu_stop() {
	[[ -n $vm_qemu_pid ]] || return 0
	kill -TERM "$vm_qemu_pid" 2>/dev/null || true
	wait "$vm_qemu_pid" 2>/dev/null || true
	vm_qemu_pid=
}

# vm_qemu_attempt ACCEL TIMEOUT FIRST_OUTPUT CONSOLE QEMU_ARGS...: one boot. Returns qemu's exit
# status, or 250 when the attempt was stopped; vm_attempt_cause then says why, and
# vm_attempt_output whether the guest printed anything.
vm_qemu_attempt() {
	local accel=$1 timeout=$2 first=$3 console=$4
	shift 4
	local errlog=$console.qemu-stderr fifo=$console.fifo reader rc=0 t0 now_us waited
	local -a accel_args
	mapfile -t accel_args < <(vm_accel_args "$accel")
	vm_attempt_cause='' vm_attempt_output=0 vm_attempt_lastlog=''
	rm -f "$fifo"
	mkfifo "$fifo"
	: >"$console"
	: >"$errlog"
	t0=${EPOCHREALTIME/./}
	timeout -k 10 "$timeout" qemu-system-x86_64 "${accel_args[@]}" "$@" </dev/null >"$fifo" 2>"$errlog" &
	vm_qemu_pid=$!
	sed -u 's/\r$//' <"$fifo" | tee -a "$console" &
	reader=$!
	# Poll rather than wait: qemu that hit a KVM error stays alive with the guest stopped.
	while kill -0 "$vm_qemu_pid" 2>/dev/null; do
		now_us=${EPOCHREALTIME/./}
		waited=$(((now_us - t0) / 1000000))
		if [[ $vm_attempt_output == 0 && -s $console ]]; then
			vm_attempt_output=1
		fi
		if grep -qE "$VM_KVM_ERROR_RE" "$errlog"; then
			vm_attempt_cause="qemu reports: $(grep -m1 -E "$VM_KVM_ERROR_RE" "$errlog")"
		elif [[ $vm_attempt_output == 0 && $waited -ge $first ]]; then
			vm_attempt_cause="no guest output within ${first}s"
		fi
		if [[ -n $vm_attempt_cause ]]; then
			vm_attempt_cause+=" (after $((waited))s, qemu stopped)"
			vm_qemu_stop
			rc=250
			break
		fi
		sleep 0.2
	done
	if [[ $rc == 0 ]]; then
		wait "$vm_qemu_pid" || rc=$?
		vm_qemu_pid=
		if grep -qE "$VM_KVM_ERROR_RE" "$errlog"; then
			# qemu that cannot use KVM at all exits at once, before the first poll.
			vm_attempt_cause="qemu reports: $(grep -m1 -E "$VM_KVM_ERROR_RE" "$errlog") (exit $rc)"
		fi
	fi
	wait "$reader" || true
	rm -f "$fifo"
	[[ -s $console ]] && vm_attempt_output=1
	vm_attempt_lastlog=$(tail -n 1 "$errlog")
	if [[ -s $errlog ]]; then
		# qemu's own messages (a KVM error dumps every register: the first lines say enough).
		head -n 3 "$errlog" | sed 's/^/qemu: /' >&2
	fi
	return "$rc"
}

# vm_boot TIMEOUT CONSOLE QEMU_ARGS...: see the top of this file.
vm_boot() {
	local timeout=$1 console=$2
	shift 2
	local -a vm_accels
	local i rc first failures=''
	vm_accel_plan || return "$VM_EXIT_NO_GUEST"
	for i in "${!vm_accels[@]}"; do
		vm_accel=${vm_accels[i]}
		first=${VM_FIRST_OUTPUT:-120}
		[[ $vm_accel == kvm ]] && first=${VM_KVM_PROBE:-10}
		vm_accel_log "accelerator: $vm_accel ($vm_accel_why)"
		rc=0
		vm_qemu_attempt "$vm_accel" "$timeout" "$first" "$console" "$@" || rc=$?
		if [[ $vm_accel == kvm && -z $vm_attempt_cause && $vm_attempt_output == 0 && $rc != 0 ]]; then
			# qemu gave up before the guest said anything: kvm could not even start it.
			vm_attempt_cause="qemu exited $rc before any guest output${vm_attempt_lastlog:+: $vm_attempt_lastlog}"
		fi
		[[ -n $vm_attempt_cause ]] || return "$rc"
		vm_accel_log "$vm_accel failed: $vm_attempt_cause"
		if [[ $vm_accel == kvm && -n ${VM_ACCEL_MEMO:-} && -z ${VM_ACCEL:-} ]]; then
			printf '%s\n%s\n' "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)" \
				"$vm_attempt_cause" >"$VM_ACCEL_MEMO.tmp" && mv "$VM_ACCEL_MEMO.tmp" "$VM_ACCEL_MEMO"
		fi
		failures+="${failures:+; }$vm_accel failed: $vm_attempt_cause"
		vm_accel_why=$failures
		if ((i + 1 == ${#vm_accels[@]})); then
			return "$VM_EXIT_NO_GUEST"
		fi
		vm_accel_why+="; falling back"
	done
}
