package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

type faultOptions struct {
	dir             string
	length          time.Duration
	latency, jitter time.Duration
	offset          time.Duration
	rate            float64
	version         string
}

func faultFlags(o *faultOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("fault", pflag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", faults.DefaultRunDir(), "run directory of the zoo-chaos up to act on (env ZOOCHAOS_DIR)")
	fs.DurationVar(&o.length, "for", 0, "heal the fault after this long (default: when zoo-chaos heal runs)")
	fs.DurationVar(&o.latency, "latency", 0, "slow: latency added each way")
	fs.DurationVar(&o.jitter, "jitter", 0, "slow: jitter on the latency")
	fs.DurationVar(&o.offset, "offset", 0, "clock-jump: how far the server's clock steps, ahead (1h) or back (-30m)")
	fs.StringVar(&o.version, "zk", "", "upgrade-server: the ZooKeeper version it puts in (3.9, 3.4 or 3.8)")
	fs.Float64Var(&o.rate, "rate", 0, "clock-drift: the server's clock error in seconds per second (0.3 runs it 30% fast, -0.3 slow)")
	return fs
}

// fault injects one fault into the ensemble a `zoo-chaos up` runs.
func fault(args []string) int {
	var o faultOptions
	fs := faultFlags(&o)
	if done, code := parseFlags(fs, args, "zoo-chaos fault KIND [TARGET] [--for DUR]   inject a fault into the ensemble zoo-chaos up runs"); done {
		return code
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fmt.Fprintln(os.Stderr, "zoo-chaos fault: want KIND [TARGET], e.g. zoo-chaos fault partition node2 --for 10s (zoo-chaos faults lists the kinds)")
		return exitcode.Usage
	}
	spec, err := specOf(fs, o)
	if err == nil {
		_, err = faults.NewFault(spec)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos fault: %v\n", err)
		return exitcode.Usage
	}
	reply, err := faults.SendControl(o.dir, faults.ControlRequest{Op: "fault", Fault: spec, For: faults.Duration(o.length)})
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos fault: %v\n", err)
		return exitcode.Unavailable
	}
	fmt.Printf("%s on %s\n", spec.Kind, reply.Hit)
	return 0
}

// specOf writes the fault the command line names as a plan would, its
// parameter flags as the kind's keys, so that the kind refuses a flag it
// does not take as a plan's key.
func specOf(fs *pflag.FlagSet, o faultOptions) (faults.FaultSpec, error) {
	fields := map[string]any{"fault": fs.Arg(0)}
	if fs.Arg(1) != "" {
		fields["target"] = fs.Arg(1)
	}
	given := map[string]any{"latency": faults.Duration(o.latency), "jitter": faults.Duration(o.jitter),
		"offset": faults.SignedDuration(o.offset), "rate": o.rate, "zk": o.version}
	for flag, value := range given {
		if fs.Changed(flag) {
			key := flag
			if flag == "zk" {
				key = "version"
			}
			fields[key] = value
		}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return faults.FaultSpec{}, err
	}
	var spec faults.FaultSpec
	return spec, json.Unmarshal(b, &spec)
}

// heal heals every fault injected by hand.
func heal(args []string) int {
	var o faultOptions
	fs := faultFlags(&o)
	if done, code := parseFlags(fs, args, "zoo-chaos heal   heal every fault injected by hand into the ensemble zoo-chaos up runs"); done {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "zoo-chaos heal: takes no arguments")
		return exitcode.Usage
	}
	reply, err := faults.SendControl(o.dir, faults.ControlRequest{Op: "heal"})
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos heal: %v\n", err)
		return exitcode.Unavailable
	}
	fmt.Printf("healed %d faults\n", reply.Healed)
	return 0
}
