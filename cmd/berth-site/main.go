// Command berth-site writes Berth's static site, the API reference (/docs)
// and the web console (/console), to a folder: `make site` writes bin/site,
// the deployable assets. Run it from the repository's root after `make deps`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/berth-dev/berth/web"
)

func main() {
	out := flag.String("out", "bin/site", "the folder to write")
	flag.Parse()
	if err := os.RemoveAll(*out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := web.Build(".", *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out)
}
