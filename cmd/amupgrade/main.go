// Command amupgrade upgrades PingAM / ForgeRock AM configuration (an Amster
// export or a file-based configuration tree) from one AM version to a later
// one. See the README.
package main

import (
	"os"

	"github.com/amupgrade/amupgrade/internal/cli"
)

func main() { os.Exit(cli.Main()) }
