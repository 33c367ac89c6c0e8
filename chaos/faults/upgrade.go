package faults

import (
	"context"
	"fmt"
	"time"

	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// UpgradeServer replaces a server by one of another ZooKeeper version
// (an image ImageFor names), on the same data: one step of a rolling
// upgrade. Heal does nothing; an upgrade is not undone.
type UpgradeServer struct {
	serverHit
	Version string
}

// UpgradeTo builds an UpgradeServer.
func UpgradeTo(t ServerTarget, version string) *UpgradeServer {
	return &UpgradeServer{serverHit: serverHit{Target: t}, Version: version}
}

// UpgradeParams are upgrade-server's: the ZooKeeper version it puts in.
type UpgradeParams struct {
	Version string `json:"version"`
}

var upgradeServerKind = kindWith("upgrade-server", func(s FaultSpec, p UpgradeParams) (Fault, error) {
	t, err := ParseServerTarget(s.Target)
	if err == nil {
		_, err = ensemble.ImageFor(p.Version)
	}
	return UpgradeTo(t, p.Version), err
})

func (f *UpgradeServer) Spec() FaultSpec {
	s := f.spec(upgradeServerKind.Name)
	s.Params = &UpgradeParams{Version: f.Version}
	return s
}

func (f *UpgradeServer) Name() string { return fmt.Sprintf("upgrade %s to %s", f.Target, f.Version) }

func (f *UpgradeServer) Start(ctx context.Context, on Stage) error {
	image, err := ensemble.ImageFor(f.Version)
	if err != nil {
		return err
	}
	return f.hit(ctx, on, func(ctx context.Context, id int) error {
		e := on.Ensemble()
		if err := e.Upgrade(ctx, id, image); err != nil {
			return err
		}
		return e.AwaitServing(ctx, id, upgradeJoinTimeout)
	})
}

func (f *UpgradeServer) Heal(context.Context, Stage) error { return nil }

// upgradeJoinTimeout bounds how long an upgraded server may take to join,
// as an operator waits before upgrading the next one.
const upgradeJoinTimeout = time.Minute
