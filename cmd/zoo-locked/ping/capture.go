package ping

import (
	"os"
	"sync"
	"time"
)

// drainLimit bounds the wait for the job's output once its tree is dead:
// only a process that escaped the tree (its fd passed elsewhere) could
// still hold a pipe open.
const drainLimit = time.Second

// Capture passes the job's stdout and stderr through to the wrapper's,
// as they come, and keeps the last limit bytes of both as they
// interleaved: the final ping's body.
type Capture struct {
	// Stdout and Stderr are the pipes' write ends, for the job.
	Stdout, Stderr *os.File

	mu     sync.Mutex
	tail   []byte
	limit  int
	copied sync.WaitGroup
}

// NewCapture puts a pipe between the job and each of the wrapper's
// stdout and stderr.
func NewCapture(limit int, stdout, stderr *os.File) (*Capture, error) {
	c := &Capture{limit: limit}
	for _, to := range []struct {
		end  **os.File
		dest *os.File
	}{{&c.Stdout, stdout}, {&c.Stderr, stderr}} {
		r, w, err := os.Pipe()
		if err != nil {
			c.Close()
			return nil, err
		}
		*to.end = w
		c.copied.Add(1)
		go c.copy(r, to.dest)
	}
	return c, nil
}

func (c *Capture) copy(r *os.File, dest *os.File) {
	defer c.copied.Done()
	defer r.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = dest.Write(buf[:n]) // a closed terminal must not stop the job's output to the ping
			c.keep(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (c *Capture) keep(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tail = append(c.tail, p...)
	if over := len(c.tail) - c.limit; over > 0 {
		c.tail = append(c.tail[:0], c.tail[over:]...)
	}
}

// Close closes the wrapper's write ends and waits for the job's last
// output (the job is dead: the readers see EOF), at most drainLimit.
func (c *Capture) Close() {
	for _, w := range []*os.File{c.Stdout, c.Stderr} {
		if w != nil {
			w.Close()
		}
	}
	done := make(chan struct{})
	go func() { c.copied.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainLimit):
	}
}

// Tail is the last bytes of the job's output.
func (c *Capture) Tail() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.tail...)
}
