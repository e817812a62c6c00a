// Package e2e drives a runc-compatible runtime binary end to end: lifecycle, isolation, cgroup
// limits, hooks and the handling of bad input. The binary is contain, built by TestMain, or the
// one named by CONTAIN_BINARY (e.g. CONTAIN_BINARY=/usr/sbin/runc to check the tests themselves
// against runc). Every test uses its own --root and unique ids and cgroup names, and removes all
// it created. The tests need root; without it they skip.
package e2e
