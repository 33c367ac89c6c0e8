package ensemble

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Node is a simulated client host: its own proxy to each server, so it can
// be partitioned from the ensemble, from one server, or slowed, without
// touching any other node.
type Node struct {
	name  string
	links map[int]*Link
	order []int
}

// Name is the node's name.
func (n *Node) Name() string { return n.name }

// ConnectString is what a client on this node passes to ZooKeeper.
func (n *Node) ConnectString() string {
	addrs := make([]string, 0, len(n.order))
	for _, id := range n.order {
		addrs = append(addrs, n.links[id].Addr())
	}
	return strings.Join(addrs, ",")
}

func (n *Node) all() links {
	ls := make(links, 0, len(n.order))
	for _, id := range n.order {
		ls = append(ls, n.links[id])
	}
	return ls
}

// Cut partitions the node from the whole ensemble.
func (n *Node) Cut(ctx context.Context) error { return n.all().cut(ctx) }

// CutFrom partitions the node from one server only.
func (n *Node) CutFrom(ctx context.Context, id int) error {
	l, ok := n.links[id]
	if !ok {
		return fmt.Errorf("node %s: no server %d", n.name, id)
	}
	return l.Cut(ctx)
}

// Slow adds latency (each direction) with jitter to all the node's links.
func (n *Node) Slow(ctx context.Context, latency, jitter time.Duration) error {
	return n.all().each(func(l *Link) error { return l.Slow(ctx, latency, jitter) })
}

// LoseReplies makes the node lose the server's next answer on every link,
// with the connection (see Link.LoseReplies).
func (n *Node) LoseReplies(ctx context.Context) error {
	return n.all().each(func(l *Link) error { return l.LoseReplies(ctx) })
}

// Heal undoes Cut, CutFrom, Slow and LoseReplies.
func (n *Node) Heal(ctx context.Context) error { return n.all().heal(ctx) }
