package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/checker"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// readSlotLedger reads the runs the lock's ledger recorded, with the
// slot each claimed, at the end of a --once-per trial.
func readSlotLedger(e *ensemble.Ensemble, lockPath string) ([]checker.LedgerRun, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.WaitQuorum(ctx); err != nil {
		return nil, err
	}
	conn, _, err := zk.Connect(strings.Split(e.ConnectString(), ","), 4*time.Second, zk.WithLogger(ensemble.Quiet{}))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	data, _, err := conn.Get(lockPath + "~/runs")
	if err == zk.ErrNoNode {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l struct {
		Runs []checker.LedgerRun `json:"runs"`
	}
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("the ledger %s~/runs: %w", lockPath, err)
	}
	return l.Runs, nil
}
