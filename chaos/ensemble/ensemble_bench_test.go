package ensemble_test

import (
	"context"
	"testing"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// BenchmarkEnsembleStartup measures start-to-quorum for each backend; the
// process backend is the baseline the container figure is compared with.
func BenchmarkEnsembleStartup(b *testing.B) {
	for _, backend := range testBackends() {
		b.Run(backend, func(b *testing.B) {
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), chaostest.StartupTimeout)
				e, err := ensemble.NewEnsemble(ctx, ensemble.Options{Backend: backend})
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := e.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkNodeCutHeal measures one partition and heal of a client node
// (three links, both directions), the nemesis's most frequent fault.
func BenchmarkNodeCutHeal(b *testing.B) {
	e := chaostest.Ensemble(b, ensemble.Options{Backend: ensemble.BackendProcess})
	node, err := e.Node("bench")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if err := node.Cut(ctx); err != nil {
			b.Fatal(err)
		}
		if err := node.Heal(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
