package ensemble

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/client"
)

// Upgrade replaces server id by one of image, as an operator upgrades a
// ZooKeeper server: stop it gracefully, start the new version on the same
// data, the same address and the same place in the ensemble. It does not
// wait for the new server to join.
func (e *Ensemble) Upgrade(ctx context.Context, id int, image string) error {
	spec, ok := e.specs[id]
	if !ok {
		return fmt.Errorf("no server %d", id)
	}
	e.setRunning(id, false)
	if err := e.backend.Replace(ctx, spec, image); err != nil {
		return err
	}
	e.setRunning(id, true)
	e.opts.Logger.Info("server upgraded", "server", id, "image", image)
	return nil
}

func (b *containerBackend) Replace(ctx context.Context, spec serverSpec, image string) error {
	old, err := b.container(spec.ID)
	if err != nil {
		return err
	}
	if err := b.Stop(ctx, spec.ID); err != nil {
		return fmt.Errorf("stop zk%d for its upgrade: %w", spec.ID, err)
	}
	// The old container keeps the volumes alive until the new one holds
	// them; it goes once the new one is made.
	if err := b.create(ctx, spec, image, old.GetContainerID()); err != nil {
		return fmt.Errorf("upgrade zk%d to %s: %w", spec.ID, image, err)
	}
	rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = b.docker.ContainerRemove(rmCtx, old.GetContainerID(), client.ContainerRemoveOptions{})
	return nil
}

func (b *processBackend) Replace(context.Context, serverSpec, string) error {
	return fmt.Errorf("the process backend runs this host's ZooKeeper only; an upgrade needs the container backend")
}

// awaitServing waits until server id leads or follows.
func (e *Ensemble) AwaitServing(ctx context.Context, id int, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := ServerMode(ctx, e.ClientAddr(id)); m == ModeLeader || m == ModeFollower {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("zk%d did not rejoin within %v", id, limit)
		case <-tick.C:
		}
	}
}
