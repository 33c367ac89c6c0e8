package ensemble

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
)

// Servers' ports are drawn below the kernel's ephemeral range: a port taken
// with bind(0) (a proxy's listener, a client's outgoing connection) comes
// from that range only, so none can take a server's port in the seconds
// between its reservation and the server's own bind.
const (
	lowestServerPort = 10000
	ephemeralFloor   = 32768 // Linux's default, when the kernel does not say
)

// freePorts reserves n distinct loopback ports and releases them together,
// so that two servers of one ensemble never draw the same port.
func freePorts(n int) ([]int, error) {
	top := ephemeralStart()
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 100*n {
			return nil, fmt.Errorf("reserve a loopback port: no free port in %d-%d after %d tries", lowestServerPort, top-1, tries)
		}
		port := lowestServerPort + rand.IntN(top-lowestServerPort)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken: another draw
		}
		listeners = append(listeners, l)
		ports = append(ports, port)
	}
	return ports, nil
}

// ephemeralStart is the first port of the kernel's ephemeral range.
func ephemeralStart() int {
	var low, high int
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		_, err = fmt.Sscan(string(b), &low, &high)
	}
	if err != nil || low <= lowestServerPort+1000 {
		return ephemeralFloor
	}
	return low
}
