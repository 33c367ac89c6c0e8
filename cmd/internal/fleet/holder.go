package fleet

import (
	"encoding/json"
	"os"
	"time"
)

// Holder is what a contender znode says about who made it; `zoo-locked
// status` shows it for the holder and every waiter.
type Holder struct {
	Host    string    `json:"host"`
	Pid     int       `json:"pid"`
	Start   time.Time `json:"start"`
	Command []string  `json:"command"`
	Version string    `json:"version"`
	// Limit is the --limit this contender runs with (1 for a mutex), so
	// that status can tell holders from waiters.
	Limit int `json:"limit,omitempty"`
}

// thisProcess describes the calling process running command.
func thisProcess(command []string, version string, now time.Time) Holder {
	host, _ := os.Hostname() // an empty host is still a valid record
	return Holder{Host: host, Pid: os.Getpid(), Start: now.UTC(), Command: command, Version: version}
}

// marshal encodes h as the znode's data.
func (h Holder) marshal() []byte {
	b, _ := json.Marshal(h) // cannot fail: plain fields only
	return b
}
