package main

import (
	"fmt"
	"os"

	"github.com/zoo-locked/zoo-locked/chaos/ensemble"
)

const zkFlagUsage = "the servers' ZooKeeper: 3.8, 3.9 or 3.4, each the image make image ZK=VERSION builds; needs the container backend (default: ZOOLOCKED_ZK_IMAGE, else 3.8)"

// zkImage is the image --zk names, "" when it is not given.
func zkImage(cmd, version string) (string, bool) {
	if version == "" {
		return "", true
	}
	image, err := ensemble.ImageFor(version)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoo-chaos %s: --zk: %v\n", cmd, err)
		return "", false
	}
	return image, true
}
