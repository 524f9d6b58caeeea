// Command reconcile is the reconciler (shared/reconcile): on its schedule
// it deletes orphaned resources, marks records whose resources vanished
// and re-drives workflows that died.
package main

import "github.com/berth-dev/berth/shared/reconcileboot"

func main() { reconcileboot.Lambda() }
