// Command zoo-locked-keeper is the keeper zoo-locked starts for each run
// (package cmd/internal/keeper): installed beside zoo-locked, and kept to what the
// keeper uses, so that the second process of every run starts like a
// small program instead of the whole wrapper.
package main

import (
	"os"

	"github.com/zoo-locked/zoo-locked/cmd/internal/keeper"
)

func main() {
	os.Exit(keeper.Run(os.Args[1:]))
}
