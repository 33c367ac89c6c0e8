package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"

	"github.com/zoo-locked/zoo-locked/chaos/chaostest"
	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

// repoRoot is the repository this test binary was built from.
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// debian is a fresh container of the local Debian image, on the host's
// network so that it reaches the test ensemble's loopback ports.
type debian struct {
	t *testing.T
	c testcontainers.Container
}

func newDebian(t *testing.T, files ...testcontainers.ContainerFile) *debian {
	t.Helper()
	image := os.Getenv("ZOOLOCKED_ZK_IMAGE")
	if image == "" {
		image = ensemble.DefaultImage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{Started: true, ContainerRequest: testcontainers.ContainerRequest{
		Image:      image,
		Entrypoint: []string{"sleep", "infinity"},
		Files:      files,
		Labels:     map[string]string{"dev.zoo-locked.ensemble": "package-test"},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
		},
	}})
	if c != nil {
		t.Cleanup(func() {
			if err := c.Terminate(context.Background()); err != nil {
				t.Errorf("remove the package test's container: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("start a container of %s: %v", image, err)
	}
	return &debian{t: t, c: c}
}

// sh runs a shell script in the container and returns its exit code and
// output.
func (d *debian) sh(script string) (int, string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, r, err := d.c.Exec(ctx, []string{"/bin/sh", "-c", script}, tcexec.Multiplexed())
	if err != nil {
		d.t.Fatalf("exec %q: %v", script, err)
	}
	out, _ := io.ReadAll(r) // what was read is the output
	return code, string(out)
}

// must runs script and fails the test unless it exits 0.
func (d *debian) must(script string) string {
	d.t.Helper()
	code, out := d.sh(script)
	if code != 0 {
		d.t.Fatalf("%s: exit %d\n%s", script, code, out)
	}
	return out
}

// TestDebianPackage builds the .deb, installs it with dpkg in a fresh
// Debian container, and there: --version is the package's version, man
// finds zoo-locked(1), the shipped cron.d line (its job started by the
// installed zoo-locked-keeper) — the ensemble written once
// in /etc/zoo-locked.conf — runs the job once and skips it the second time
// in the slot, the systemd units verify, and dpkg -r keeps the edited
// conffile while dpkg -P removes it.
func TestDebianPackage(t *testing.T) {
	e := chaostest.SharedEnsemble(t)
	root := repoRoot(t)
	build := exec.Command("make", "deb")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	version, err := exec.Command(filepath.Join(root, "scripts", "version.sh")).Output()
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(version))
	deb := filepath.Join(root, "dist", "zoo-locked_"+v+"_amd64.deb")
	d := newDebian(t, testcontainers.ContainerFile{HostFilePath: deb, ContainerFilePath: "/tmp/zoo-locked.deb", FileMode: 0o644})

	d.must("dpkg -i /tmp/zoo-locked.deb")
	if out := d.must("zoo-locked --version; dpkg-query -W -f '${Version}' zoo-locked"); out != "zoo-locked "+v+"\n"+v {
		t.Fatalf("--version and the package's version: %q, want %s for both", out, v)
	}
	if out := d.must("man -w zoo-locked"); strings.TrimSpace(out) != "/usr/share/man/man1/zoo-locked.1.gz" {
		t.Fatalf("man -w zoo-locked: %q", out)
	}

	// The host's settings, written once; the job the example names.
	d.must(fmt.Sprintf("printf 'ZOOLOCKED_ZK=%s\\nZOOLOCKED_SESSION_TIMEOUT=4s\\nZOOLOCKED_KILL_GRACE=500ms\\n' >> /etc/zoo-locked.conf", e.ConnectString()))
	d.must(`printf '#!/bin/sh\necho "$@" >> /tmp/invoices.log\ncat /proc/$PPID/comm > /tmp/invoices.parent\n' > /usr/local/bin/make-invoices && chmod 755 /usr/local/bin/make-invoices`)
	line := d.must(`grep -v '^#' /usr/share/doc/zoo-locked/examples/zoo-locked-invoices.cron | grep ' root ' | cut -d' ' -f7-`)
	if !strings.HasPrefix(line, "zoo-locked --once-per '0 * * * *' invoices") {
		t.Fatalf("the shipped cron.d line: %q", line)
	}
	for firing := 1; firing <= 2; firing++ {
		if code, out := d.sh(line); code != 0 {
			t.Fatalf("firing %d of the cron.d line: exit %d\n%s", firing, code, out)
		}
	}
	if out := d.must("cat /tmp/invoices.log"); out != "--month current\n" {
		t.Fatalf("two firings in one slot ran the job as %q, want once", out)
	}
	// The kernel keeps 15 characters of a command's name.
	if out := d.must("cat /tmp/invoices.parent"); out != "zoo-locked-keep\n" {
		t.Fatalf("the job's parent is %q, want the installed zoo-locked-keeper", out)
	}
	if out := d.must("zoo-locked config"); !strings.Contains(out, e.ConnectString()) || !strings.Contains(out, "/etc/zoo-locked.conf:") {
		t.Fatalf("zoo-locked config does not say the ensemble came from the file:\n%s", out)
	}

	d.must("cp /usr/share/doc/zoo-locked/examples/invoices.service /usr/share/doc/zoo-locked/examples/invoices.timer /etc/systemd/system/")
	if code, out := d.sh("systemd-analyze verify /etc/systemd/system/invoices.timer /etc/systemd/system/invoices.service"); code != 0 {
		t.Fatalf("systemd-analyze verify: exit %d\n%s", code, out)
	}

	d.must("dpkg -r zoo-locked")
	if out := d.must("test ! -e /usr/bin/zoo-locked && test ! -e /usr/bin/zoo-locked-keeper && cat /etc/zoo-locked.conf"); !strings.Contains(out, e.ConnectString()) {
		t.Fatalf("dpkg -r did not keep the edited conffile:\n%s", out)
	}
	d.must("dpkg -P zoo-locked")
	if code, _ := d.sh("test -e /etc/zoo-locked.conf"); code == 0 {
		t.Fatal("dpkg -P left /etc/zoo-locked.conf")
	}
}
