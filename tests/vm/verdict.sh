# shellcheck shell=bash
# The verdict of a VM run, for the VM harnesses (tests/vm/run.sh, tests/vm/systemd/run.sh). Source
# it; it defines constants and one function.
#
#   vm_verdict CONSOLE NONCE QEMU_STATUS VM_TIMEOUT TEST_TIMEOUT ELAPSED
#
# reads the last "CONTAIN-VM-RESULT NONCE <verdict>" line of the console log (the guest prints
# it; the nonce is only on the kernel command line, so a test's output cannot forge it), says
# what happened through the caller's log function, and returns the harness's exit status:
VM_EXIT_PAYLOAD_MAX=119 # 0 run-tests passed; 1..119 its exit status (capped)
VM_EXIT_GUEST_TIMEOUT=120 # run-tests outlived TEST_TIMEOUT in the guest
VM_EXIT_VM_TIMEOUT=121    # the VM outlived VM_TIMEOUT (qemu killed: timeout's 124/137)
VM_EXIT_NO_VERDICT=122    # the guest stopped without a result line
VM_EXIT_HARNESS=123       # harness or guest setup error
VM_EXIT_NO_GUEST_RUN=124  # no accelerator ran the guest (vm_boot's VM_EXIT_NO_GUEST)

vm_verdict() {
	local console=$1 nonce=$2 qrc=$3 vm_timeout=$4 test_timeout=$5 elapsed=$6 verdict rc
	if [[ $qrc == "${VM_EXIT_NO_GUEST:-200}" ]]; then
		log "NO GUEST: the VM never ran: ${vm_accel_why:-} ($elapsed)"
		return "$VM_EXIT_NO_GUEST_RUN"
	fi
	verdict=$(grep -ao "CONTAIN-VM-RESULT $nonce [^\r]*" "$console" | tail -n 1 || true)
	verdict=${verdict#"CONTAIN-VM-RESULT $nonce "}
	if [[ -z $verdict ]]; then
		if [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
			log "TIMEOUT: the VM ran past ${vm_timeout}s without a verdict; qemu killed ($elapsed)"
			return "$VM_EXIT_VM_TIMEOUT"
		fi
		if [[ $qrc -ne 0 ]]; then
			# qemu exits 0 on guest poweroff and on the reboot after a panic (-no-reboot).
			log "HARNESS ERROR: qemu exited $qrc ($elapsed)"
			return "$VM_EXIT_HARNESS"
		fi
		log "NO VERDICT: the guest stopped without a result line (kernel panic, or its runner died?) ($elapsed)"
		return "$VM_EXIT_NO_VERDICT"
	fi
	case $verdict in
	setup-error=*)
		log "HARNESS ERROR in the guest: ${verdict#setup-error=} ($elapsed)"
		return "$VM_EXIT_HARNESS"
		;;
	"timeout exit="*)
		log "PAYLOAD TIMEOUT: run-tests still running after ${test_timeout}s, killed (${verdict#timeout }) ($elapsed)"
		return "$VM_EXIT_GUEST_TIMEOUT"
		;;
	exit=*)
		rc=${verdict#exit=}
		if [[ $rc =~ ^[0-9]+$ ]]; then
			if [[ $rc -eq 0 ]]; then
				log "PASS ($elapsed)"
				return 0
			fi
			log "FAIL: run-tests exited $rc ($elapsed)"
			return $((rc > VM_EXIT_PAYLOAD_MAX ? VM_EXIT_PAYLOAD_MAX : rc))
		fi
		;;
	esac
	log "error: unparsable verdict: $verdict"
	return "$VM_EXIT_HARNESS"
}
