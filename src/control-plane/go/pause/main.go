// The real node's sandbox ("pause") container: it holds a pod's namespaces open, reaps the
// children it inherits as PID 1 and exits on SIGTERM or SIGINT. No registry is reachable here, so
// the node cannot pull registry.k8s.io/pause; this is built from source and imported instead.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
