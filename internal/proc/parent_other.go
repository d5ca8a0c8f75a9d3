//go:build !linux

package proc

import "os/exec"

// dieWithParent: only Linux has a parent-death signal; elsewhere the
// instrument's own clean stop stops what it started.
func dieWithParent(*exec.Cmd) {}
