package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
	"github.com/zoo-locked/zoo-locked/chaos/faults"
	"github.com/zoo-locked/zoo-locked/internal/exitcode"
)

type upOptions struct {
	backend string
	zk      string
	nodes   int
	ready   string
	dir     string
}

func upFlags(o *upOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("up", pflag.ContinueOnError)
	fs.StringVar(&o.backend, "backend", "", "auto, container or process (default: ZOOLOCKED_BACKEND, else auto)")
	fs.StringVar(&o.zk, "zk", "", zkFlagUsage)
	fs.IntVar(&o.nodes, "nodes", 3, "client nodes to create links for")
	fs.StringVar(&o.ready, "ready-file", "", "write the first node's connect string here once serving")
	fs.StringVar(&o.dir, "dir", faults.DefaultRunDir(), "run directory for the control socket that zoo-chaos fault and heal use (env ZOOCHAOS_DIR)")
	return fs
}

func up(args []string) int {
	var o upOptions
	fs := upFlags(&o)
	if done, code := parseFlags(fs, args, "zoo-chaos up [flags]   start a three-node ensemble with toxiproxy links; print connect strings until Ctrl-C"); done {
		return code
	}
	if o.nodes < 1 {
		fmt.Fprintln(os.Stderr, "zoo-chaos up: --nodes must be at least 1")
		return exitcode.Usage
	}
	image, ok := zkImage("up", o.zk)
	if !ok {
		return exitcode.Usage
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	e, err := ensemble.NewEnsemble(startCtx, ensemble.Options{Backend: o.backend, Image: image, Logger: log, MovableClocks: true})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos up: %v\n", err)
		return exitcode.Unavailable
	}
	defer func() {
		if err := e.Close(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "zoo-chaos up: close: %v\n", err)
		}
	}()
	fmt.Printf("ensemble serving (%s backend); servers: %s\n", e.Backend(), e.ConnectString())
	var nodes []*ensemble.Node
	for i := 1; i <= o.nodes; i++ {
		n, err := e.Node(fmt.Sprintf("node%d", i))
		if err != nil {
			fmt.Fprintf(os.Stderr, "zoo-chaos up: %v\n", err)
			return exitcode.Internal
		}
		nodes = append(nodes, n)
		fmt.Printf("node%d: zoo-locked --zk %s NAME -- COMMAND\n", i, n.ConnectString())
		if i == 1 && o.ready != "" {
			if err := os.WriteFile(o.ready, []byte(n.ConnectString()+"\n"), 0o644); err != nil {
				fmt.Fprintf(os.Stderr, "zoo-chaos up: %v\n", err)
				return exitcode.Internal
			}
		}
	}
	if err := faults.ServeControl(ctx, o.dir, e, nodes, func(event string) {
		fmt.Printf("%s %s\n", time.Now().Format("15:04:05.000"), event)
	}); err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos up: %v\n", err)
		return exitcode.Internal
	}
	fmt.Printf("faults by hand, from another terminal: zoo-chaos fault KIND [TARGET] [--for DUR], zoo-chaos heal (run dir %s)\n", o.dir)
	fmt.Println("Ctrl-C stops the ensemble.")
	<-ctx.Done()
	return 0
}
