//go:build !js

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU time per operation: the CPU that every process serving a target
// (the Node process of bench/miniflare.mjs or of wrangler dev, and the
// workerd processes under it) used during a measured segment, divided by
// the operations of that segment. It is read from /proc/PID/stat.

// clockTick is the unit of the CPU times in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 per second for user space whatever the kernel's HZ.
const clockTick = 10 * time.Millisecond

// procStat is what the bench reads of one /proc/PID/stat line.
type procStat struct {
	pid, ppid int
	// ticks is utime + stime + cutime + cstime: the CPU the process used,
	// and that of its children it has waited for (a child that exits
	// during a segment moves its time into its parent's cutime and cstime,
	// so it is still counted).
	ticks uint64
}

// parseStat reads a /proc/PID/stat line (proc(5)): pid (comm) state ppid
// ... utime stime cutime cstime .... comm may hold spaces and parentheses,
// so the fields are counted from the last ")".
func parseStat(line string) (procStat, error) {
	open := strings.IndexByte(line, '(')
	end := strings.LastIndexByte(line, ')')
	if open < 1 || end < open {
		return procStat{}, fmt.Errorf("stat line %.40q: no (comm)", line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return procStat{}, fmt.Errorf("stat line %.40q: pid: %w", line, err)
	}
	// After ")": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8)
	// flags(9) minflt(10) cminflt(11) majflt(12) cmajflt(13) utime(14)
	// stime(15) cutime(16) cstime(17), numbered as in proc(5).
	f := strings.Fields(line[end+1:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("stat line of %d: %d fields after comm, want at least 15", pid, len(f))
	}
	s := procStat{pid: pid}
	if s.ppid, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, fmt.Errorf("stat line of %d: ppid: %w", pid, err)
	}
	for _, i := range []int{11, 12, 13, 14} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil || v < 0 {
			return procStat{}, fmt.Errorf("stat line of %d: field %d = %q", pid, i+3, f[i])
		}
		s.ticks += uint64(v)
	}
	return s, nil
}

// treeTicks sums the ticks of root and of every process descended from
// it; found is false when root is not among stats.
func treeTicks(stats []procStat, root int) (ticks uint64, found bool) {
	children := map[int][]int{}
	byPID := map[int]procStat{}
	for _, s := range stats {
		children[s.ppid] = append(children[s.ppid], s.pid)
		byPID[s.pid] = s
	}
	if _, ok := byPID[root]; !ok {
		return 0, false
	}
	seen := map[int]bool{}
	stack := []int{root}
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		ticks += byPID[pid].ticks
		stack = append(stack, children[pid]...)
	}
	return ticks, true
}

// readStats reads /proc/*/stat. Processes that end while it reads are
// skipped.
func readStats() ([]procStat, error) {
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	stats := make([]procStat, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // gone
		}
		s, err := parseStat(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, err
		}
		stats = append(stats, s)
	}
	return stats, nil
}

// treeCPU returns a function that reads the CPU time used so far by the
// process pid and its descendants.
func treeCPU(pid int) func() (time.Duration, error) {
	return func() (time.Duration, error) {
		stats, err := readStats()
		if err != nil {
			return 0, err
		}
		t, ok := treeTicks(stats, pid)
		if !ok {
			return 0, fmt.Errorf("process %d is gone", pid)
		}
		return time.Duration(t) * clockTick, nil
	}
}

// errNoCPU is the CPU reading of a server the bench did not start (the
// native and url targets).
var errNoCPU = errors.New("no process of its own to read")

// cpuPerOp is the CPU time of one operation in milliseconds, or -1 when
// there were no operations.
func cpuPerOp(cpu time.Duration, ops int) float64 {
	if ops <= 0 {
		return -1
	}
	return float64(cpu.Microseconds()) / 1000 / float64(ops)
}
