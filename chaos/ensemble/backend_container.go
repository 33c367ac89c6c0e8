package ensemble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"

	"github.com/zoo-locked/zoo-locked/internal/zkserver"
)

// DefaultImage is the image scripts/build-zk-image.sh builds. Set
// ZOOLOCKED_ZK_IMAGE=zookeeper:3.8 to run the official image instead: the
// harness speaks only its conventions (ZOO_MY_ID, ZOO_SERVERS, ZOO_CFG_EXTRA).
const DefaultImage = "zoo-locked/zookeeper:3.8"

// Versions are the ZooKeeper versions scripts/build-zk-image.sh builds
// images of, the first the default.
var Versions = []string{"3.8", "3.9", "3.4"}

// ImageFor is the image of a ZooKeeper version the script builds
// (ZK=VERSION scripts/build-zk-image.sh, or make image ZK=VERSION).
func ImageFor(version string) (string, error) {
	if !slices.Contains(Versions, version) {
		return "", fmt.Errorf("ZooKeeper %q is not a version the image script builds; want one of %s", version, strings.Join(Versions, ", "))
	}
	return "zoo-locked/zookeeper:" + version, nil
}

func init() {
	// Ryuk's image cannot be pulled where no registry is reachable, and
	// testcontainers reads this once, before the first container call:
	// the harness removes what it creates itself. This is the one place
	// that says so; every test and command goes through this package.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	// testcontainers prints its banner and every container step to
	// stderr; the harness logs what matters through its own logger.
	tclog.SetDefault(tclog.NewNoopLogger())
}

// containerLabel marks everything the harness creates, so that a CI step can
// remove what a killed test left behind.
const containerLabel = "dev.zoo-locked.ensemble"

// containerBackend runs each server in a container on a private network.
// Servers reach each other only through proxies on the host, at the
// network's gateway address.
type containerBackend struct {
	docker  *testcontainers.DockerClient
	image   string
	net     *testcontainers.DockerNetwork
	gateway string

	mu         sync.Mutex
	containers map[int]testcontainers.Container
}

// containerBackendAvailable says why the container backend cannot run, or nil.
func containerBackendAvailable(ctx context.Context, image string) error {
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("no container engine: %w", err)
	}
	defer docker.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := docker.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("container engine does not answer: %w", err)
	}
	if _, err := docker.ImageInspect(ctx, image); err != nil {
		build := "make image"
		if v, ok := strings.CutPrefix(image, "zoo-locked/zookeeper:"); ok {
			build = "make image ZK=" + v
		}
		return fmt.Errorf("image %s not found (%s builds it): %w", image, build, err)
	}
	return nil
}

func newContainerBackend(ctx context.Context, image string) (*containerBackend, error) {
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	nw, err := tcnetwork.New(ctx, tcnetwork.WithLabels(map[string]string{containerLabel: "network"}))
	if err != nil {
		docker.Close()
		return nil, fmt.Errorf("create network: %w", err)
	}
	b := &containerBackend{docker: docker, image: image, net: nw, containers: map[int]testcontainers.Container{}}
	inspect, err := docker.NetworkInspect(ctx, nw.ID, client.NetworkInspectOptions{})
	if err != nil {
		b.Close(ctx)
		return nil, fmt.Errorf("inspect network %s: %w", nw.Name, err)
	}
	for _, cfg := range inspect.Network.IPAM.Config {
		if cfg.Gateway.IsValid() && cfg.Gateway.Is4() {
			b.gateway = cfg.Gateway.String()
		}
	}
	if b.gateway == "" {
		b.Close(ctx)
		return nil, fmt.Errorf("network %s has no IPv4 gateway", nw.Name)
	}
	return b, nil
}

func (b *containerBackend) Name() string { return "container" }

// PeerCuttable: inside a container a server advertises 0.0.0.0, so a peer
// connecting back reaches only itself and the proxies stay the only path.
func (b *containerBackend) PeerCuttable() error { return nil }
func (b *containerBackend) PeerHost() string    { return b.gateway }

func (b *containerBackend) container(id int) (testcontainers.Container, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.containers[id]
	if !ok {
		return nil, fmt.Errorf("zk%d has no container", id)
	}
	return c, nil
}

func (b *containerBackend) Start(ctx context.Context, spec serverSpec) error {
	b.mu.Lock()
	c, exists := b.containers[spec.ID]
	b.mu.Unlock()
	if exists {
		return c.Start(ctx)
	}
	return b.create(ctx, spec, b.image, "")
}

