package faults

import (
	"os"
	"strconv"
	"strings"
)

// The harness reads /proc itself rather than through the wrapper's code: a
// bug in how the wrapper walks its tree must not hide from the verdict that
// judges it (S3).

// processTree lists every living process below root.
func processTree(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, ppid, ok := statOf(pid); ok && state != 'Z' {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var tree []int
	for queue := []int{root}; len(queue) > 0; queue = queue[1:] {
		for _, c := range children[queue[0]] {
			tree = append(tree, c)
			queue = append(queue, c)
		}
	}
	return tree
}

// living says pid exists and is not a zombie.
func Living(pid int) bool {
	state, _, ok := statOf(pid)
	return ok && state != 'Z'
}

// statOf reads the state letter and parent of pid from /proc/PID/stat,
// whose command field may hold blanks and parentheses: the fields that
// matter follow its last ')'.
func statOf(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 || len(fields[0]) != 1 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(fields[1])
	return fields[0][0], ppid, err == nil
}
