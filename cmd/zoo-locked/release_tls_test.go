package main

import (
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// TestCrashedWrappersLockFreesAtOnceOverTLS: a wrapper that reaches the
// ensemble only over TLS hands its keeper the TLS files with the session,
// and the keeper, once the tree is dead, closes the session over the same
// TLS: the waiter's job starts within 1 s of the wrapper's SIGKILL, not at
// T.
func TestCrashedWrappersLockFreesAtOnceOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca := chaostest.NewCA(t, "zoo-locked crash CA")
	serverTLS, caFile := ca.ServerTLS(t, dir)
	e := chaostest.Ensemble(t, ensemble.Options{Backend: ensemble.BackendProcess, Servers: 1, TLS: serverTLS, MaxSessionTimeout: testSession})
	secure := e.SecureConnectString()
	w := newWitness(t)
	tlsArgs := func(node string, length time.Duration) (env, args []string) {
		return []string{w.jobEnv(node, length, 0)}, append([]string{"--tls-ca", caFile, "crash-tls"}, selfJob()...)
	}
	env, args := tlsArgs("a", time.Minute)
	holder := startWrapperOn(t, zooLocked(t), secure, "tls-a", env, args...)
	w.nextStart(t, 10*time.Second)
	env, args = tlsArgs("b", 100*time.Millisecond)
	waiter := startWrapperOn(t, zooLocked(t), secure, "tls-b", env, args...)
	c, _, err := zk.Connect([]string{e.ClientAddr(1)}, 4*time.Second, zk.WithLogger(ensemble.Quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	chaostest.Eventually(t, 10*time.Second, "waiter queued", func() bool {
		kids, _, err := c.Children("/zoo-locked/crash-tls")
		return err == nil && len(kids) == 2
	})

	killedAt := w.Since()
	if err := holder.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	second := w.nextStart(t, testSession)
	if took := second.Start - killedAt; second.Node != "b" || took > time.Second {
		t.Fatalf("over TLS the waiter's job (node %s) started %v after the holder's wrapper was killed, want b within 1 s (T = %v); holder's stderr:\n%s",
			second.Node, took, testSession, holder.stderr)
	}
	t.Logf("takeover over TLS %v after the wrapper's SIGKILL (T = %v)", second.Start-killedAt, testSession)
	if code := waiter.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("waiter exit %d; stderr:\n%s", code, waiter.stderr)
	}
	<-holder.exited
	if !strings.Contains(holder.stderr.String(), "is closed: the lock is free") {
		t.Errorf("the keeper did not say it closed the session over TLS; holder's stderr:\n%s", holder.stderr)
	}
}