// create makes and starts server spec's container from image; with
// dataFrom, on the data and log volumes of that container, as an upgrade
// keeps a server's disk.
func (b *containerBackend) create(ctx context.Context, spec serverSpec, image, dataFrom string) error {
	if spec.TLS != nil {
		return fmt.Errorf("TLS servers run on the process backend only")
	}
	servers := []string{fmt.Sprintf("server.%d=0.0.0.0:2888:3888;2181", spec.ID)}
	ids := make([]int, 0, len(spec.Peers))
	for id := range spec.Peers {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		servers = append(servers, fmt.Sprintf("server.%d=%s;2181", id, spec.Peers[id]))
	}
	bind := func(port int) []network.PortBinding {
		return []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(port)}}
	}
	name := fmt.Sprintf("%s-zk%d", b.net.Name, spec.ID)
	if dataFrom != "" {
		name += "-" + strings.ReplaceAll(image[strings.LastIndex(image, ":")+1:], ".", "")
	}
	req := testcontainers.ContainerRequest{
		Image:  image,
		Name:   name,
		Labels: map[string]string{containerLabel: b.net.Name},
		Env: map[string]string{
			"ZOO_MY_ID":                  strconv.Itoa(spec.ID),
			"ZOO_SERVERS":                strings.Join(servers, " "),
			"ZOO_TICK_TIME":              strconv.FormatInt(spec.TickTime.Milliseconds(), 10),
			"ZOO_INIT_LIMIT":             "10",
			"ZOO_SYNC_LIMIT":             "5",
			"ZOO_4LW_COMMANDS_WHITELIST": "*",
			"ZOO_ADMINSERVER_ENABLED":    "false",
			"ZOO_CFG_EXTRA":              strings.Join(spec.cfgExtra(), " "),
			"JVMFLAGS":                   strings.Join(zkserver.JVMFlags, " "),
		},
		ExposedPorts: []string{"2181/tcp", "2888/tcp", "3888/tcp"},
		Networks:     []string{b.net.Name},
		HostConfigModifier: func(hc *container.HostConfig) {
			// Fixed host ports: the proxies in front of them are created
			// before the container and must survive its restarts.
			if dataFrom != "" {
				hc.VolumesFrom = []string{dataFrom}
			}
			hc.PortBindings = network.PortMap{
				network.MustParsePort("2181/tcp"): bind(spec.ClientPort),
				network.MustParsePort("2888/tcp"): bind(spec.QuorumPort),
				network.MustParsePort("3888/tcp"): bind(spec.ElectionPort),
			}
		},
	}
	if spec.MovableClock {
		// The image preloads faketime on this file (SetClock).
		req.Env["ZOO_CLOCK_FILE"] = containerClockFile
	}
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if c != nil {
		b.mu.Lock()
		b.containers[spec.ID] = c
		b.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("start zk%d container: %w", spec.ID, err)
	}
	return nil
}

func (b *containerBackend) Stop(ctx context.Context, id int) error {
	c, err := b.container(id)
	if err != nil {
		return err
	}
	_ = b.Unpause(ctx, id) // a paused container cannot be stopped; fails when not paused
	timeout := 10 * time.Second
	return c.Stop(ctx, &timeout)
}

func (b *containerBackend) Kill(ctx context.Context, id int) error {
	c, err := b.container(id)
	if err != nil {
		return err
	}
	_ = b.Unpause(ctx, id) // as in Stop
	if _, err := b.docker.ContainerKill(ctx, c.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("kill zk%d: %w", id, err)
	}
	wait := b.docker.ContainerWait(ctx, c.GetContainerID(), client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-wait.Result:
		return nil
	case err := <-wait.Error:
		return err
	}
}

func (b *containerBackend) Pause(ctx context.Context, id int) error {
	c, err := b.container(id)
	if err != nil {
		return err
	}
	_, err = b.docker.ContainerPause(ctx, c.GetContainerID(), client.ContainerPauseOptions{})
	return err
}

func (b *containerBackend) Unpause(ctx context.Context, id int) error {
	c, err := b.container(id)
	if err != nil {
		return err
	}
	_, err = b.docker.ContainerUnpause(ctx, c.GetContainerID(), client.ContainerUnpauseOptions{})
	return err
}

// containerClockFile is where a container's server reads its clock offset.
const containerClockFile = "/tmp/zoo-clock"

func (b *containerBackend) SetClock(ctx context.Context, id int, offset time.Duration) error {
	c, err := b.container(id)
	if err != nil {
		return err
	}
	code, out, err := c.Exec(ctx, []string{"sh", "-c", "echo " + faketimeOffset(offset) + " >" + containerClockFile + ".new && mv " + containerClockFile + ".new " + containerClockFile})
	if err == nil && code != 0 {
		msg, _ := io.ReadAll(out)
		err = fmt.Errorf("exit %d: %s", code, msg)
	}
	if err != nil {
		return fmt.Errorf("set the clock of zk%d: %w (an image from before faketime? rebuild it: make image)", id, err)
	}
	return nil
}

func (b *containerBackend) Logs(ctx context.Context, id int, w io.Writer) error {
	c, err := b.container(id)
	if err != nil {
		return err
	}
	r, err := c.Logs(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(w, r)
	return err
}

func (b *containerBackend) Close(ctx context.Context) error {
	var errs []error
	b.mu.Lock()
	containers := b.containers
	b.containers = map[int]testcontainers.Container{}
	b.mu.Unlock()
	for _, c := range containers {
		// A paused container cannot be removed; this fails when not paused.
		_, _ = b.docker.ContainerUnpause(ctx, c.GetContainerID(), client.ContainerUnpauseOptions{})
		// An upgraded server's volumes came from the container it
		// replaced: removing the container does not remove them.
		var volumes []string
		if in, err := b.docker.ContainerInspect(ctx, c.GetContainerID(), client.ContainerInspectOptions{}); err == nil {
			for _, m := range in.Container.Mounts {
				if m.Type == "volume" {
					volumes = append(volumes, m.Name)
				}
			}
		}
		errs = append(errs, c.Terminate(ctx))
		for _, v := range volumes {
			_, _ = b.docker.VolumeRemove(ctx, v, client.VolumeRemoveOptions{})
		}
	}
	if b.net != nil {
		errs = append(errs, b.net.Remove(ctx))
	}
	errs = append(errs, b.docker.Close())
	return errors.Join(errs...)
}
