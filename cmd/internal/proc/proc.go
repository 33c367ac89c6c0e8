package proc

import (
	"os"
	"strconv"
	"strings"
)

// Descendants lists every living (not zombie) process below root, read
// from /proc.
func Descendants(root int) []int {
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
		state, ppid, ok := procState(e.Name())
		if !ok || state == "Z" {
			continue
		}
		children[ppid] = append(children[ppid], pid)
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// Alive says whether pid is a living process: it exists and is not a
// zombie.
func Alive(pid int) bool {
	state, _, ok := procState(strconv.Itoa(pid))
	return ok && state != "Z"
}

// procState reads a process's state letter and parent pid from
// /proc/PID/stat; ok is false once the process is gone.
func procState(pid string) (state string, ppid int, ok bool) {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return "", 0, false
	}
	// The fields after the command, which may contain spaces and
	// parentheses: state ppid ...
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return "", 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	return fields[0], ppid, true
}
