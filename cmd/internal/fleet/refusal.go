package fleet

import "os"

// refuseForClocks writes the refusal into the ledger, so that `check` and
// `status` see it on every node, and returns the error the firing exits
// with. Each host keeps only its latest refusal: a fleet refusing every
// minute must not push the real runs out of the ledger.
func refuseForClocks(cfg Config, h *held, clock clockError) error {
	refusal := clock.refusal()
	now := clock.ensemble
	host, _ := os.Hostname()
	entry := RunEntry{
		ID: RunID(cfg.Name, h.m.Token()), Host: host, Pid: os.Getpid(), Token: h.m.Token(),
		Start: now, End: &now, Ending: EndRefused, Reason: refusal.Error(),
	}
	_, err := h.updateLedger(func(l *ledger) { l.refuse(entry) }, true, nil, nil)
	if err != nil {
		cfg.Logger.Warn("the refusal could not be written to the ledger", "lock", cfg.Name, "err", err)
	}
	return refusal
}
