package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// baseline is a program the benchmarks set the wrapper against, built once
// per test binary into a directory of its own.
type baseline struct {
	name  string
	build func(out string) *exec.Cmd
	hint  string // what a failed build needs

	once sync.Once
	path string
	err  error
}

// Every Go baseline is static, as `make build` builds the wrapper: a
// dynamic loader would cost each start about 3 ms that the wrapper does
// not pay.
func staticGo(pkg string) func(out string) *exec.Cmd {
	return func(out string) *exec.Cmd {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		return cmd
	}
}

var (
	// bareProgram: connect, create, list, exec, close (testdata/bareclient);
	// with --ledger, the work floor: the ledger's work too, the wrapper's
	// five writes without its keeper.
	bareProgram = &baseline{name: "bareclient", build: staticGo("./testdata/bareclient")}
	// cProgram: the bare program on ZooKeeper's C client, the replaced
	// tool's library (testdata/cbaseline).
	cProgram = &baseline{name: "cbaseline", hint: "needs gcc and libzookeeper-mt-dev: make deps",
		build: func(out string) *exec.Cmd {
			return exec.Command("gcc", "-O2", "-o", out, "testdata/cbaseline/cbaseline.c", "-lzookeeper_mt")
		}}
	emptyProgram = &baseline{name: "empty", build: staticGo("./testdata/empty")}
)

func (p *baseline) binary(b *testing.B) string {
	p.once.Do(func() {
		dir, err := os.MkdirTemp("", "zoo-locked-"+p.name+"-")
		if err != nil {
			p.err = err
			return
		}
		p.path = filepath.Join(dir, p.name)
		if out, err := p.build(p.path).CombinedOutput(); err != nil {
			p.err = fmt.Errorf("build the baseline %s (%s): %v\n%s", p.name, p.hint, err, out)
		}
	})
	if p.err != nil {
		b.Fatal(p.err)
	}
	return p.path
}
